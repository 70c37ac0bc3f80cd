"""The event log: append-only at every level, filters, keyset pages, and its read-only browser."""

import datetime

import pytest
from django.db import transaction
from django.urls import URLPattern, get_resolver, reverse

from helpline.audit.models import AppendOnlyError, Event
from helpline.audit.selectors import EventFilters, event_page
from helpline.audit.services import event_record

from .factories import EventFactory

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=datetime.UTC)


# --- append-only ----------------------------------------------------------------------------


def test_events_cannot_be_changed_or_deleted_one_by_one(admin_user):
    event = event_record(actor=admin_user, action="settings.changed")
    event.action = "nothing.happened"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_querysets_cannot_delete_or_update_events(admin_user):
    event_record(actor=admin_user, action="settings.changed")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(action="settings.changed").delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.all().update(action="x")
    with pytest.raises(AppendOnlyError):
        Event.objects.update(action="x")
    events = list(Event.objects.all())
    # bulk_update runs in an atomic block without a savepoint: give it one to fail inside.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        Event.objects.bulk_update(events, ["action"])
    assert Event.objects.get().action == "settings.changed"


def test_no_url_under_events_accepts_a_post(client, admin_user):
    client.force_login(admin_user)
    resolver = get_resolver()
    manage = resolver.namespace_dict["manage"][1]
    routes = [
        p
        for p in manage.url_patterns
        if isinstance(p, URLPattern) and str(p.pattern).startswith("events")
    ]
    assert routes, "the event log is mounted under /manage/events/"
    for route in routes:
        url = reverse(f"manage:{route.name}")
        assert url.startswith("/manage/events/")
        for method in ("post", "put", "patch", "delete"):
            assert getattr(client, method)(url).status_code == 405, (method, url)
    assert client.get(reverse("manage:events")).status_code == 200


# --- filters and pages ----------------------------------------------------------------------


def test_newest_first_with_ties_broken_by_id():
    same = at(1)
    first, second = EventFactory(created_at=same), EventFactory(created_at=same)
    newest = EventFactory(created_at=at(2))
    assert event_page(EventFilters()).events == [newest, second, first]


def test_keyset_pages_walk_every_event_once_even_with_ties():
    created = [EventFactory(created_at=at(1 + n // 3)) for n in range(10)]  # three per instant
    seen, cursor = [], None
    while True:
        page = event_page(EventFilters(), older_than=cursor, size=4)
        seen.extend(page.events)
        if page.older is None:
            break
        cursor = page.older
    assert seen == sorted(created, key=lambda e: (e.created_at, e.pk), reverse=True)


def test_newer_page_walks_back():
    created = [EventFactory(created_at=at(1, minute=n)) for n in range(9)]
    first = event_page(EventFilters(), size=4)
    second = event_page(EventFilters(), older_than=first.older, size=4)
    back = event_page(EventFilters(), newer_than=second.newer, size=4)
    assert back.events == first.events
    assert back.newer is None  # already the newest page
    assert second.events == created[::-1][4:8]


def test_a_bad_cursor_means_the_first_page():
    EventFactory()
    assert len(event_page(EventFilters(), older_than="garbage").events) == 1


def test_filters(admin_user, dispatcher):
    mine = EventFactory(
        actor=admin_user,
        action="department.created",
        object_type="accounts.department",
        object_id="7",
        created_at=at(5),
    )
    theirs = EventFactory(
        actor=dispatcher, action="ticket.updated", object_id="42", created_at=at(6)
    )
    reply = EventFactory(
        actor=dispatcher, action="ticket.replied", object_id="42", created_at=at(8)
    )

    def found(**filters):
        return event_page(EventFilters(**filters)).events

    assert found(actor_id=admin_user.pk) == [mine]
    assert found(action="ticket.updated") == [theirs]
    assert found(action="ticket.") == [reply, theirs]
    assert found(action="ticket.*") == [reply, theirs]
    assert found(action="ticket") == []  # exact unless it ends in a dot
    assert found(object_type="accounts.department", object_id="7") == [mine]
    assert found(object_type="tickets.ticket", object_id="42") == [reply, theirs]
    assert found(date_from=datetime.date(2026, 3, 6)) == [reply, theirs]
    assert found(date_to=datetime.date(2026, 3, 6)) == [theirs, mine]
    assert found(date_from=datetime.date(2026, 3, 6), date_to=datetime.date(2026, 3, 6)) == [theirs]


def test_page_filters_and_links(client, admin_user, dispatcher):
    EventFactory(actor=dispatcher, action="ticket.updated", object_id="42")
    EventFactory(
        actor=admin_user,
        action="staff.changed",
        object_type="accounts.user",
        object_id=str(dispatcher.pk),
        object_repr="Dana",
        changes={"support_line": [1, 2]},
    )
    client.force_login(admin_user)
    response = client.get(reverse("manage:events"), {"action": "staff."})
    events = response.context["result"].events
    assert [e.action for e in events] == ["staff.changed"]
    html = response.content.decode()
    assert reverse("manage:person", args=[dispatcher.pk]) in html
    assert "<del" in html and "<ins" in html  # before → after

    html = client.get(reverse("manage:events"), {"actor": dispatcher.pk}).content.decode()
    assert reverse("desk:ticket", args=[42]) in html


def test_page_with_a_bad_filter_shows_the_error_and_no_events(client, admin_user):
    EventFactory()
    client.force_login(admin_user)
    response = client.get(
        reverse("manage:events"), {"date_from": "2026-03-09", "date_to": "2026-03-01"}
    )
    assert response.context["result"].events == []
    assert "before the start date" in response.content.decode()


def test_page_links_to_older_events_keeping_the_filter(client, admin_user):
    for n in range(101):
        EventFactory(action="ticket.updated", created_at=at(1, minute=n % 60, hour=1 + n // 60))
    EventFactory(action="staff.changed")
    client.force_login(admin_user)
    response = client.get(reverse("manage:events"), {"action": "ticket."})
    assert len(response.context["result"].events) == 100
    older_url = response.context["older_url"]
    assert "action=ticket." in older_url and "older=" in older_url
    response = client.get(reverse("manage:events") + older_url)
    events = response.context["result"].events
    assert len(events) == 1 and events[0].created_at == at(1, hour=1)
    assert response.context["older_url"] is None
    assert response.context["newest_url"] == "?action=ticket."


def test_htmx_gets_only_the_results(client, admin_user):
    EventFactory()
    client.force_login(admin_user)
    response = client.get(reverse("manage:events"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="event-results"' in html and "<form" not in html
    assert "HX-Request" in response["Vary"]


def test_object_type_names_follow_the_readers_language():
    """The names are worked out once per language, never once for everyone."""
    from django.utils import translation

    from helpline.administration.templatetags.manage import object_kind

    names = {}
    for language in ("en", "nb", "ru", "en"):
        with translation.override(language):
            names.setdefault(language, set()).add(object_kind("tickets.ticket"))
    assert names == {"en": {"Request"}, "nb": {"Henvendelse"}, "ru": {"Заявка"}}
    assert object_kind("elsewhere.thing") == "elsewhere.thing"
