"""The help centre in the portal (/help/): browse, read, vote, comment, save, search as you type,
and the suggestions beside the new-request form."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpline.core.errors import DomainError
from helpline.core.models import SiteSettings
from helpline.tickets.downloads import attachment_response

from . import access, services
from .forms import CommentForm, VoteForm
from .models import Article, ArticleFile, ArticleVote, Category, Favourite
from .rendering import render_markdown
from .search import article_search
from .selectors import (
    approved_comments,
    category_tree,
    newest,
    popular,
    portal_articles,
    related,
    saved_answers,
    subtree_ids,
    translations,
    vote_counts,
)

SUGGEST_MIN = 3


def help_open(view):
    """The help centre answers anonymous readers only when the installation allows it."""

    def wrapper(request, *args, **kwargs):
        if not access.portal_open(request.user, SiteSettings.current()):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _session_key(request) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _readable(request, pk: int) -> Article:
    article = portal_articles(request.user).select_related("category").filter(pk=pk).first()
    if article is None:
        raise Http404
    return article


def _context(request, **extra):
    return {"portal_section": "help", **extra}


@help_open
@require_GET
def home(request):
    user = request.user
    visible = portal_articles(user)
    tree = category_tree()
    counts = dict(
        visible.order_by()
        .values("category_id")
        .annotate(n=Count("pk"))
        .values_list("category_id", "n")
    )
    rows = [row for row in tree if row.depth == 0]
    return render(
        request,
        "kb/portal/home.html",
        _context(
            request,
            categories=[
                (row.category, sum(counts.get(i, 0) for i in subtree_ids(tree, row.category.pk)))
                for row in rows
            ],
            popular=popular(user),
            newest=newest(user),
        ),
    )


@help_open
@require_GET
def category(request, pk: int):
    item = Category.objects.filter(pk=pk, is_active=True).first()
    if item is None:
        raise Http404
    tree = category_tree()
    ids = subtree_ids(tree, item.pk)
    children = [row.category for row in tree if row.category.parent_id == item.pk]
    rows = list(portal_articles(request.user).filter(category_id__in=ids).order_by("title")[:200])
    return render(
        request,
        "kb/portal/category.html",
        _context(request, category=item, children=children, rows=rows),
    )


@help_open
@require_GET
def article(request, pk: int):
    user = request.user
    item = _readable(request, pk)
    services.article_viewed(article=item)
    if request.GET.get("suggested"):
        # Opened from the suggestions beside the new-request form: a request perhaps deflected.
        services.deflection_open(
            actor=user,
            session_key=_session_key(request),
            article=item,
            query=request.GET.get("q", ""),
        )
    vote = None
    if user.is_authenticated:
        vote = ArticleVote.objects.filter(article=item, user=user).first()
    elif request.session.session_key:
        vote = ArticleVote.objects.filter(
            article=item, user=None, session_key=request.session.session_key
        ).first()
    saved = user.is_authenticated and Favourite.objects.filter(user=user, article=item).exists()
    return render(
        request,
        "kb/portal/article.html",
        _context(
            request,
            article=item,
            html=render_markdown(item.body),
            related=related(user, item),
            translations=translations(user, item),
            comments=approved_comments(item),
            files=[f for f in item.files.all() if not f.is_image],
            vote=vote,
            votes=vote_counts(item),
            saved=saved,
            vote_form=VoteForm(),
            comment_form=CommentForm(),
        ),
    )


@help_open
@require_POST
def vote(request, pk: int):
    item = _readable(request, pk)
    form = VoteForm(request.POST)
    if form.is_valid():
        try:
            services.article_vote(
                actor=request.user,
                session_key=_session_key(request),
                article=item,
                helpful=form.cleaned_data["helpful"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you for telling us."))
            if form.cleaned_data["comment"].strip():
                messages.info(request, _("Your comment appears once staff have read it."))
    if request.htmx:
        return render(
            request,
            "kb/portal/article.html#vote",
            _context(request, article=item, vote=True, votes=vote_counts(item)),
        )
    return redirect("help:article", pk=item.pk)


@help_open
@require_POST
def comment(request, pk: int):
    item = _readable(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                actor=request.user, article=item, body=form.cleaned_data["comment"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you. Your comment appears once staff have read it."))
    return redirect("help:article", pk=item.pk)


@require_POST
def favourite(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    item = _readable(request, pk)
    try:
        now_saved = services.favourite_toggle(actor=request.user, article=item)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Saved to your answers.") if now_saved else _("Removed from your saved answers."),
        )
    return redirect("help:article", pk=item.pk)


@require_GET
def saved(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(
        request, "kb/portal/saved.html", _context(request, rows=saved_answers(request.user))
    )


@help_open
@require_GET
def search(request):
    query = request.GET.get("q", "")[:200]
    hits = article_search(
        query, among=portal_articles(request.user), limit=30, language=request.LANGUAGE_CODE[:2]
    )
    template = "kb/portal/search.html#results" if request.htmx else "kb/portal/search.html"
    response = render(request, template, _context(request, query=query, hits=hits))
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def suggest(request):
    """Articles beside the new-request form, for what the requester has typed so far."""
    if not access.portal_open(request.user, SiteSettings.current()):
        hits, query = [], ""
    else:
        query = " ".join(
            (
                request.GET.get("subject", "") + " " + request.GET.get("description", "")[:300]
            ).split()
        )[:200]
        hits = []
        if len(query) >= SUGGEST_MIN:
            among = portal_articles(request.user)
            language = request.LANGUAGE_CODE[:2]
            # The subject says most; any longer word of what was typed widens the net.
            subject = request.GET.get("subject", "")[:200]
            hits = article_search(subject, among=among, limit=4, language=language)
            if not hits:
                words = [w for w in query.split() if len(w) >= 4 and w.isalnum()][:12]
                hits = article_search(" OR ".join(words), among=among, limit=4, language=language)
    return render(request, "kb/portal/_suggest.html", {"hits": hits, "query": query})


@help_open
@require_GET
def file(request, pk: int):
    """An article's file: images inline (they are shown in the text), anything else as a
    download. Staff reach every article's files (the editor's preview shows drafts' images);
    readers only those of articles they may read."""
    item = ArticleFile.objects.select_related("article").filter(pk=pk).first()
    if item is None:
        raise Http404
    if not access.kb_staff(request.user) and not (
        portal_articles(request.user).filter(pk=item.article_id).exists()
    ):
        raise Http404
    if not item.is_image:
        # The same fields as a request's attachment: streamed the same guarded way.
        return attachment_response(item)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response
