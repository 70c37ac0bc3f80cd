"""Journey 5: an administrator sets up a sub-department and a colleague; the event log shows it."""

from playwright.sync_api import expect

from e2e.pages.manage_department import NewDepartmentPage
from e2e.pages.manage_events import EventLogPage
from e2e.pages.manage_staff import NewStaffPage
from helpline.accounts.models import Department, User


def test_admin_creates_department_and_staff(
    open_as, screenshot, browser_errors, admin_user, support
):
    # Given an administrator in the administration pages
    admin = open_as(admin_user)

    # When she creates "Network" under Support, for the 2nd line
    NewDepartmentPage(admin).create(name="Network", parent="Support", line="2nd line (specialist)")

    # And opens an account for a network specialist with view and reply rights there
    staff = NewStaffPage(admin)
    staff.create(
        first_name="Nora",
        last_name="Netwright",
        email="nora@desk.test",
        line="2nd line (specialist)",
        password="a-long-initial-pass-42",
    )
    staff.grant("Network", "View", "Reply")

    # Then both exist as she set them up
    network = Department.objects.get(name="Network")
    assert network.parent == support
    nora = User.objects.get(email="nora@desk.test")
    membership = nora.memberships.get(department=network)
    assert (membership.can_view, membership.can_reply, membership.can_manage) == (True, True, False)

    # And the event log shows the new department and the new account, done by her
    log = EventLogPage(admin).open()
    for action, name in (("department.created", "Network"), ("staff.created", "Nora")):
        row = log.rows(action)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(name)
        expect(row).to_contain_text(admin_user.display_name)
    screenshot(admin, "14-manage-event-log")
    assert not browser_errors, "\n".join(browser_errors)
