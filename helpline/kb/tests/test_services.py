"""The kb services: who writes, proposes and publishes; revisions and restore; moderation;
votes; favourites; the event log."""

import pytest

from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.kb import services
from helpline.kb.models import ArticleStatus, CommentStatus, Visibility

from .conftest import prove, publish


def test_staff_without_the_right_only_propose(dispatcher, editor, category):
    with pytest.raises(PermissionDenied):
        publish(dispatcher, category, "Mine")
    draft = services.article_create(actor=dispatcher, category=category, title="Mine", body="x")
    assert draft.status == ArticleStatus.DRAFT
    services.article_transition(actor=dispatcher, article=draft, to=ArticleStatus.REVIEW)
    with pytest.raises(PermissionDenied):
        services.article_transition(actor=dispatcher, article=draft, to=ArticleStatus.PUBLISHED)
    published = services.article_transition(actor=editor, article=draft, to=ArticleStatus.PUBLISHED)
    assert published.status == ArticleStatus.PUBLISHED and published.published_at
    # Once published, the proposer may no longer change it; the editor may.
    with pytest.raises(PermissionDenied):
        services.article_update(actor=dispatcher, article=published, title="Changed")
    services.article_update(actor=editor, article=published, title="Changed")
    actions = list(Event.objects.filter(object_type="kb.article").values_list("action", flat=True))
    assert sorted(actions) == sorted(
        ["kb.article.created", "kb.article.status", "kb.article.status", "kb.article.changed"]
    )


def test_rights_follow_the_department_tree(specialist, software, support, supervisor):
    from helpline.accounts.tests.factories import MembershipFactory
    from helpline.kb.models import Category

    MembershipFactory(user=specialist, department=support, can_manage=True)
    specialist.__dict__.pop("_helpline_access", None)
    child = services.category_save(
        actor=supervisor,
        category=Category(),
        name="Apps",
        department=software,
        parent=None,
        description="",
        order=0,
    )
    # Managing Support covers Software below it.
    assert publish(specialist, child, "Inherited").status == ArticleStatus.PUBLISHED


def test_requesters_and_external_providers_do_not_write(requester_a, external, category):
    for actor in (requester_a, external):
        with pytest.raises(PermissionDenied):
            services.article_create(actor=actor, category=category, title="x", body="y")


def test_categories_only_under_departments_one_manages(dispatcher, editor, support, billing):
    from helpline.kb.models import Category

    fields = {"name": "Billing FAQ", "parent": None, "description": "", "order": 0}
    with pytest.raises(PermissionDenied):
        services.category_save(actor=editor, category=Category(), department=billing, **fields)
    with pytest.raises(PermissionDenied):
        services.category_save(actor=dispatcher, category=Category(), department=support, **fields)
    made = services.category_save(actor=editor, category=Category(), department=support, **fields)
    assert Event.objects.filter(action="kb.category.created", object_id=str(made.pk)).exists()


def test_every_edit_is_a_revision_and_restore_brings_one_back(editor, public_article):
    services.article_update(actor=editor, article=public_article, body="Second text", note="v2")
    services.article_update(actor=editor, article=public_article, body="Third text")
    services.article_update(actor=editor, article=public_article, visibility=Visibility.STAFF)
    assert list(public_article.revisions.values_list("number", flat=True)) == [3, 2, 1]
    first = public_article.revisions.get(number=1)
    services.article_restore(actor=editor, article=public_article, revision=first)
    public_article.refresh_from_db()
    assert public_article.body == "Renew the **VPN** lease."
    assert public_article.revisions.count() == 4
    assert Event.objects.filter(action="kb.article.restored").count() == 1


def test_restore_needs_the_edit_right(dispatcher, editor, public_article):
    services.article_update(actor=editor, article=public_article, body="Second")
    with pytest.raises(PermissionDenied):
        services.article_restore(
            actor=dispatcher, article=public_article, revision=public_article.revisions.last()
        )


def test_chosen_organisations_need_organisations(editor, category):
    with pytest.raises(ValidationFailed):
        publish(editor, category, "For nobody", visibility=Visibility.ORGANISATIONS)


def test_votes_once_per_person_and_comments_wait(requester_a, public_article, editor):
    prove(requester_a)
    services.article_vote(actor=requester_a, session_key="", article=public_article, helpful=False)
    services.article_vote(
        actor=requester_a,
        session_key="",
        article=public_article,
        helpful=True,
        comment="Worked for me",
    )
    assert list(public_article.votes.values_list("helpful", flat=True)) == [True]
    comment = public_article.comments.get()
    assert comment.status == CommentStatus.PENDING


def test_anonymous_votes_once_per_session(public_article):
    from django.contrib.auth.models import AnonymousUser

    for helpful in (True, False):
        services.article_vote(
            actor=AnonymousUser(), session_key="s1", article=public_article, helpful=helpful
        )
    services.article_vote(
        actor=AnonymousUser(), session_key="s2", article=public_article, helpful=True
    )
    assert public_article.votes.count() == 2


def test_moderation_in_bulk_only_on_ones_own_categories(
    editor, billing_agent, dispatcher, public_article, requester_a
):
    spam = [
        services.comment_add(actor=requester_a, article=public_article, body=f"buy pills {n}")
        for n in range(3)
    ]
    ids = [c.pk for c in spam]
    # Staff without the right in Support's categories touch nothing.
    assert services.comments_moderate(actor=billing_agent, ids=ids, approve=False) == 0
    assert services.comments_moderate(actor=dispatcher, ids=ids, approve=False) == 0
    assert services.comments_moderate(actor=editor, ids=ids[:2], approve=False) == 2
    assert services.comments_moderate(actor=editor, ids=ids[2:], approve=True) == 1
    statuses = [c.status for c in public_article.comments.order_by("pk")]
    assert statuses == ["rejected", "rejected", "approved"]
    assert Event.objects.filter(action="kb.comment.rejected").count() == 2


def test_favourites_toggle(requester_a, public_article):
    assert services.favourite_toggle(actor=requester_a, article=public_article) is True
    assert services.favourite_toggle(actor=requester_a, article=public_article) is False


def test_archived_articles_leave_the_portal(editor, public_article, requester_a):
    services.article_transition(actor=editor, article=public_article, to=ArticleStatus.ARCHIVED)
    from helpline.kb.access import readable_articles

    assert not readable_articles(requester_a).exists()


def test_translations_link_together(editor, category, public_article):
    nb = publish(editor, category, "VPN faller ut", language="nb", translation_of=public_article)
    ru = publish(editor, category, "VPN отключается", language="ru", translation_of=public_article)
    from helpline.kb.selectors import translations

    assert {a.pk for a in translations(editor, public_article)} == {nb.pk, ru.pk}
    assert {a.pk for a in translations(editor, nb)} == {public_article.pk, ru.pk}
