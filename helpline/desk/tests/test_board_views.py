"""Who sees which requests in which board view, the filters, search and access to the board."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.core.reference import changed as reference_changed
from helpline.search import engine
from helpline.tickets.models import Channel, Priority, StatusCategory, Tag, TicketClass
from helpline.tickets.tests.factories import TicketFactory, status_of

BOARD = reverse("desk:board")


@pytest.fixture
def desk(
    support, software, billing, vendor_department, dispatcher, specialist, external, requester_a
):
    """One request of each kind the views tell apart, named by where it sits."""
    old = timezone.now() - timedelta(days=30)
    make = TicketFactory
    return {
        "support_new": make(department=support, requester=requester_a),
        "support_dispatcher": make(
            department=support, assignee=dispatcher, category=StatusCategory.OPEN
        ),
        "support_old": make(department=support, last_activity_at=old),
        "support_closed": make(department=support, category=StatusCategory.CLOSED),
        "support_deleted": make(department=support, deleted_at=timezone.now()),
        "software_specialist": make(
            department=software, assignee=specialist, category=StatusCategory.OPEN
        ),
        "software_on_hold": make(department=software, category=StatusCategory.ON_HOLD),
        "billing_pending": make(department=billing, category=StatusCategory.PENDING),
        "billing_external": make(
            department=billing, assignee=external, category=StatusCategory.OPEN
        ),
        "vendor": make(department=vendor_department),
    }


def shown(client, user, **params) -> set[int]:
    client.force_login(user)
    response = client.get(BOARD, params)
    assert response.status_code == 200
    return {t.pk for t in response.context["page"].tickets}


def ids(desk, *names) -> set[int]:
    return {desk[name].pk for name in names}


VIEWS_BY_PERSONA = {
    "dispatcher": {
        "mine": ["support_dispatcher"],
        "unassigned": ["support_new", "support_old", "software_on_hold"],
        "open": [
            "support_new",
            "support_dispatcher",
            "support_old",
            "software_specialist",
            "software_on_hold",
        ],
        "pending": ["software_on_hold"],
        "recent": [
            "support_new",
            "support_dispatcher",
            "support_closed",
            "software_specialist",
            "software_on_hold",
        ],
        "archive": ["support_closed"],
    },
    "specialist": {
        "mine": ["software_specialist"],
        "unassigned": ["software_on_hold"],
        "open": ["software_specialist", "software_on_hold"],
        "pending": ["software_on_hold"],
        "archive": [],
    },
    "billing_agent": {
        "mine": [],
        "unassigned": ["billing_pending"],
        "open": ["billing_pending", "billing_external"],
        "pending": ["billing_pending"],
    },
    # The external provider sees their own department and what is assigned to them, no more.
    "external": {
        "mine": ["billing_external"],
        "unassigned": ["vendor"],
        "open": ["vendor", "billing_external"],
        "pending": [],
        "all": ["vendor", "billing_external"],
    },
    "supervisor": {
        "unassigned": [
            "support_new",
            "support_old",
            "software_on_hold",
            "billing_pending",
            "vendor",
        ],
        "pending": ["software_on_hold", "billing_pending"],
        "archive": ["support_closed"],
        "trash": ["support_deleted"],
        "all": [
            "support_new",
            "support_dispatcher",
            "support_old",
            "support_closed",
            "software_specialist",
            "software_on_hold",
            "billing_pending",
            "billing_external",
            "vendor",
        ],
    },
}


@pytest.mark.parametrize(
    ("persona", "view"),
    [(p, v) for p, views in VIEWS_BY_PERSONA.items() for v in views],
)
def test_view_membership(request, client, desk, persona, view):
    user = request.getfixturevalue(persona)
    expected = ids(desk, *VIEWS_BY_PERSONA[persona][view])
    assert shown(client, user, view=view) == expected


def test_agent_outside_every_department_sees_nothing(client, desk):
    outsider = StaffFactory(email="outsider@desk.test")
    for view in ("mine", "unassigned", "open", "pending", "recent", "archive", "all"):
        assert shown(client, outsider, view=view) == set(), view


def test_default_view_is_all_open_in_my_departments(client, desk, dispatcher):
    client.force_login(dispatcher)
    response = client.get(BOARD)
    assert response.context["view"].key == "open"
    assert response.context["current_view"] == "open"


def test_trash_needs_manage_right_else_falls_back(client, desk, dispatcher, support):
    assert shown(client, dispatcher, view="trash") == shown(client, dispatcher, view="open")
    dispatcher.memberships.filter(department=support).update(can_manage=True)
    reference_changed()  # a queryset update sends no signal; services save
    assert shown(client, dispatcher, view="trash") == ids(desk, "support_deleted")


def test_trash_link_only_for_those_who_can_delete(client, desk, dispatcher, supervisor):
    client.force_login(dispatcher)
    assert b"?view=trash" not in client.get(BOARD).content
    client.force_login(supervisor)
    assert b"?view=trash" in client.get(BOARD).content


def test_row_markup(client, desk, dispatcher):
    client.force_login(dispatcher)
    ticket = desk["support_dispatcher"]
    html = client.get(BOARD, {"view": "mine"}).content.decode()
    url = reverse("desk:ticket", args=[ticket.pk])
    assert f'data-hl-row id="ticket-row-{ticket.pk}"' in html
    assert f'name="ids" value="{ticket.pk}" data-hl-bulk' in html
    assert f'href="{url}" data-hl-open' in html
    assert "hl-status hl-status-open" in html
    assert "hl-prio-2" in html
    assert "bi-circle" in html and "Normal" in html  # never by colour alone
    assert ticket.subject in html


def test_row_values_are_escaped(client, support, dispatcher, requester_a):
    # The rows are HTML built in Python (helpline/desk/rows.py): nothing typed reaches the page
    # as markup, in any cell.
    ticket = TicketFactory(
        department=support, requester=requester_a, subject="<b>Printer</b> & \"toner\" 'now'"
    )
    ticket.tags.add(Tag.objects.create(name="<i>tag</i>"))
    requester_a.first_name, requester_a.last_name = "<Ann>", "O'Neil & Co"
    requester_a.save()
    client.force_login(dispatcher)
    html = client.get(BOARD).content.decode()
    assert "&lt;b&gt;Printer&lt;/b&gt; &amp; &quot;toner&quot; &#x27;now&#x27;" in html
    assert 'title="&lt;b&gt;Printer&lt;/b&gt; &amp; &quot;toner&quot; &#x27;now&#x27;"' in html
    assert '<span class="badge hl-tag">&lt;i&gt;tag&lt;/i&gt;</span>' in html
    assert "<span>&lt;Ann&gt; O&#x27;Neil &amp; Co</span>" in html
    assert "<b>Printer" not in html and "<i>tag" not in html and "<Ann>" not in html


def test_row_tags_in_name_order_and_none_without(client, support, dispatcher):
    # The names come in the page's own statement (a JSON array per row, on both databases).
    tagged = TicketFactory(department=support, subject="Tagged")
    for name in ("zeta", "Åse", "alpha", 'a "quoted", name'):
        tagged.tags.add(Tag.objects.create(name=name))
    plain = TicketFactory(department=support, subject="Plain")
    client.force_login(dispatcher)
    html = client.get(BOARD).content.decode()
    tagged_row = html[html.index(f'id="ticket-row-{tagged.pk}"') :].split("</tr>")[0]
    plain_row = html[html.index(f'id="ticket-row-{plain.pk}"') :].split("</tr>")[0]
    names = [str(t) for t in Tag.objects.filter(tickets=tagged).order_by("name")]
    assert tagged_row.count("hl-tag") == 4
    shown = [part.split("</span>")[0] for part in tagged_row.split('hl-tag">')[1:]]
    assert shown == [n.replace('"', "&quot;") for n in names]
    assert "hl-tag" not in plain_row


def test_empty_view_has_a_friendly_message(client, dispatcher):
    client.force_login(dispatcher)
    html = client.get(BOARD, {"view": "mine"}).content.decode()
    assert "Nothing open is assigned to you" in html
    assert "hl-board" not in html


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
def varied(support, software, billing, dispatcher, specialist, requester_a, requester_b):
    vip = Tag.objects.create(name="vip")
    tickets = {
        "a": TicketFactory(
            department=support,
            requester=requester_a,
            subject="VPN drops every hour",
            priority=Priority.HIGH,
            channel=Channel.EMAIL,
            ticket_class=TicketClass.SERVICE_REQUEST,
            assignee=dispatcher,
        ),
        "b": TicketFactory(
            department=software,
            requester=requester_b,
            subject="Printer jammed",
            priority=Priority.LOW,
            channel=Channel.PHONE,
            category=StatusCategory.PENDING,
        ),
        "c": TicketFactory(
            department=support,
            requester=requester_b,
            subject="Invoice twice",
            assignee=specialist,
            category=StatusCategory.OPEN,
        ),
    }
    tickets["b"].tags.add(vip)
    tickets["vip"] = vip
    return tickets


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"priority": "3"}, {"a"}),
        ({"ticket_class": "service_request"}, {"a"}),
        ({"channel": "phone"}, {"b"}),
        ({"responsible": "me"}, {"a"}),
        ({"responsible": "none"}, {"b"}),
        ({"q": "printer"}, {"b"}),
        ({"q": "PRINTER", "channel": "email"}, set()),
        ({"priority": "not-a-number"}, {"a", "b", "c"}),
        ({"organisation": "999999"}, {"a", "b", "c"}),
    ],
)
def test_filters(client, varied, dispatcher, params, expected):
    result = shown(client, dispatcher, view="open", **params)
    assert result == {varied[k].pk for k in expected}


def test_filter_by_object_choices(client, varied, dispatcher, specialist, software, org_b):
    def only(**params):
        return shown(client, dispatcher, view="open", **params)

    assert only(status=str(status_of(StatusCategory.PENDING).pk)) == {varied["b"].pk}
    assert only(department=str(software.pk)) == {varied["b"].pk}
    assert only(responsible=str(specialist.pk)) == {varied["c"].pk}
    assert only(organisation=str(org_b.pk)) == {varied["b"].pk, varied["c"].pk}
    assert only(tag=str(varied["vip"].pk)) == {varied["b"].pk}


def test_department_filter_includes_sub_departments(client, varied, dispatcher, support):
    assert shown(client, dispatcher, view="open", department=str(support.pk)) == {
        varied["a"].pk,
        varied["b"].pk,
        varied["c"].pk,
    }


def test_department_filter_offers_only_viewable_departments(client, specialist, billing):
    client.force_login(specialist)
    response = client.get(BOARD)
    values = [v for v, _label in response.context["form"].fields["department"].choices]
    assert str(billing.pk) not in values


def test_sort_by_priority_and_created(client, varied, dispatcher):
    a, b, c = varied["a"].pk, varied["b"].pk, varied["c"].pk
    client.force_login(dispatcher)

    def order(**params):
        return [t.pk for t in client.get(BOARD, params).context["page"].tickets]

    assert order(view="open", sort="priority") == [a, c, b]
    assert order(view="open", sort="priority", dir="asc") == [b, c, a]
    assert order(view="open", sort="created", dir="asc") == [a, b, c]
    assert order(view="open", sort="created") == [c, b, a]


def test_number_jumps_to_a_visible_ticket(client, varied, dispatcher):
    client.force_login(dispatcher)
    ticket = varied["a"]
    for text in (f"#{ticket.pk}", str(ticket.pk), f" #{ticket.pk} "):
        response = client.get(BOARD, {"view": "all", "q": text})
        assert response.status_code == 302
        assert response["Location"] == reverse("desk:ticket", args=[ticket.pk])


@pytest.mark.parametrize("cap", [5000, 0])
def test_text_filter_keeps_order_and_access_below_and_over_the_cap(
    client, monkeypatch, dispatcher, support, billing, cap
):
    # Under the cap the board filters by the ids the engine answered; over it (a common word)
    # by the match set in SQL: the same requests, in the board's order, only the visible ones.
    monkeypatch.setattr(engine, "MATCH_CAP", cap)
    now = timezone.now()
    first, second, third = (
        TicketFactory(
            department=support, subject=f"Printer {i}", created_at=now - timedelta(days=3 - i)
        )
        for i in range(3)
    )
    TicketFactory(department=support, subject="Scanner")
    TicketFactory(department=billing, subject="Printer in billing")
    client.force_login(dispatcher)

    def order(**params):
        return [t.pk for t in client.get(BOARD, {"view": "all", **params}).context["page"].tickets]

    assert order(q="printer", sort="created", dir="asc") == [first.pk, second.pk, third.pk]
    assert order(q="printer", sort="created") == [third.pk, second.pk, first.pk]
    assert order(q="zqxj") == []


def test_number_of_an_invisible_ticket_does_not_jump(client, billing, dispatcher):
    hidden = TicketFactory(department=billing)
    client.force_login(dispatcher)
    response = client.get(BOARD, {"view": "all", "q": f"#{hidden.pk}"})
    assert response.status_code == 200
    assert response.context["page"].tickets == []


def test_number_jump_over_htmx_uses_a_client_redirect(client, varied, dispatcher):
    client.force_login(dispatcher)
    response = client.get(BOARD, {"q": f"#{varied['a'].pk}"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("desk:ticket", args=[varied["a"].pk])


def test_htmx_request_gets_only_the_list(client, varied, dispatcher):
    client.force_login(dispatcher)
    response = client.get(BOARD, {"view": "open", "priority": "3"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-list"')
    assert "<html" not in html and "board-filters" not in html
    assert "HX-Request" in response["Vary"]
    assert response["HX-Push-Url"] == f"{BOARD}?view=open&priority=3"
    assert varied["a"].subject in html and varied["b"].subject not in html


# --- access ---------------------------------------------------------------------------------

DESK_URLS = [
    ("get", reverse("desk:board")),
    ("get", reverse("desk:new")),
    ("post", reverse("desk:new")),
    ("get", reverse("desk:requester_lookup") + "?find=ali"),
    ("post", reverse("desk:bulk")),
]


@pytest.mark.parametrize(("method", "url"), DESK_URLS)
def test_requester_gets_404_everywhere(client, requester_a, method, url):
    client.force_login(requester_a)
    assert getattr(client, method)(url).status_code == 404


@pytest.mark.parametrize(("method", "url"), DESK_URLS)
def test_inactive_staff_gets_redirected_or_404(client, dispatcher, method, url):
    dispatcher.is_active = False
    dispatcher.save()
    client.force_login(dispatcher)
    assert getattr(client, method)(url).status_code in (302, 404)


@pytest.mark.parametrize(("method", "url"), DESK_URLS)
def test_anonymous_is_sent_to_sign_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_every_staff_role_opens_the_board(client, db):
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.EXTERNAL):
        user = StaffFactory(role=role)
        MembershipFactory(user=user)
        client.force_login(user)
        assert client.get(BOARD).status_code == 200, role
