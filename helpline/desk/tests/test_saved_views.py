"""Saved views: the services' rules, the sidebar (order, counts, sharing) and the pages."""

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.core.models import SiteSettings
from helpline.desk import selectors, services
from helpline.desk.models import SavedView, SidebarOrder
from helpline.desk.saved import query_normalised, query_tickets, saved_sidebar
from helpline.tickets.models import Priority, StatusCategory
from helpline.tickets.tests.factories import TicketFactory

BOARD = reverse("desk:board")
MANAGE = reverse("desk:saved_views")
CREATE = reverse("desk:saved_view_create")


@pytest.fixture
def locmem_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


@pytest.fixture
def colleague(support):
    """Another agent of Support, who sees what is shared with Support."""
    user = StaffFactory(email="colleague@desk.test", first_name="Cole")
    MembershipFactory(user=user, department=support)
    return user


def save(actor, name="Urgent", department=None, **query):
    return services.saved_view_create(
        actor=actor, name=name, department=department, query=query or {"view": "open"}
    )


def fresh(user):
    """The user as a new request sees them (no memoised rights, counts or sidebar)."""
    return type(user).objects.get(pk=user.pk)


# --- what a view keeps ----------------------------------------------------------------------


def test_query_is_normalised_without_defaults_pages_or_unknown_keys():
    raw = {
        "view": "open",
        "priority": "4",
        "q": "  printer ",
        "sort": "activity",
        "dir": "desc",
        "after": "cursor",
        "evil": "x",
        "status": "",
    }
    assert query_normalised(raw) == {"view": "open", "priority": "4", "q": "printer"}
    assert query_normalised({"view": "nonsense", "sort": "priority", "dir": "asc"}) == {
        "view": "open",
        "sort": "priority",
        "dir": "asc",
    }
    assert query_normalised({"view": "trash", "sort": "deleted"}) == {"view": "trash"}


def test_a_view_counts_what_its_filters_show_the_viewer(dispatcher, support, software, billing):
    TicketFactory(department=support, priority=Priority.CRITICAL)
    TicketFactory(department=software, priority=Priority.CRITICAL)  # a sub-department
    TicketFactory(department=support, priority=Priority.LOW)
    TicketFactory(department=billing, priority=Priority.CRITICAL)  # not the dispatcher's
    query = {"view": "open", "priority": str(Priority.CRITICAL), "department": str(support.pk)}
    assert query_tickets(dispatcher, query).count() == 2
    assert query_tickets(dispatcher, {"view": "open", "status": "x", "tag": "y"}).count() == 3
    someone = TicketFactory(department=support, priority=Priority.LOW).requester
    assert query_tickets(dispatcher, {"view": "open", "requester": str(someone.pk)}).count() == 1


# --- services -------------------------------------------------------------------------------


def test_create_records_an_event_and_keeps_the_normalised_query(dispatcher, support):
    view = save(dispatcher, "  My   urgent ", department=support, view="open", priority="4")
    assert view.name == "My urgent"
    assert view.query == {"view": "open", "priority": "4"}
    event = Event.objects.get(action="saved_view.created")
    assert event.actor == dispatcher and event.object_id == str(view.pk)
    assert event.changes["department"] == [None, support.pk]


def test_names_are_unique_per_owner_whatever_the_case(dispatcher, colleague):
    save(dispatcher, "Urgent")
    with pytest.raises(ValidationFailed, match="already have a view") as refused:
        save(dispatcher, "URGENT")
    assert refused.value.field == "name"
    save(colleague, "Urgent")  # another owner may
    assert SavedView.objects.count() == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_a_name_is_needed_and_short(dispatcher, name):
    with pytest.raises(ValidationFailed):
        save(dispatcher, name)
    assert not SavedView.objects.exists()


def test_sharing_only_with_ones_own_departments(dispatcher, billing, software, supervisor):
    with pytest.raises(PermissionDenied):
        save(dispatcher, department=billing)
    # Rights reach down the tree: Support's dispatcher may share with Software.
    assert save(dispatcher, "Software", department=software).department == software
    # Supervisors may share with any department.
    assert save(supervisor, department=billing).department == billing
    assert not SavedView.objects.filter(owner=dispatcher, department=billing).exists()


