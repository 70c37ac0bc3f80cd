"""The knowledge base's journeys: a requester's question answered by a suggested article before
they send it, and a staff member approving a reader's comment."""

from playwright.sync_api import expect

from e2e.conftest import PHONE, WIDE
from e2e.pages.help_centre import HelpArticlePage, ModerationPage, Suggestions
from e2e.pages.portal_new import NewRequestPage
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.kb import services
from helpline.kb.models import ArticleComment, ArticleVote, Category, Deflection

TITLE = "The VPN disconnects every hour"


def _article(support):
    admin = StaffFactory(email="kb-admin@desk.test", role="admin")
    category = services.category_save(
        actor=admin,
        category=Category(),
        name="Network and VPN",
        department=support,
        parent=None,
        description="",
        order=0,
    )
    return services.article_create(
        actor=admin,
        category=category,
        title=TITLE,
        summary="Turn on automatic reconnection.",
        body="1. Open the VPN client.\n2. Switch on **Reconnect automatically**.",
        tags="vpn, network",
        publish=True,
    )


def test_a_suggested_article_answers_the_question(
    open_as, screenshot, browser_errors, requester_a, support
):
    article = _article(support)
    # Given a requester writing a new request
    portal = open_as(requester_a, viewport=WIDE)
    NewRequestPage(portal).open()
    # When she types her question
    portal.get_by_label("Subject").press_sequentially("vpn disconnects", delay=30)
    # Then a matching article appears beside the form
    suggestions = Suggestions(portal)
    expect(suggestions.link(TITLE)).to_be_visible()
    screenshot(portal, "kb-01-suggestions-1440")
    # When she opens it (in a new tab: her text stays in the form) and marks it helpful
    with portal.context.expect_page() as opened:
        suggestions.link(TITLE).click()
    reader = opened.value
    reader.wait_for_load_state()
    help_page = HelpArticlePage(reader)
    expect(reader.get_by_role("heading", name=TITLE)).to_be_visible()
    help_page.mark_helpful()
    expect(help_page.thanks).to_be_visible()
    screenshot(reader, "kb-02-article-voted-1440")
    # Then the vote and the opened suggestion (a request perhaps deflected) are recorded
    assert ArticleVote.objects.get(article=article, user=requester_a).helpful is True
    deflection = Deflection.objects.get(article=article)
    assert deflection.ticket is None and "vpn" in deflection.query
    assert not browser_errors

    phone = open_as(requester_a, viewport=PHONE)
    HelpArticlePage(phone).open(article.pk)
    screenshot(phone, "kb-03-article-390")


def test_staff_approve_a_comment(open_as, screenshot, browser_errors, requester_a, support):
    article = _article(support)
    services.comment_add(actor=requester_a, article=article, body="Worked after a restart")
    editor = StaffFactory(email="editor@desk.test", first_name="Edith")
    MembershipFactory(user=editor, department=support, can_manage=True)
    # Given the editor on the desk: the sidebar counts one comment waiting
    desk = open_as(editor, viewport=WIDE)
    moderation = ModerationPage(desk).open()
    expect(desk.locator("[data-hl-kb-pending]")).to_have_text("1 comment to moderate")
    screenshot(desk, "kb-04-moderation-1440")
    # When they approve it
    moderation.select("Worked after a restart")
    moderation.approve()
    expect(desk.get_by_text("No comments wait for you.")).to_be_visible()
    # Then readers see it on the article
    assert ArticleComment.objects.get().status == "approved"
    reader = open_as(requester_a, viewport=PHONE)
    HelpArticlePage(reader).open(article.pk)
    expect(reader.get_by_text("Worked after a restart")).to_be_visible()
    phone_desk = open_as(editor, viewport=PHONE)
    phone_desk.goto("/desk/kb/")
    screenshot(phone_desk, "kb-05-desk-articles-390")
    assert not browser_errors
