"""Typeahead look-ups of the board's filter bar: a few matches among what the agent may see.

Organisations, requesters, tags and staff grow with the desk (a select of 5,000 organisations
outweighed the rest of the board), so the filter bar never lists them: it asks these look-ups as
the agent types. Every look-up starts from the access rules in
`helpline.tickets.access`, so a name the agent may not see never appears, and a value in the
URL that names something they may not see is ignored rather than shown.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from helpline.accounts.models import Organisation, User
from helpline.tickets.access import (
    organisations_visible,
    requester_directory,
    staff_visible,
    tags_visible,
)
from helpline.tickets.models import Tag

LIMIT = 10
# The filters a look-up serves, in the order the filter bar shows them.
KINDS = ("organisation", "requester", "tag", "responsible")
# The note box's @mention typeahead: colleagues, by address (the server decides who may be told).
MENTION = "mention"
LOOKUP_KINDS = (*KINDS, MENTION)
MAX_WORDS = 4


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    detail: str = ""


def _words(text: str) -> list[str]:
    return text.split()[:MAX_WORDS]


def _organisations(user, text: str) -> QuerySet[Organisation]:
    qs = organisations_visible(user)
    for word in _words(text):
        qs = qs.filter(Q(name__icontains=word) | Q(domain__icontains=word))
    return qs.order_by("name", "id")


def _people(qs: QuerySet[User], text: str) -> QuerySet[User]:
    for word in _words(text):
        qs = qs.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return qs.order_by("first_name", "last_name", "id")


def _tags(user, text: str) -> QuerySet[Tag]:
    qs = tags_visible(user)
    for word in _words(text):
        qs = qs.filter(name__icontains=word)
    return qs.order_by("name", "id")


def lookup_options(user, kind: str, text: str, limit: int = LIMIT) -> list[Option]:
    """Up to `limit` options of filter `kind` matching every word of `text` (all of them, in
    order, when nothing is typed), only among what `user` may see: one query."""
    text = text.strip()[:100]
    if kind == "organisation":
        return [
            Option(str(pk), name, domain)
            for pk, name, domain in _organisations(user, text).values_list("pk", "name", "domain")[
                :limit
            ]
        ]
    if kind == "requester":
        people = _people(requester_directory(user), text).select_related("organisation")
        return [
            Option(str(u.pk), u.display_name, u.organisation.name if u.organisation else u.email)
            for u in people[:limit]
        ]
    if kind == "tag":
        tags = _tags(user, text).values_list("pk", "name")[:limit]
        return [Option(str(pk), name) for pk, name in tags]
    if kind == "responsible":
        # "Me" and "Nobody" first, when what was typed fits them (or nothing was typed).
        fixed = [Option("me", _("Me")), Option("none", _("Nobody"))]
        options = [o for o in fixed if not text or text.lower() in o.label.lower()]
        staff = _people(staff_visible(user).exclude(pk=user.pk), text)
        return options + [Option(str(u.pk), u.display_name) for u in staff[: limit - len(options)]]
    if kind == MENTION:
        staff = _people(staff_visible(user).exclude(pk=user.pk), text)
        return [Option(u.email, u.display_name, u.email) for u in staff[:limit]]
    raise ValueError(kind)


def chosen_label(user, kind: str, value: str, staff: list[User] | None = None) -> str | None:
    """The name to show for a filter value from the URL, or None when it names nothing `user`
    may see (the filter is then ignored). `staff`: the colleagues already loaded for the page,
    so the responsible person costs no query."""
    if kind == "responsible":
        if value == "me":
            return _("Me")
        if value == "none":
            return _("Nobody")
        if not value.isdigit():
            return None
        if staff is not None:
            return next((u.display_name for u in staff if str(u.pk) == value), None)
        person = staff_visible(user).filter(pk=value).first()
        return person.display_name if person else None
    if not value.isdigit() or len(value) > 18:
        return None
    if kind == "organisation":
        return organisations_visible(user).filter(pk=value).values_list("name", flat=True).first()
    if kind == "requester":
        person = requester_directory(user).filter(pk=value).first()
        return person.display_name if person else None
    if kind == "tag":
        return tags_visible(user).filter(pk=value).values_list("name", flat=True).first()
    raise ValueError(kind)