def test_requesters_keep_no_views(requester_a):
    with pytest.raises(PermissionDenied):
        save(requester_a)


def test_only_the_owner_renames_shares_or_deletes(dispatcher, colleague, support):
    view = save(dispatcher, department=support)
    with pytest.raises(PermissionDenied):
        services.saved_view_change(view=view, actor=colleague, name="Mine now", department=None)
    with pytest.raises(PermissionDenied):
        services.saved_view_delete(view=view, actor=colleague)
    services.saved_view_change(view=view, actor=dispatcher, name="Renamed", department=None)
    view.refresh_from_db()
    assert (view.name, view.department) == ("Renamed", None)
    changed = Event.objects.get(action="saved_view.changed")
    assert changed.changes == {"name": ["Urgent", "Renamed"], "department": [support.pk, None]}
    services.saved_view_delete(view=view, actor=dispatcher)
    assert not SavedView.objects.exists()
    assert Event.objects.filter(action="saved_view.deleted").count() == 1


def test_a_change_that_changes_nothing_records_nothing(dispatcher):
    view = save(dispatcher)
    services.saved_view_change(view=view, actor=dispatcher, name="Urgent", department=None)
    assert not Event.objects.filter(action="saved_view.changed").exists()


def test_renaming_onto_another_of_ones_names_is_refused(dispatcher):
    save(dispatcher, "First")
    second = save(dispatcher, "Second")
    with pytest.raises(ValidationFailed, match="already have"):
        services.saved_view_change(view=second, actor=dispatcher, name="first", department=None)


def test_moving_orders_ones_own_sidebar_only(dispatcher, colleague, support):
    a = save(dispatcher, "A", department=support)
    b = save(dispatcher, "B")
    c = save(colleague, "C", department=support)
    assert services.saved_view_move(view=c, actor=dispatcher, offset=-1) == [a.pk, c.pk, b.pk]
    assert services.saved_view_move(view=c, actor=dispatcher, offset=-1) == [c.pk, a.pk, b.pk]
    # Already on top: stays.
    assert services.saved_view_move(view=c, actor=dispatcher, offset=-1) == [c.pk, a.pk, b.pk]
    assert [v.pk for v in saved_sidebar(fresh(dispatcher)).views] == [c.pk, a.pk, b.pk]
    # The colleague's sidebar keeps its own order (and never shows the dispatcher's private B).
    assert [v.pk for v in saved_sidebar(fresh(colleague)).views] == [a.pk, c.pk]
    # A view one cannot see cannot be moved.
    private = save(colleague, "Private")
    with pytest.raises(PermissionDenied):
        services.saved_view_move(view=private, actor=dispatcher, offset=1)
    assert Event.objects.filter(action="saved_view.moved").count() == 2


# --- the sidebar ----------------------------------------------------------------------------


def test_shared_views_reach_members_of_that_department_only(
    locmem_cache,
    django_capture_on_commit_callbacks,
    dispatcher,
    colleague,
    specialist,
    billing_agent,
    support,
):
    shared = save(dispatcher, "Support queue", department=support)
    save(dispatcher, "Just mine")
    assert [v.name for v in saved_sidebar(fresh(colleague)).views] == ["Support queue"]
    # Members of Software (under Support) and of Billing are not members of Support.
    assert saved_sidebar(fresh(specialist)).views == []
    assert saved_sidebar(fresh(billing_agent)).views == []
    # Unshared: it leaves the colleague's sidebar at once (the generation key), cache or not.
    with django_capture_on_commit_callbacks(execute=True):
        services.saved_view_change(view=shared, actor=dispatcher, name=shared.name, department=None)
    assert saved_sidebar(fresh(colleague)).views == []


def test_counts_are_capped_like_the_other_views(locmem_cache, monkeypatch, dispatcher, support):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    TicketFactory.create_batch(5, department=support, priority=Priority.HIGH)
    TicketFactory(department=support, priority=Priority.LOW)
    save(dispatcher, "High", priority=str(Priority.HIGH))
    save(dispatcher, "Low", priority=str(Priority.LOW))
    save(dispatcher, "Pending", view="pending")
    counts = {v.name: v.count for v in saved_sidebar(fresh(dispatcher)).views}
    assert counts == {"High": "2+", "Low": "1", "Pending": "0"}


