"""Named personas shared by the whole suite: one small desk with two client organisations.

Support (1st line) → Software (2nd line); Billing; Vendor (external provider's department).
"""

import pytest

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)

PASSWORD = "secret-pass-123"  # noqa: S105


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
