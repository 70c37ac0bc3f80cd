"""Writes of the desk's own data: saved views (save, rename, share, delete) and their order."""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import Department, User
from helpline.audit.services import event_record
from helpline.core.errors import PermissionDenied, ValidationFailed

from .models import NAME_MAX, SavedView, SidebarOrder
from .saved import (
    in_sidebar_order,
    query_normalised,
    saved_views_changed,
    saved_views_visible,
    share_targets,
)


def _require_agent(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.is_agent_side):
        raise PermissionDenied(_("Only staff keep saved views."))


def _require_owner(view: SavedView, actor: User) -> None:
    _require_agent(actor)
    if view.owner_id != actor.pk:
        raise PermissionDenied(_("Only the person who saved this view can change it."))


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_("Give the view a name."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            _("A view's name has at most %(max)s characters.") % {"max": NAME_MAX}, field="name"
        )
    return name


def _check_department(department: Department | None, actor: User) -> None:
    if department is not None and not share_targets(actor).filter(pk=department.pk).exists():
        raise PermissionDenied(
            _("You can share a view only with a department you belong to."), field="department"
        )


def _duplicate(name: str) -> ValidationFailed:
    return ValidationFailed(
        _("You already have a view named “%(name)s”.") % {"name": name}, field="name"
    )


def _saved(view: SavedView, name: str) -> SavedView:
    """Save in a savepoint: the unique name is the database's to enforce (two tabs at once)."""
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as exc:
        raise _duplicate(name) from exc
    return view


def _taken(actor: User, name: str, exclude: int | None = None) -> bool:
    same = SavedView.objects.filter(owner_id=actor.pk, name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    return same.exists()


@transaction.atomic
def saved_view_create(
    *, actor: User, name: str, query: Mapping[str, Any], department: Department | None = None
) -> SavedView:
    """Save the board's filters and sort as a view of `actor`'s, private or shared with one of
    their departments. Staff only; names are unique per owner, case aside. Recorded in the event
    log; every sidebar that shows it is rebuilt."""
    _require_agent(actor)
    name = _clean_name(name)
    _check_department(department, actor)
    if _taken(actor, name):
        raise _duplicate(name)
    view = _saved(
        SavedView(owner=actor, name=name, department=department, query=query_normalised(query)),
        name,
    )
    event_record(
        actor=actor,
        action="saved_view.created",
        obj=view,
        changes={
            "name": [None, view.name],
            "department": [None, view.department_id],
            "query": [None, view.query],
        },
    )
    transaction.on_commit(saved_views_changed)
    return view


@transaction.atomic
def saved_view_change(
    *,
    view: SavedView,
    actor: User,
    name: str,
    department: Department | None,
    query: Mapping[str, Any] | None = None,
) -> SavedView:
    """Rename a view, share it with another department or make it private, and (with `query`)
    replace its filters. Its owner only; the department must be one they may share with."""
    _require_owner(view, actor)
    name = _clean_name(name)
    _check_department(department, actor)
    if _taken(actor, name, exclude=view.pk):
        raise _duplicate(name)
    before = {"name": view.name, "department": view.department_id, "query": view.query}
    view.name = name
    view.department = department
    if query is not None:
        view.query = query_normalised(query)
    after = {"name": view.name, "department": view.department_id, "query": view.query}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        return view
    _saved(view, name)
    event_record(actor=actor, action="saved_view.changed", obj=view, changes=changes)
    transaction.on_commit(saved_views_changed)
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User) -> None:
    """Delete a view (for everyone it was shared with too). Its owner only."""
    _require_owner(view, actor)
    event_record(
        actor=actor,
        action="saved_view.deleted",
        obj=view,
        changes={"name": [view.name, None], "department": [view.department_id, None]},
    )
    view.delete()
    transaction.on_commit(saved_views_changed)


@transaction.atomic
def saved_view_move(*, view: SavedView, actor: User, offset: int) -> list[int]:
    """Move a view up (negative `offset`) or down in `actor`'s own sidebar; others' sidebars
    keep their order. Any view the actor sees, shared ones too. Returns the new order.

    The agent's order row is locked first, so two moves at once (two tabs, a double click)
    apply one after the other, each to the order the other left.
    """
    _require_agent(actor)
    SidebarOrder.objects.get_or_create(user=actor)
    order = SidebarOrder.objects.select_for_update().get(user=actor)
    views = in_sidebar_order(list(saved_views_visible(actor)), list(order.view_ids or []))
    ids = [v.pk for v in views]
    if view.pk not in ids:
        raise PermissionDenied(_("This view is not in your sidebar."))
    old = ids.index(view.pk)
    new = max(0, min(len(ids) - 1, old + offset))
    if new == old:  # already there: only remember the order as shown, nothing moved
        if order.view_ids != ids:
            order.view_ids = ids
            order.save(update_fields=["view_ids"])
        return ids
    ids.insert(new, ids.pop(old))
    order.view_ids = ids
    order.save(update_fields=["view_ids"])
    event_record(
        actor=actor,
        action="saved_view.moved",
        obj=view,
        changes={"position": [old + 1, new + 1]},
    )
    transaction.on_commit(saved_views_changed)
    return ids