def test_counts_are_cached_and_forgotten_after_the_agents_own_change(
    locmem_cache, dispatcher, support
):
    save(dispatcher, "Open")
    TicketFactory(department=support)
    assert saved_sidebar(fresh(dispatcher)).views[0].count == "1"
    TicketFactory(department=support)
    user = fresh(dispatcher)
    with CaptureQueriesContext(connection) as queries:
        assert saved_sidebar(user).views[0].count == "1"  # from the cache
    assert len(queries) == 0
    selectors.view_counts_forget(user)
    assert saved_sidebar(user).views[0].count == "2"


@pytest.mark.parametrize("views", [1, 12])
def test_sidebar_queries_do_not_grow_with_views(
    client, locmem_cache, django_assert_num_queries, dispatcher, colleague, support, views
):
    # The settings row first: saving it is a change of reference data (mail reads it there).
    SiteSettings.current()
    for n in range(views):
        save(colleague if n % 2 else dispatcher, f"View {n}", department=support, priority="3")
    TicketFactory.create_batch(3, department=support, priority=Priority.HIGH)
    client.force_login(dispatcher)
    # 1 session, 2 user, 3 departments, 4 organisations for a new requester, 5 site settings
    # (reference data, read once after the views were saved), 6 the sidebar's counts, 7 the
    # saved views (with the agent's order), 8 their capped counts (one statement however many
    # views); the agent's rights are reference data, read when the views were saved
    # (helpline.core.reference); 9 who is away (the header's own status; reference data, none
    # once warm).
    with django_assert_num_queries(9):
        response = client.get(reverse("desk:new"))
    assert response.content.decode().count("data-hl-saved-view=") == views
    # Warm: the saved views and their counts come with the other counts from the cache, the
    # site settings from the reference data.
    with django_assert_num_queries(4):
        client.get(reverse("desk:new"))


# --- pages ----------------------------------------------------------------------------------


def test_saving_from_the_board_and_seeing_it_current(
    client, locmem_cache, django_capture_on_commit_callbacks, dispatcher, support
):
    TicketFactory.create_batch(2, department=support, priority=Priority.CRITICAL)
    TicketFactory(department=support, priority=Priority.LOW)
    client.force_login(dispatcher)
    board = client.get(BOARD, {"view": "open", "priority": "4"}).content.decode()
    assert f'action="{CREATE}"' in board and "data-hl-save-view" in board

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CREATE,
            {"name": "Critical", "department": support.pk, "query": "view=open&priority=4&after=x"},
        )

    view = SavedView.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BOARD}?view=open&priority=4"
    assert view.query == {"view": "open", "priority": "4"} and view.department == support
    html = client.get(response["Location"]).content.decode()
    link = f'href="{BOARD}?priority=4&amp;view=open" aria-current="page" data-hl-saved-view'
    assert link in html
    assert "data-hl-count>2</span>" in html


