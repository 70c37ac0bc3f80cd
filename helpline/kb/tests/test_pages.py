"""The kb pages doing their work: the editor and preview, review, revisions and restore, the
moderation queue, votes and comments, popular and newest, deflection, the ticket page."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from helpline.audit.models import Event
from helpline.kb import services
from helpline.kb.models import (
    Article,
    ArticleStatus,
    CommentStatus,
    Deflection,
    TicketArticle,
)
from helpline.kb.selectors import popular
from helpline.portal.tests.conftest import open_request
from helpline.tickets import services as ticket_services

from .conftest import prove, publish


def test_preview_is_sanitised(client, dispatcher):
    client.force_login(dispatcher)
    html = client.post(
        reverse("kb_desk:preview"),
        {
            "body": "**bold** <script>alert(1)</script> [x](javascript:alert(1)) "
            "<img src=x onerror=y>"
        },
    ).content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_proposal_goes_through_review(client, dispatcher, editor, category):
    client.force_login(dispatcher)
    response = client.post(
        reverse("kb_desk:new"),
        {
            "title": "Reset a password",
            "category": category.pk,
            "body": "Use the **reset** link.",
            "language": "en",
            "visibility": "public",
            # "publish" is ignored for someone who may only propose: the service refuses.
            "publish": "1",
        },
    )
    assert response.status_code == 400
    response = client.post(
        reverse("kb_desk:new"),
        {
            "title": "Reset a password",
            "category": category.pk,
            "body": "Use the **reset** link.",
            "language": "en",
            "visibility": "public",
        },
    )
    article = Article.objects.get(title="Reset a password")
    assert response.status_code == 302 and article.status == ArticleStatus.DRAFT
    client.post(reverse("kb_desk:status", args=[article.pk]), {"to": "in_review"})
    client.force_login(editor)
    queue = client.get(reverse("kb_desk:review")).content.decode()
    assert "Reset a password" in queue
    client.post(reverse("kb_desk:status", args=[article.pk]), {"to": "published"})
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED
    listing = client.get(reverse("kb_desk:articles"), {"status": "published"}).content.decode()
    assert "Reset a password" in listing
    assert (
        "Reset a password"
        not in client.get(reverse("kb_desk:articles"), {"status": "draft"}).content.decode()
    )


def test_compare_is_escaped_and_restore_works(client, editor, public_article):
    services.article_update(actor=editor, article=public_article, body="<b>new</b> text")
    client.force_login(editor)
    page = client.get(reverse("kb_desk:revisions", args=[public_article.pk])).content.decode()
    assert "&lt;b&gt;new&lt;/b&gt; text" in page and "<b>new</b>" not in page
    response = client.post(reverse("kb_desk:restore", args=[public_article.pk, 1]))
    assert response.status_code == 302
    public_article.refresh_from_db()
    assert public_article.body == "Renew the **VPN** lease." and public_article.revision == 3


def test_vote_comment_and_moderation(client, requester_a, editor, public_article):
    prove(requester_a)
    client.force_login(requester_a)
    client.post(
        reverse("help:vote", args=[public_article.pk]),
        {"helpful": "yes", "comment": "MARKER-COMMENT worked"},
    )
    assert public_article.votes.get().helpful is True
    page = client.get(reverse("help:article", args=[public_article.pk])).content.decode()
    assert "MARKER-COMMENT" not in page  # waits for approval
    client.force_login(editor)
    assert "1" in client.get(reverse("kb_desk:comment_count")).content.decode()
    comment = public_article.comments.get()
    client.post(reverse("kb_desk:comments"), {"comment": [comment.pk], "action": "approve"})
    comment.refresh_from_db()
    assert comment.status == CommentStatus.APPROVED
    assert client.get(reverse("kb_desk:comment_count")).content.decode().strip() == ""
    client.force_login(requester_a)
    page = client.get(reverse("help:article", args=[public_article.pk])).content.decode()
    assert "MARKER-COMMENT" in page


def test_popular_counts_the_last_30_days(editor, category, requester_a, requester_b):
    old, fresh, quiet = (publish(editor, category, t) for t in ("Old", "Fresh", "Quiet"))
    now = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(now - datetime.timedelta(days=40)):
        for _ in range(50):
            services.article_viewed(article=old)
        services.article_vote(actor=requester_a, session_key="", article=old, helpful=True)
    for _ in range(3):
        services.article_viewed(article=fresh)
    services.article_vote(actor=requester_b, session_key="", article=fresh, helpful=True)
    services.article_viewed(article=quiet)
    assert [a.title for a in popular(requester_a)] == ["Fresh", "Quiet"]
    assert popular(requester_a)[0].views_30 == 3 and popular(requester_a)[0].helpful_30 == 1


def test_saved_answers(client, requester_a, public_article):
    client.force_login(requester_a)
    client.post(reverse("help:favourite", args=[public_article.pk]))
    assert public_article.title in client.get(reverse("help:saved")).content.decode()


def test_deflection_recorded_until_the_request_is_sent(
    client, requester_a, public_article, support
):
    client.force_login(requester_a)
    page = client.get(reverse("help:suggest"), {"subject": "vpn drops", "description": ""})
    assert "data-hl-suggestion" in page.content.decode()
    client.get(reverse("help:article", args=[public_article.pk]), {"suggested": "1", "q": "vpn"})
    deflection = Deflection.objects.get()
    assert deflection.ticket is None and deflection.query == "vpn"
    # Submitting a request afterwards in the same session: not deflected after all.
    ticket = open_request(requester_a, support)
    services.deflection_submitted(session_key=client.session.session_key, ticket=ticket)
    deflection.refresh_from_db()
    assert deflection.ticket == ticket


def test_agent_inserts_an_article_and_makes_one_from_an_answer(
    client, dispatcher, requester_a, support, public_article, category
):
    ticket = open_request(requester_a, support)
    reply = ticket_services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Do X then Y")
    client.force_login(dispatcher)
    page = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert reverse("kb_desk:lookup", args=[ticket.pk]) in page
    assert reverse("kb_desk:from_entry", args=[reply.pk]) in page
    hits = client.get(reverse("kb_desk:lookup", args=[ticket.pk]), {"q": "vpn"}).content.decode()
    assert reverse("help:article", args=[public_article.pk]) in hits
    response = client.post(reverse("kb_desk:answered", args=[ticket.pk, public_article.pk]))
    assert response.status_code == 204
    assert TicketArticle.objects.filter(ticket=ticket, article=public_article).exists()
    assert Event.objects.filter(action="kb.article.answered").count() == 1
    detail = client.get(reverse("kb_desk:article", args=[public_article.pk])).content.decode()
    assert "1 request" in detail
    response = client.post(
        reverse("kb_desk:from_entry", args=[reply.pk]),
        {"category": category.pk, "title": "How to X"},
    )
    made = Article.objects.get(title="How to X")
    assert response.status_code == 302 and made.status == ArticleStatus.DRAFT
    assert made.body == "Do X then Y" and made.visibility == "staff"


def test_agent_outside_the_department_cannot_use_the_ticket(
    client, billing_agent, requester_a, support, public_article
):
    ticket = open_request(requester_a, support)
    client.force_login(billing_agent)
    assert client.get(reverse("kb_desk:lookup", args=[ticket.pk])).status_code == 404
    assert (
        client.post(reverse("kb_desk:answered", args=[ticket.pk, public_article.pk])).status_code
        == 404
    )
    assert not TicketArticle.objects.exists()


@pytest.mark.django_db
def test_publish_edit_and_archive_keep_the_index_in_step(editor, category):
    from helpline.search.models import SearchDocument

    article = publish(editor, category, "Printer toner", body="Shake the cartridge")
    assert SearchDocument.objects.filter(kind="article", object_id=article.pk).exists()
    services.article_update(actor=editor, article=article, title="Printer toner low")
    assert (
        SearchDocument.objects.get(kind="article", object_id=article.pk).title
        == "Printer toner low"
    )
    services.article_transition(actor=editor, article=article, to=ArticleStatus.ARCHIVED)
    assert not SearchDocument.objects.filter(kind="article", object_id=article.pk).exists()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def test_files_and_images_follow_the_article(client, editor, requester_b, staff_article):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from helpline.kb.models import ArticleFile

    client.force_login(editor)
    response = client.post(
        reverse("kb_desk:edit", args=[staff_article.pk]),
        {
            "title": staff_article.title,
            "category": staff_article.category_id,
            "body": staff_article.body,
            "language": "en",
            "visibility": "staff",
            "attachments": [
                SimpleUploadedFile("diagram.png", PNG),
                SimpleUploadedFile("steps.txt", b"step one"),
            ],
        },
    )
    assert response.status_code == 302
    image, text = ArticleFile.objects.order_by("pk")
    assert image.is_image and not text.is_image
    assert Event.objects.filter(action="kb.article.files_added").exists()
    shown = client.get(reverse("help:file", args=[image.pk]))
    assert shown.status_code == 200 and "attachment" not in shown.get("Content-Disposition", "")
    download = client.get(reverse("help:file", args=[text.pk]))
    assert "attachment" in download["Content-Disposition"]
    # A requester never gets a staff-only article's files.
    client.force_login(requester_b)
    assert client.get(reverse("help:file", args=[image.pk])).status_code == 404
    client.force_login(editor)
    client.post(reverse("kb_desk:file_remove", args=[text.pk]))
    assert list(ArticleFile.objects.all()) == [image]


def test_blocked_file_types_are_refused(client, editor, public_article):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(editor)
    response = client.post(
        reverse("kb_desk:edit", args=[public_article.pk]),
        {
            "title": public_article.title,
            "category": public_article.category_id,
            "body": public_article.body,
            "language": "en",
            "visibility": "public",
            "attachments": [SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 60)],
        },
    )
    assert response.status_code == 400
    assert not public_article.files.exists()
