"""Away status: set by each staff member for themself, shown next to their name."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.teamwork.models import Availability, StaffStatus
from helpline.teamwork.reference import absences
from helpline.teamwork.services import staff_status_set


def test_setting_and_clearing_an_absence(dispatcher):
    until = timezone.localdate() + datetime.timedelta(days=3)
    staff_status_set(actor=dispatcher, state=Availability.OFF, until=until)
    assert absences() == {dispatcher.pk: (Availability.OFF, until)}

    staff_status_set(actor=dispatcher, state=Availability.PRESENT, until=until)
    assert absences() == {}
    assert StaffStatus.objects.get(user=dispatcher).until is None
    assert Event.objects.filter(action="staff.status_set").count() == 2


def test_requesters_have_no_status_and_the_end_must_be_ahead(requester_a, dispatcher):
    with pytest.raises(PermissionDenied):
        staff_status_set(actor=requester_a, state=Availability.AWAY)
    with pytest.raises(ValidationFailed):
        staff_status_set(actor=dispatcher, state=Availability.OFF, until=timezone.localdate())


def test_the_status_page_sets_ones_own_status_and_goes_back(client, dispatcher, ticket_page):
    client.force_login(dispatcher)
    response = client.get(reverse("teamwork:status"))
    assert response.status_code == 200 and 'name="state"' in response.content.decode()

    response = client.post(
        reverse("teamwork:status"),
        {"state": "away", "until": "", "skills": "VPN, printers,", "next": ticket_page},
    )

    assert response.status_code == 302 and response["Location"] == ticket_page
    status = StaffStatus.objects.get(user=dispatcher)
    assert status.state == Availability.AWAY and status.skills == ["printers", "vpn"]
    assert 'value="printers, vpn"' in client.get(reverse("teamwork:status")).content.decode()


def test_the_status_page_refuses_a_foreign_next_and_a_past_date(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(
        reverse("teamwork:status"), {"state": "away", "next": "https://evil.test/"}
    )
    assert response["Location"] == reverse("teamwork:status")
    response = client.post(reverse("teamwork:status"), {"state": "off", "until": "2000-01-01"})
    assert response.status_code == 422
    assert "must be in the future" in response.content.decode()


def test_the_header_and_the_assignee_list_show_who_is_away(client, dispatcher, supervisor, ticket):
    staff_status_set(actor=supervisor, state=Availability.AWAY)
    staff_status_set(actor=dispatcher, state=Availability.OFF)
    client.force_login(dispatcher)

    html = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()

    assert 'data-hl-status="off"' in html
    assert "Sue" in html and "(away)" in html


@pytest.fixture
def ticket_page(ticket):
    return reverse("desk:ticket", args=[ticket.pk])