def test_a_refused_save_keeps_what_was_typed(client, dispatcher, billing):
    client.force_login(dispatcher)
    save(dispatcher, "Taken")
    response = client.post(CREATE, {"name": "taken", "query": "view=pending&priority=2"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "You already have a view named" in html
    assert 'value="taken"' in html and 'value="view=pending&amp;priority=2"' in html
    # A department not theirs is not even a choice.
    response = client.post(CREATE, {"name": "Billing", "department": billing.pk, "query": ""})
    assert response.status_code == 422
    assert SavedView.objects.count() == 1


def test_manage_page_renames_shares_moves_and_deletes(client, dispatcher, colleague, support):
    mine = save(dispatcher, "Mine")
    theirs = save(colleague, "Theirs", department=support)
    client.force_login(dispatcher)
    html = client.get(MANAGE).content.decode()
    assert "Mine" in html and "Theirs" in html
    change = 'action="{}"'.format
    assert change(reverse("desk:saved_view_change", args=[mine.pk])) in html
    assert change(reverse("desk:saved_view_change", args=[theirs.pk])) not in html  # not theirs

    response = client.post(
        reverse("desk:saved_view_change", args=[mine.pk]),
        {"name": "Mine, shared", "department": support.pk},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.name, mine.department) == ("Mine, shared", support)

    client.post(reverse("desk:saved_view_move", args=[theirs.pk]), {"direction": "up"})
    assert SidebarOrder.objects.get(user=dispatcher).view_ids == [theirs.pk, mine.pk]

    # Someone else's view: no edit, no delete (404), but it may be ordered.
    assert client.post(reverse("desk:saved_view_delete", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("desk:saved_view_change", args=[theirs.pk]), {"name": "x"}).status_code
        == 404
    )
    client.post(reverse("desk:saved_view_delete", args=[mine.pk]))
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Theirs"]


def test_saved_view_pages_are_for_staff_only(client, requester_a, dispatcher):
    view = save(dispatcher)
    client.force_login(requester_a)
    assert client.get(MANAGE).status_code == 404
    assert client.post(CREATE, {"name": "x", "query": ""}).status_code == 404
    assert client.post(reverse("desk:saved_view_move", args=[view.pk])).status_code == 404


def test_a_ticket_action_has_the_sidebar_refetch_itself(
    client, locmem_cache, django_assert_max_num_queries, dispatcher, support
):
    ticket = TicketFactory(department=support, category=StatusCategory.NEW)
    save(dispatcher, "Mine open", view="mine")
    client.force_login(dispatcher)
    assert "data-hl-count>" not in client.get(BOARD).content.decode().split("Mine open")[1][:200]

    response = client.post(
        reverse("desk:take", args=[ticket.pk]), {"version": ticket.version}, HTTP_HX_REQUEST="true"
    )

    # The answer does not recount the sidebar: it tells the page to fetch it afresh.
    assert response.status_code == 200
    assert 'id="desk-sidebar"' not in response.content.decode()
    assert "hl-sidebar-stale" in json.loads(response["HX-Trigger"])
    with django_assert_max_num_queries(8):
        answer = client.get(reverse("desk:sidebar"), HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert '<div id="desk-sidebar" hx-swap-oob="true"' in html
    assert 'hx-trigger="hl-sidebar-stale from:body"' in html
    # The views and their counts only: the "Save this view" form (and what is typed in it) stays.
    assert "data-hl-save-view" not in html
    sidebar = html.split('id="desk-sidebar"')[1]
    # The built-in "My open" and the saved view on it both count the request just taken.
    assert '<span class="badge rounded-pill text-bg-primary">1</span>' in sidebar
    assert "data-hl-count>1</span>" in sidebar.split("Mine open")[1][:200]


@pytest.mark.parametrize("views", [1, 10])
def test_manage_page_queries_do_not_grow_with_views(
    client, locmem_cache, django_assert_num_queries, dispatcher, colleague, support, views
):
    for n in range(views):
        save(dispatcher, f"Mine {n}", department=support)
        save(colleague, f"Theirs {n}", department=support)
    SiteSettings.current()
    client.force_login(dispatcher)
    client.get(MANAGE)  # warms the sidebar
    # 1 session, 2 user, 3 the views (owner, department and the agent's order joined), 4 the
    # departments they may share with (once for every form); the site settings and the agent's
    # rights are reference data (helpline.core.reference).
    with django_assert_num_queries(4):
        response = client.get(MANAGE)
    assert response.content.decode().count('name="name"') == views


def test_saved_views_add_no_query_to_a_warm_page_on_the_database_cache(
    client, django_capture_on_commit_callbacks, dispatcher, support
):
    # The installation's own cache (a database table): one read serves all the sidebar's counts.
    TicketFactory(department=support)
    SiteSettings.current()
    client.force_login(dispatcher)

    def warm_queries() -> list[str]:
        client.get(reverse("desk:new"))
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("desk:new"))
        return [q["sql"] for q in queries]

    without = warm_queries()
    with django_capture_on_commit_callbacks(execute=True):
        save(dispatcher, "Open", department=support)
        save(dispatcher, "Pending", view="pending")
    with_views = warm_queries()

    assert len(with_views) == len(without)
    # One read for all the sidebar's counts, one for the reference data's generation token
    # (helpline.core.reference: statuses, departments, rights kept per process).
    assert sum("helpline_cache" in sql for sql in with_views) == 2
