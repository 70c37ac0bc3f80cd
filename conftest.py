"""Named personas shared by the whole suite: one small desk with two client organisations.

Support (1st line) → Software (2nd line); Billing; Vendor (external provider's department).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)

PASSWORD = "secret-pass-123"  # noqa: S105 (test personas only)


@pytest.fixture(autouse=True)
def reference_forgotten():
    """Each test reads reference data (statuses, departments, rights) from its own database:
    nothing kept in this process from another test, whose rows were rolled back."""
    from helpline.core.reference import forget

    forget()
    yield
    forget()


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
E2E_DIR = Path(__file__).resolve().parent / "e2e"


def chromium_path() -> str:
    """The system Chromium (HELPLINE_CHROMIUM overrides the Debian path; never a downloaded one)."""
    return os.environ.get("HELPLINE_CHROMIUM") or shutil.which("chromium") or CHROMIUM


@pytest.fixture(scope="session")
def browser_executable():
    """The system Chromium for Playwright tests; skips them, saying how to install it, if absent."""
    path = chromium_path()
    if not os.access(path, os.X_OK):
        pytest.skip("Chromium not installed: apt-get install chromium")
    return path


def _strict() -> bool:
    return os.environ.get("HELPLINE_TEST_STRICT") == "1"


_skipped: list[str] = []
_browser_passed: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        _skipped.append(f"{report.nodeid}: {reason}")
    if report.when == "call" and report.passed and "browser" in report.keywords:
        _browser_passed.append(report.nodeid)


def _whole_suite(config) -> bool:
    """Did the run ask for the browser tests: no -k/-m subset, e2e/ among (or under) its paths?"""
    if config.option.keyword or config.option.markexpr:
        return False
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        path = (path if path.is_absolute() else Path(config.invocation_params.dir) / path).resolve()
        if path == E2E_DIR or path in E2E_DIR.parents or E2E_DIR in path.parents:
            return True
    return False


def _browser_tests_missing(config) -> bool:
    return _strict() and not _browser_passed and _whole_suite(config)


def pytest_terminal_summary(terminalreporter):
    if _strict() and _skipped:
        terminalreporter.section("HELPLINE_TEST_STRICT: skipped tests fail the run", red=True)
        for line in _skipped:
            terminalreporter.write_line(line)
    if _browser_tests_missing(terminalreporter.config):
        terminalreporter.section("HELPLINE_TEST_STRICT: no browser test ran", red=True)
        terminalreporter.write_line(
            "The run included e2e/, but no test marked `browser` passed: the browser journeys "
            "are required in strict mode (apt-get install chromium)."
        )


def pytest_sessionfinish(session, exitstatus):
    # Strict mode (CI): a component that is missing must fail the run, not hide behind a skip;
    # and a whole-suite run must really have driven the browser at least once.
    if not _strict() or session.exitstatus != 0:
        return
    if _skipped or _browser_tests_missing(session.config):
        session.exitstatus = 1


# --- the event log's guard and the flush of transactional tests ----------------------------


def _flushes(item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    return transactional or {"transactional_db", "live_server"} & set(item.fixturenames)


def _event_log_retention_flag(blocker, *, hold: bool) -> None:
    sql = (
        "INSERT INTO audit_event_retention (id, started_at) VALUES (1, CURRENT_TIMESTAMP)"
        " ON CONFLICT (id) DO NOTHING"
        if hold
        else "DELETE FROM audit_event_retention"
    )
    with blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute(sql)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (threads, browser journeys) ends with a flush that empties every
    table (DELETE on SQLite, TRUNCATE on PostgreSQL), which the event log's triggers refuse:
    hold its retention flag while the test's fixtures are torn down. The flag table is no Django
    model, so the flush leaves its row for this hook to remove."""
    blocker = item.funcargs.get("django_db_blocker")
    if blocker is None or not _flushes(item):
        return (yield)
    _event_log_retention_flag(blocker, hold=True)
    try:
        return (yield)
    finally:
        # After the session's last test the teardown has dropped the test database already.
        if nextitem is not None:
            _event_log_retention_flag(blocker, hold=False)
