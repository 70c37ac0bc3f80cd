"""What the desk shows about other requests and offers in its lists follows the same rule as
opening them (helpline.tickets.access): a request the viewer cannot open stays anonymous, and
filters and pickers offer only what the person may use."""

import pytest
from django.urls import reverse

from helpline.accounts.tests.factories import MembershipFactory, StaffFactory, UserFactory
from helpline.tickets import services
from helpline.tickets.models import Tag
from helpline.tickets.tests.factories import TicketFactory

from .ticket_support import site_settings_row  # noqa: F401 (autouse fixture)

SECRET = "Payroll export for the board"


@pytest.fixture
def secret(requester_b, billing):
    return TicketFactory(requester=requester_b, department=billing, subject=SECRET)


@pytest.fixture
def mine(requester_a, support):
    return TicketFactory(requester=requester_a, department=support, subject="VPN drops")


def page(client, user, ticket) -> str:
    client.force_login(user)
    response = client.get(reverse("desk:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_linked_request_the_viewer_cannot_open_is_anonymous(
    client, mine, secret, supervisor, dispatcher
):
    services.ticket_link(ticket=mine, other=secret, actor=supervisor)

    html = page(client, dispatcher, mine)

    assert "A linked request you cannot see" in html
    assert SECRET not in html
    assert f"#{secret.pk} " not in html
    assert reverse("desk:ticket", args=[secret.pk]) not in html
    # and it cannot be unlinked from here: that needs the right on both requests.
    assert reverse("desk:unlink", args=[mine.pk, secret.pk]) not in html


def test_a_linked_request_the_viewer_can_open_is_shown(client, mine, secret, supervisor):
    services.ticket_link(ticket=mine, other=secret, actor=supervisor)
    html = page(client, supervisor, mine)
    assert SECRET in html
    assert reverse("desk:unlink", args=[mine.pk, secret.pk]) in html


def test_unlinking_a_request_one_cannot_open_is_refused(
    client, mine, secret, supervisor, dispatcher
):
    services.ticket_link(ticket=mine, other=secret, actor=supervisor)
    client.force_login(dispatcher)
    client.post(reverse("desk:unlink", args=[mine.pk, secret.pk]))
    assert mine.links.filter(pk=secret.pk).exists()


def test_merged_requests_the_viewer_cannot_open_are_anonymous(
    client, requester_a, support, billing, supervisor, dispatcher
):
    source = TicketFactory(requester=requester_a, department=support, subject="Printer A")
    target = TicketFactory(requester=requester_a, department=billing, subject=SECRET)
    services.ticket_merge(source=source, target=target, actor=supervisor)
    services.ticket_link(
        ticket=TicketFactory(requester=requester_a, department=support),
        other=source,
        actor=supervisor,
    )

    html = page(client, dispatcher, source)

    assert "merged into a request you cannot see" in html
    assert SECRET not in html
    assert reverse("desk:ticket", args=[target.pk]) not in html
    assert f"merged into #{target.pk}" not in html


def test_a_request_merged_from_where_the_viewer_cannot_look_is_anonymous(
    client, requester_a, support, billing, supervisor, dispatcher
):
    source = TicketFactory(requester=requester_a, department=billing, subject=SECRET)
    target = TicketFactory(requester=requester_a, department=support, subject="Printer A")
    services.ticket_merge(source=source, target=target, actor=supervisor)

    html = page(client, dispatcher, target)

    assert "A request you cannot see was merged into this request" in html
    assert f"#{source.pk} was merged" not in html


# --- lists ----------------------------------------------------------------------------------


def offered(client, kind: str, text: str = "") -> str:
    """What the board's typeahead look-up for `kind` offers (nothing is listed in the page)."""
    response = client.get(reverse("desk:lookup", args=[kind]), {"q": text})
    assert response.status_code == 200
    return response.content.decode()


def test_board_filters_offer_only_the_agents_organisations_tags_and_colleagues(
    client, dispatcher, billing_agent, mine, secret, org_a, org_b
):
    mine.tags.add(Tag.objects.create(name="vpn"))
    secret.tags.add(Tag.objects.create(name="payroll"))
    client.force_login(dispatcher)
    html = client.get(reverse("desk:board")).content.decode()
    assert f"{org_a.name}</option>" not in html and "vpn</option>" not in html  # no lists

    assert org_a.name in offered(client, "organisation")
    assert org_b.name not in offered(client, "organisation")
    assert org_b.name not in offered(client, "organisation", org_b.name)
    assert "vpn" in offered(client, "tag") and "payroll" not in offered(client, "tag", "pay")
    assert billing_agent.display_name not in offered(client, "responsible")
    assert billing_agent.display_name not in offered(
        client, "responsible", billing_agent.first_name
    )


def test_a_filter_naming_what_the_agent_cannot_see_is_ignored(
    client, dispatcher, mine, secret, org_b
):
    client.force_login(dispatcher)
    html = client.get(
        reverse("desk:board"), {"view": "all", "organisation": str(org_b.pk)}
    ).content.decode()
    assert org_b.name not in html  # neither in the field nor in a chip
    assert mine.subject in html  # and the filter does not apply


def test_supervisors_are_offered_everything(client, supervisor, billing_agent, mine, secret):
    secret.tags.add(Tag.objects.create(name="payroll"))
    client.force_login(supervisor)
    assert secret.organisation.name in offered(client, "organisation", secret.organisation.name)
    assert "payroll" in offered(client, "tag")
    assert billing_agent.display_name in offered(client, "responsible", billing_agent.first_name)


def test_external_provider_has_no_requester_directory(
    client, external, requester_a, requester_b, vendor_department
):
    TicketFactory(requester=requester_a, department=vendor_department)
    UserFactory(email="bobby@elsewhere.test", first_name="Bobby")
    client.force_login(external)

    found = client.get(reverse("desk:requester_lookup"), {"find": "bob"}).content.decode()
    assert "Bob" not in found  # neither requester B nor Bobby: not their work
    found = client.get(reverse("desk:requester_lookup"), {"find": "alice"}).content.decode()
    assert f'value="{requester_a.pk}"' in found

    html = client.get(reverse("desk:new")).content.decode()
    assert "New requester" not in html


def test_external_provider_cannot_enter_a_new_requester(client, external, vendor_department):
    client.force_login(external)
    response = client.post(
        reverse("desk:new"),
        {
            "new_email": "someone@new.test",
            "channel": "phone",
            "subject": "Toner",
            "body": "Empty",
            "ticket_class": "incident",
            "department": str(vendor_department.pk),
            "impact": "2",
            "urgency": "2",
        },
    )
    assert response.status_code == 200
    assert "requesters of your own work" in response.content.decode()
    assert not external.requested_tickets.exists()


def test_agents_still_find_any_caller(client, dispatcher, requester_b):
    client.force_login(dispatcher)
    found = client.get(reverse("desk:requester_lookup"), {"find": "bob"}).content.decode()
    assert f'value="{requester_b.pk}"' in found


def test_new_request_is_offered_only_where_the_agent_may_reply(client, support, billing):
    agent = StaffFactory()
    MembershipFactory(user=agent, department=support)
    MembershipFactory(user=agent, department=billing, can_reply=False)
    client.force_login(agent)
    response = client.get(reverse("desk:new"))
    offered = [v for v, _ in response.context["form"].fields["department"].choices]
    assert offered == [str(support.pk)]
