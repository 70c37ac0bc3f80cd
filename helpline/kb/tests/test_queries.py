"""Exact query counts for every kb page, with 1 and with 20 rows: the count must not grow with
the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.kb import services
from helpline.kb.models import ArticleStatus
from helpline.portal.tests.conftest import open_request
from helpline.tickets import services as ticket_services

from .conftest import prove, publish


@pytest.fixture
def world(editor, dispatcher, category, subcategory, requester_a, support, rows):
    prove(requester_a)
    articles = []
    for n in range(rows):
        article = publish(editor, subcategory if n % 2 else category, f"VPN answer {n}", tags="vpn")
        services.article_update(actor=editor, article=article, body=f"VPN text {n} changed")
        services.article_vote(actor=requester_a, session_key="", article=article, helpful=True)
        services.favourite_toggle(actor=requester_a, article=article)
        services.article_viewed(article=article)
        services.comment_add(actor=requester_a, article=article, body=f"Comment {n}")
        draft = services.article_create(
            actor=dispatcher, category=category, title=f"Proposal {n}", body="x"
        )
        services.article_transition(actor=dispatcher, article=draft, to=ArticleStatus.REVIEW)
        articles.append(article)
    ticket = open_request(requester_a, support)
    reply = ticket_services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Try this")
    approved = services.comment_add(actor=requester_a, article=articles[0], body="approved one")
    services.comments_moderate(actor=editor, ids=[approved.pk], approve=True)
    return {"article": articles[0], "category": category, "ticket": ticket, "reply": reply}


# (persona, url name, arguments from the world, expected queries)
DESK = [
    ("articles", None, 0),
    ("review", None, 0),
    ("categories", None, 0),
    ("category_edit", "category", 0),
    ("new", None, 0),
    ("article", "article", 0),
    ("edit", "article", 0),
    ("revisions", "article", 0),
    ("comments", None, 0),
    ("comment_count", None, 0),
    ("from_entry", "reply", 0),
]
PORTAL = [
    ("home", None, 0),
    ("category", "category", 0),
    ("article", "article", 0),
    ("search", None, 0),
    ("suggest", None, 0),
    ("saved", None, 0),
]


def _count(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(queries), response


@pytest.mark.parametrize("rows", [1, 20])
def test_desk_pages(client, editor, world, rows):
    client.force_login(editor)
    client.get(reverse("kb_desk:review"))  # the sidebar's cached counts, kept for a while
    counts = {}
    for name, arg, _expected in DESK:
        args = [world[arg].pk] if arg else []
        counts[name], _ = _count(client, reverse(f"kb_desk:{name}", args=args))
    ticket = world["ticket"]
    counts["lookup"], response = _count(
        client, reverse("kb_desk:lookup", args=[ticket.pk]), q="VPN"
    )
    assert response.content.decode().count("data-hl-row") == min(rows, 6)
    # The engine reads the total with the hits (one statement, however many match).
    assert counts == EXPECTED_DESK


@pytest.mark.parametrize("rows", [1, 20])
def test_portal_pages(client, requester_a, world, rows):
    client.force_login(requester_a)
    counts = {}
    for name, arg, _expected in PORTAL:
        args = [world[arg].pk] if arg else []
        params = {"q": "VPN"} if name == "search" else {}
        if name == "suggest":
            params = {"subject": "VPN drops", "description": "every hour"}
        counts[name], _ = _count(client, reverse(f"help:{name}", args=args), **params)
    # The suggestions search twice here: the subject (no article has every word), then any word.
    assert counts == EXPECTED_PORTAL


# Every desk page: 1 session, 2 user, 3 reference generation (the site settings are reference
# data), 4 the sidebar's cached counts; then the page's own: the list (1 query with category,
# author and the number of requests answered as a subquery) and the category tree; an article:
# itself, its organisations, requests answered, files, revisions, translations; the editor: its
# choices and the article's files.
EXPECTED_DESK = {
    "articles": 6,
    "review": 5,
    "categories": 7,
    "category_edit": 7,
    "new": 7,
    "article": 10,
    "edit": 10,
    "revisions": 6,
    "comments": 5,
    "comment_count": 4,
    "from_entry": 6,
    "lookup": 9,
}
# Portal pages: 1 session, 2 user, 3 site settings (the help centre's setting), 4 whether the
# requester proved their address, then the page; the article page also counts the view, reads
# the reader's vote and favourite, related articles, its files, translations, approved
# comments, the vote totals, and the reference generation (the context processor's site
# settings are reference data; the first page asked, the home page, also reads the row).
EXPECTED_PORTAL = {
    "home": 10,
    "category": 8,
    "article": 14,
    "search": 10,
    "suggest": 11,
    "saved": 5,
}
