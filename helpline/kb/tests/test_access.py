"""Who reads what: requesters never see staff-only articles, other organisations' articles or
drafts — by URL, in lists and by search."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from helpline.kb import access
from helpline.kb.models import Article
from helpline.kb.search import article_search

from .conftest import prove


def titles(user):
    return set(access.readable_articles(user).values_list("title", flat=True))


def test_anonymous_reads_only_public_published(
    public_article, staff_article, acme_article, draft_article
):
    from django.contrib.auth.models import AnonymousUser

    assert titles(AnonymousUser()) == {"VPN drops every hour"}


def test_requester_reads_their_organisations_articles_once_proved(
    requester_a, requester_b, public_article, staff_article, acme_article, draft_article
):
    # Given Alice of Acme has not proved her address, Acme's article stays closed to her.
    EmailAddress.objects.filter(user=requester_a).update(verified=False)
    requester_a._helpline_verified = None
    assert titles(requester_a) == {"VPN drops every hour"}
    prove(requester_a)
    assert titles(requester_a) == {"VPN drops every hour", "Acme VPN gateway"}
    prove(requester_b)
    assert titles(requester_b) == {"VPN drops every hour"}


def test_staff_read_everything_published(dispatcher, public_article, staff_article, draft_article):
    assert titles(dispatcher) == {"VPN drops every hour", "Router admin password"}


@pytest.mark.parametrize("which", ["staff_article", "acme_article", "draft_article"])
def test_requester_gets_404_by_url(client, requester_b, which, request):
    article = request.getfixturevalue(which)
    prove(requester_b)
    client.force_login(requester_b)
    response = client.get(reverse("help:article", args=[article.pk]))
    assert response.status_code == 404
    for url in ("help:vote", "help:comment", "help:favourite"):
        response = client.post(reverse(url, args=[article.pk]), {"helpful": "yes", "comment": "x"})
        assert response.status_code == 404
    assert not article.votes.exists() and not article.comments.exists()


def test_search_never_finds_what_the_reader_may_not_read(
    client, requester_b, public_article, staff_article, acme_article, draft_article
):
    prove(requester_b)
    client.force_login(requester_b)
    for word in ("STAFF-SECRET", "ACME-ONLY", "DRAFT-TEXT", "vault", "gateway", "Printer"):
        page = client.get(reverse("help:search"), {"q": word}).content.decode()
        assert "data-hl-hit" not in page, word
        page = client.get(reverse("help:suggest"), {"subject": word}).content.decode()
        assert "data-hl-suggestion" not in page, word
    page = client.get(reverse("help:search"), {"q": "VPN"}).content.decode()
    assert page.count("data-hl-hit") == 1
    assert "<mark>VPN</mark>" in page


def test_search_survives_malformed_queries(client, public_article):
    for query in [
        '"unbalanced',
        "AND OR NOT",
        "x" * 10_000,
        "'; DROP TABLE kb_article; --",
        "a\x00b",
    ]:
        response = client.get(reverse("help:search"), {"q": query})
        assert response.status_code == 200
    assert Article.objects.exists()


def test_anonymous_help_centre_follows_the_setting(client, site_settings, public_article):
    assert client.get(reverse("help:article", args=[public_article.pk])).status_code == 200
    site_settings.kb_anonymous = False
    site_settings.save()
    response = client.get(reverse("help:article", args=[public_article.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert (
        "data-hl-suggestion"
        not in client.get(reverse("help:suggest"), {"subject": "VPN drops"}).content.decode()
    )


def test_desk_search_from_a_ticket_finds_staff_articles(dispatcher, public_article, staff_article):
    hits = article_search("vault", among=Article.objects.filter(status="published"))
    assert [h.article.pk for h in hits] == [staff_article.pk]


def test_external_providers_have_no_desk_knowledge_base(client, external, public_article):
    client.force_login(external)
    assert client.get(reverse("kb_desk:articles")).status_code == 404
