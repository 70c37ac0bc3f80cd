"""The knowledge base at the desk (/desk/kb/): categories, articles, the editor with preview,
review, revisions, comment moderation, and the ticket page's article search."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.models import Department
from helpline.core.decorators import staff_required
from helpline.core.errors import DomainError
from helpline.core.forms import add_domain_error
from helpline.desk.selectors import desk_context
from helpline.tickets.access import Action, staff_can
from helpline.tickets.models import Entry, EntryKind, Ticket

from . import access, services
from .forms import ArticleForm, CategoryForm, FromAnswerForm, StatusFilterForm
from .models import Article, ArticleFile, ArticleRevision, ArticleStatus, Category
from .rendering import plain_text, render_markdown, revision_diff
from .search import article_search
from .selectors import (
    category_tree,
    desk_articles,
    pending_comment_count,
    pending_comments,
    review_queue,
    subtree_ids,
)

PAGE = 50


def kb_staff_required(view):
    """Desk staff who use the knowledge base (not external providers): others get 404."""

    @staff_required
    def wrapper(request, *args, **kwargs):
        if not access.kb_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _article(pk: int) -> Article:
    article = (
        Article.objects.select_related("category", "author", "translation_of").filter(pk=pk).first()
    )
    if article is None:
        raise Http404
    return article


def _page(request, template: str, context: dict, status: int = 200):
    context = {**desk_context(request), "kb_section": True, **context}
    return render(request, template, context, status=status)


@kb_staff_required
@require_GET
def articles(request):
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    tree = category_tree()
    category_ids = None
    current = request.GET.get("category", "")
    if current.isdigit():
        category_ids = subtree_ids(tree, int(current))
    rows = list(
        desk_articles(
            request.user, status=status, category_ids=category_ids, q=request.GET.get("q", "")
        )[:PAGE]
    )
    return _page(
        request,
        "kb/desk/articles.html",
        {
            "rows": rows,
            "tree": tree,
            "filter_form": form,
            "status": status,
            "current_category": current,
            "statuses": ArticleStatus.choices,
        },
    )


@kb_staff_required
@require_GET
def review(request):
    rows = list(review_queue(request.user)[:PAGE])
    return _page(request, "kb/desk/review.html", {"rows": rows})


def _category_form(request, data=None, initial=None, category=None):
    user = request.user
    departments = access.publish_departments(user)
    dept_qs = Department.objects.filter(is_active=True)
    if departments is not None:
        dept_qs = dept_qs.filter(pk__in=departments)
    categories = Category.objects.filter(is_active=True)
    if category is not None:
        categories = categories.exclude(pk=category.pk)
    return CategoryForm(data, initial=initial, departments=dept_qs, categories=categories)


@kb_staff_required
@require_http_methods(["GET", "POST"])
def categories(request):
    form = _category_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(actor=request.user, category=Category(), **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The category is saved."))
            return redirect("kb_desk:categories")
    return _page(
        request,
        "kb/desk/categories.html",
        {"tree": category_tree(active_only=False), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@kb_staff_required
@require_http_methods(["GET", "POST"])
def category_edit(request, pk: int):
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise Http404
    if not access.may_publish(request.user, category):
        raise Http404
    initial = {
        "name": category.name,
        "parent": category.parent_id,
        "department": category.department_id,
        "description": category.description,
        "order": category.order,
    }
    form = _category_form(request, request.POST or None, initial=initial, category=category)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(actor=request.user, category=category, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The category is saved."))
            return redirect("kb_desk:categories")
    return _page(
        request,
        "kb/desk/category_form.html",
        {"category": category, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _article_form(request, data=None, *, article=None, initial=None):
    return ArticleForm(
        data,
        request.FILES if data is not None else None,
        initial=initial,
        article=article,
        categories=Category.objects.filter(is_active=True),
    )


def _form_fields(data: dict) -> dict:
    return {
        "title": data["title"],
        "category": data["category"],
        "summary": data["summary"],
        "body": data["body"],
        "tags": data["tags"],
        "language": data["language"],
        "translation_of": data["translation_of"],
        "visibility": data["visibility"],
    }


@kb_staff_required
@require_http_methods(["GET", "POST"])
def new(request):
    form = _article_form(
        request, request.POST or None, initial={"language": request.LANGUAGE_CODE[:2]}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = _form_fields(data)
        category = fields.pop("category")
        try:
            with transaction.atomic():
                article = services.article_create(
                    actor=request.user,
                    category=category,
                    organisations=data["organisations"],
                    publish="publish" in request.POST,
                    **fields,
                )
                services.article_files_add(
                    actor=request.user, article=article, files=data["attachments"]
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("kb_desk:article", pk=article.pk)
    return _page(
        request,
        "kb/desk/editor.html",
        {"form": form, "article": None},
        status=400 if request.method == "POST" else 200,
    )


@kb_staff_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    article = _article(pk)
    if not access.may_edit(request.user, article):
        messages.error(request, _("You may not change this article."))
        return redirect("kb_desk:article", pk=article.pk)
    initial = {
        "title": article.title,
        "category": article.category_id,
        "summary": article.summary,
        "body": article.body,
        "tags": article.tags,
        "language": article.language,
        "translation_of": article.translation_of_id,
        "visibility": article.visibility,
        "organisations": list(article.organisations.values_list("pk", flat=True)),
    }
    form = _article_form(request, request.POST or None, article=article, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.article_update(
                    actor=request.user,
                    article=article,
                    organisations=data["organisations"],
                    note=data["note"],
                    **_form_fields(data),
                )
                services.article_files_add(
                    actor=request.user, article=article, files=data["attachments"]
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("kb_desk:article", pk=article.pk)
    return _page(
        request,
        "kb/desk/editor.html",
        {"form": form, "article": article, "files": list(article.files.all())},
        status=400 if request.method == "POST" else 200,
    )


@kb_staff_required
@require_POST
def file_remove(request, pk: int):
    item = ArticleFile.objects.select_related("article__category").filter(pk=pk).first()
    if item is None:
        raise Http404
    try:
        services.article_file_remove(actor=request.user, item=item)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The file is removed."))
    return redirect("kb_desk:article", pk=item.article_id)


@kb_staff_required
@require_POST
def preview(request):
    return HttpResponse(render_markdown(request.POST.get("body", "")[:100_000]))


@kb_staff_required
@require_GET
def article(request, pk: int):
    item = _article(pk)
    user = request.user
    return _page(
        request,
        "kb/desk/article.html",
        {
            "article": item,
            "html": render_markdown(item.body),
            "may_edit": access.may_edit(user, item),
            "may_publish": access.may_publish(user, item.category),
            "organisations": list(item.organisations.all()),
            "answered": item.answered.count(),
            "files": list(item.files.all()),
            "revisions": list(item.revisions.select_related("author")[:10]),
            "translations": list(
                Article.objects.filter(translation_of_id=item.translation_of_id or item.pk).exclude(
                    pk=item.pk
                )
            )
            + ([item.translation_of] if item.translation_of_id else []),
        },
    )


@kb_staff_required
@require_POST
def status(request, pk: int):
    item = _article(pk)
    try:
        services.article_transition(actor=request.user, article=item, to=request.POST.get("to", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The article's status is changed."))
    return redirect("kb_desk:article", pk=item.pk)


@kb_staff_required
@require_GET
def revisions(request, pk: int):
    item = _article(pk)
    all_revisions = list(item.revisions.select_related("author"))
    by_number = {r.number: r for r in all_revisions}
    newer = by_number.get(int(request.GET["b"])) if request.GET.get("b", "").isdigit() else None
    older = by_number.get(int(request.GET["a"])) if request.GET.get("a", "").isdigit() else None
    if newer is None and all_revisions:
        newer = all_revisions[0]
    if older is None and newer is not None and len(all_revisions) > 1:
        older = next((r for r in all_revisions if r.number < newer.number), None)
    diff: dict[str, list[tuple[str, str]]] = {}
    if older and newer:
        diff = {
            "title": revision_diff(older.title, newer.title),
            "summary": revision_diff(older.summary, newer.summary),
            "tags": revision_diff(older.tags, newer.tags),
            "body": revision_diff(older.body, newer.body),
        }
    return _page(
        request,
        "kb/desk/revisions.html",
        {
            "article": item,
            "revisions": all_revisions,
            "older": older,
            "newer": newer,
            "diff": diff,
            "may_edit": access.may_edit(request.user, item),
        },
    )


@kb_staff_required
@require_POST
def restore(request, pk: int, number: int):
    item = _article(pk)
    revision = ArticleRevision.objects.filter(article=item, number=number).first()
    if revision is None:
        raise Http404
    try:
        services.article_restore(actor=request.user, article=item, revision=revision)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Revision %(number)s is the current text again.") % {"number": number}
        )
    return redirect("kb_desk:revisions", pk=item.pk)


@kb_staff_required
@require_http_methods(["GET", "POST"])
def comments(request):
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("comment") if i.isdigit()]
        approve = request.POST.get("action") == "approve"
        try:
            done = services.comments_moderate(actor=request.user, ids=ids, approve=approve)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if approve:
                messages.success(request, _("%(n)s comments approved.") % {"n": done})
            else:
                messages.success(request, _("%(n)s comments rejected.") % {"n": done})
        return redirect("kb_desk:comments")
    rows = list(pending_comments(request.user)[:100])
    return _page(request, "kb/desk/comments.html", {"rows": rows})


@kb_staff_required
@require_GET
def comment_count(request):
    count = pending_comment_count(request.user)
    return render(request, "kb/desk/_comment_count.html", {"count": count})


def _ticket_for(user, pk) -> Ticket:
    ticket = Ticket.objects.filter(pk=pk).first()
    if ticket is None or not staff_can(user, Action.VIEW, ticket):
        raise Http404
    return ticket


@kb_staff_required
@require_GET
def lookup(request, ticket: int):
    """The ticket page's article search (htmx fragment): published articles, staff-only too."""
    item = _ticket_for(request.user, ticket)
    query = request.GET.get("q", "")
    hits = article_search(
        query, among=Article.objects.filter(status=ArticleStatus.PUBLISHED), limit=6
    )
    rows = [
        (
            hit,
            request.build_absolute_uri(reverse("help:article", args=[hit.article.pk])),
            plain_text(hit.article.body),
        )
        for hit in hits
    ]
    response = render(
        request,
        "kb/desk/_lookup.html",
        {"rows": rows, "query": query, "ticket": item},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@kb_staff_required
@require_POST
def answered(request, ticket: int, pk: int):
    """The agent inserted article `pk` into a reply on `ticket`: record that it answered it."""
    item = _ticket_for(request.user, ticket)
    try:
        services.ticket_article_record(actor=request.user, ticket=item, article=_article(pk))
    except DomainError as exc:
        return HttpResponse(exc.message, status=403)
    return HttpResponse(status=204)


@kb_staff_required
@require_http_methods(["GET", "POST"])
def from_entry(request, entry: int):
    """ "Make an article from this answer": a draft from a public reply."""
    item = Entry.objects.select_related("ticket").filter(pk=entry, kind=EntryKind.REPLY).first()
    if item is None or not staff_can(request.user, Action.VIEW, item.ticket):
        raise Http404
    categories = Category.objects.filter(is_active=True)
    form = FromAnswerForm(
        request.POST or None,
        initial={"title": item.ticket.subject},
        categories=categories,
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.article_from_entry(
                actor=request.user,
                entry=item,
                category=form.cleaned_data["category"],
                title=form.cleaned_data["title"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("A draft article is made from the answer."))
            return redirect("kb_desk:edit", pk=created.pk)
    return _page(
        request,
        "kb/desk/from_entry.html",
        {"entry": item, "form": form},
        status=400 if request.method == "POST" else 200,
    )
