"""Fixtures for the knowledge base: a category tree, an editor (manages Support) and articles of
each visibility."""

import pytest
from allauth.account.models import EmailAddress

from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.core.models import SiteSettings
from helpline.kb import services
from helpline.kb.models import Category, Visibility


def prove(user):
    EmailAddress.objects.filter(user=user).update(verified=True)
    user._helpline_verified = True
    return user


@pytest.fixture(autouse=True)
def site_settings(db):
    return SiteSettings.current()


@pytest.fixture
def editor(support):
    """Manages Support: writes and publishes in Support's categories."""
    user = StaffFactory(email="editor@desk.test", first_name="Edith")
    MembershipFactory(user=user, department=support, can_manage=True)
    return user


@pytest.fixture
def category(support, supervisor):
    return services.category_save(
        actor=supervisor,
        category=Category(),
        name="Network",
        department=support,
        parent=None,
        description="",
        order=0,
    )


@pytest.fixture
def subcategory(category, supervisor, support):
    return services.category_save(
        actor=supervisor,
        category=Category(),
        name="VPN",
        department=support,
        parent=category,
        description="",
        order=0,
    )


def publish(
    actor,
    category,
    title,
    *,
    body="Restart the router.",
    visibility=Visibility.PUBLIC,
    organisations=(),
    **fields,
):
    return services.article_create(
        actor=actor,
        category=category,
        title=title,
        body=body,
        visibility=visibility,
        organisations=organisations,
        publish=True,
        **fields,
    )


@pytest.fixture
def public_article(editor, subcategory):
    return publish(
        editor,
        subcategory,
        "VPN drops every hour",
        body="Renew the **VPN** lease.",
        tags="vpn, network",
    )


@pytest.fixture
def staff_article(editor, category):
    return publish(
        editor,
        category,
        "Router admin password",
        body="STAFF-SECRET in the vault",
        visibility=Visibility.STAFF,
    )


@pytest.fixture
def acme_article(editor, category, org_a):
    return publish(
        editor,
        category,
        "Acme VPN gateway",
        body="ACME-ONLY gateway address",
        visibility=Visibility.ORGANISATIONS,
        organisations=[org_a],
    )


@pytest.fixture
def draft_article(dispatcher, category):
    return services.article_create(
        actor=dispatcher, category=category, title="Printer jams", body="DRAFT-TEXT open tray 2"
    )
