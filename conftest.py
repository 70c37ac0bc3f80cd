"""Named personas shared by the whole suite: one small desk with two client organisations.

Support (1st line) → Software (2nd line); Billing; Vendor (external provider's department).
"""

import os

import pytest

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)

PASSWORD = "secret-pass-123"  # noqa: S105 (test personas only)


@pytest.fixture
def support(db):
    return DepartmentFactory(name="Support", line=1)


@pytest.fixture
def software(support):
    return DepartmentFactory(name="Software", parent=support, line=2)


@pytest.fixture
def billing(db):
    return DepartmentFactory(name="Billing", line=1)


@pytest.fixture
def vendor_department(db):
    return DepartmentFactory(name="Vendor", line=3)


@pytest.fixture
def org_a(db):
    return OrganisationFactory(name="Acme", domain="acme.test")


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="Globex", domain="globex.test")


@pytest.fixture
def dispatcher(support):
    user = StaffFactory(email="dispatcher@desk.test", first_name="Dana", support_line=1)
    MembershipFactory(user=user, department=support)
    return user


@pytest.fixture
def specialist(software):
    user = StaffFactory(email="specialist@desk.test", first_name="Sam", support_line=2)
    MembershipFactory(user=user, department=software)
    return user


@pytest.fixture
def billing_agent(billing):
    user = StaffFactory(email="billing@desk.test", first_name="Bill", support_line=1)
    MembershipFactory(user=user, department=billing)
    return user


@pytest.fixture
def supervisor(db):
    return StaffFactory(email="supervisor@desk.test", first_name="Sue", role=Role.SUPERVISOR)


@pytest.fixture
def admin_user(db):
    return StaffFactory(email="admin@desk.test", first_name="Ada", role=Role.ADMIN)


@pytest.fixture
def external(vendor_department):
    user = StaffFactory(email="vendor@partner.test", first_name="Vic", role=Role.EXTERNAL)
    MembershipFactory(user=user, department=vendor_department, can_assign=False)
    return user


@pytest.fixture
def requester_a(org_a):
    return UserFactory(email="alice@acme.test", first_name="Alice", organisation=org_a)


@pytest.fixture
def requester_a2(org_a):
    return UserFactory(email="arthur@acme.test", first_name="Arthur", organisation=org_a)


@pytest.fixture
def requester_b(org_b):
    return UserFactory(email="bob@globex.test", first_name="Bob", organisation=org_b)


# --- test environment: system Chromium, strict mode (used by ./dev test and .ci/run) ---------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_executable():
    """The system Chromium for Playwright tests (never a downloaded browser)."""
    path = os.environ.get("HELPLINE_CHROMIUM", CHROMIUM)
    if not os.access(path, os.X_OK):
        pytest.skip("Chromium not installed: apt-get install chromium")
    return path


def _strict() -> bool:
    return os.environ.get("HELPLINE_TEST_STRICT") == "1"


_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter):
    if _strict() and _skipped:
        terminalreporter.section("HELPLINE_TEST_STRICT: skipped tests fail the run", red=True)
        for line in _skipped:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session, exitstatus):
    # Strict mode (CI): a component that is missing must fail the run, not hide behind a skip.
    if _strict() and _skipped and session.exitstatus == 0:
        session.exitstatus = 1
