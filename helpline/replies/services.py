"""Writes of reply templates (create, change, delete), their use in a reply, macros applied to
one request or many, and usage counts."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Department, User
from helpline.audit.services import event_record
from helpline.core import clock
from helpline.core.atomic import services_without_savepoints
from helpline.core.errors import DomainError, PermissionDenied, ValidationFailed
from helpline.tickets import services as tickets
from helpline.tickets.models import Entry, Status, Tag, Ticket

from .models import CATEGORY_MAX, NAME_MAX, ReplyTemplate, ReplyText, Scope
from .permissions import may_change, may_manage, may_use
from .rendering import LANGUAGES, note_render, template_render, text_check

# The fields holding what a macro does; `actions` mappings use these names.
ACTION_FIELDS = (
    "set_status",
    "set_priority",
    "set_ticket_class",
    "set_department",
    "assign_to_me",
    "set_assignee",
    "set_line",
    "add_tags",
    "note",
    "watch",
)
_EMPTY: dict[str, Any] = {
    "set_status": None,
    "set_priority": None,
    "set_ticket_class": "",
    "set_department": None,
    "assign_to_me": False,
    "set_assignee": None,
    "set_line": None,
    "add_tags": [],
    "note": "",
    "watch": False,
}


# --- writing templates ------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_("Give the template a name."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            _("A template's name has at most %(max)s characters.") % {"max": NAME_MAX},
            field="name",
        )
    return name


def _clean_category(category: str) -> str:
    category = " ".join((category or "").split())
    if len(category) > CATEGORY_MAX:
        raise ValidationFailed(
            _("A category has at most %(max)s characters.") % {"max": CATEGORY_MAX},
            field="category",
        )
    return category


def _clean_texts(texts: Mapping[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for language, body in texts.items():
        if language not in LANGUAGES:
            raise ValueError(f"Unknown language {language!r}")
        body = (body or "").replace("\r\n", "\n").strip()
        if body:
            text_check(body, field=f"text_{language}")
            cleaned[language] = body
    return cleaned


def _clean_tags(names: Iterable[str]) -> list[str]:
    limit = Tag._meta.get_field("name").max_length or 50
    wanted = sorted({n.strip().lower() for n in names if n and n.strip()})
    for name in wanted:
        if len(name) > limit:
            raise ValidationFailed(
                _("A tag can be at most %(limit)s characters long: “%(tag)s”.")
                % {"limit": limit, "tag": name},
                field="add_tags",
            )
    return wanted


def _clean_actions(actions: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(actions) - set(ACTION_FIELDS)
    if unknown:
        raise ValueError(f"Not a macro action: {unknown}")
    cleaned = {**_EMPTY, **actions}
    cleaned["add_tags"] = _clean_tags(cleaned["add_tags"] or [])
    cleaned["note"] = (cleaned["note"] or "").replace("\r\n", "\n").strip()
    if cleaned["note"]:
        text_check(cleaned["note"], field="note")
    status: Status | None = cleaned["set_status"]
    if status is not None and not status.is_active:
        raise ValidationFailed(_("That status is no longer in use."), field="set_status")
    department: Department | None = cleaned["set_department"]
    if department is not None and not department.is_active:
        raise ValidationFailed(_("That department is closed."), field="set_department")
    assignee: User | None = cleaned["set_assignee"]
    if assignee is not None:
        if cleaned["assign_to_me"]:
            raise ValidationFailed(
                _("Choose either whoever applies the macro or a named person, not both."),
                field="set_assignee",
            )
        if not (assignee.is_active and assignee.is_agent_side):
            raise ValidationFailed(
                _("Requests can only be given to active staff."), field="set_assignee"
            )
    return cleaned


def _snapshot(template: ReplyTemplate, texts: Mapping[str, str]) -> dict[str, Any]:
    """What the event log keeps of a template: ids and codes, never display names alone."""
    return {
        "name": template.name,
        "category": template.category,
        "scope": template.scope,
        "department": template.department_id,
        "texts": dict(sorted(texts.items())),
        "set_status": template.set_status_id,
        "set_priority": template.set_priority,
        "set_ticket_class": template.set_ticket_class,
        "set_department": template.set_department_id,
        "assign_to_me": template.assign_to_me,
        "set_assignee": template.set_assignee_id,
        "set_line": template.set_line,
        "add_tags": list(template.add_tags),
        "note": template.note,
        "watch": template.watch,
    }


def _apply_fields(
    template: ReplyTemplate, name: str, category: str, actions: Mapping[str, Any]
) -> None:
    template.name = name
    template.category = category
    for key, value in actions.items():
        setattr(template, key, value)
    if not template.is_macro and not getattr(template, "_texts", None):
        raise ValidationFailed(
            _("Write the text in at least one language, or give the macro an action."),
            field=f"text_{LANGUAGES[0]}",
        )


def _texts_save(template: ReplyTemplate, texts: Mapping[str, str]) -> None:
    template.texts.exclude(language__in=list(texts)).delete()
    for language, body in texts.items():
        ReplyText.objects.update_or_create(
            template=template, language=language, defaults={"body": body}
        )


@transaction.atomic
def reply_template_create(
    *,
    actor: User,
    scope: str,
    name: str,
    texts: Mapping[str, str],
    category: str = "",
    department: Department | None = None,
    actions: Mapping[str, Any] | None = None,
) -> ReplyTemplate:
    """Create a template: personal (any staff member, for themselves), for a department (its
    managers: supervisors, administrators, members with the manage right) or for everyone
    (administrators). Texts and the note are checked (unknown placeholders refused); in the
    event log."""
    scope = Scope(scope)
    if scope != Scope.DEPARTMENT:
        department = None
    elif department is None:
        raise ValidationFailed(_("Choose the department."), field="department")
    if not may_manage(actor, scope, department.pk if department else None):
        raise PermissionDenied(_("You may not add templates here."))
    name = _clean_name(name)
    category = _clean_category(category)
    cleaned = _clean_texts(texts)
    template = ReplyTemplate(
        scope=scope, owner=actor if scope == Scope.PERSONAL else None, department=department
    )
    template._texts = cleaned  # type: ignore[attr-defined]
    _apply_fields(template, name, category, _clean_actions(actions or {}))
    template.save()
    _texts_save(template, cleaned)
    after = _snapshot(template, cleaned)
    event_record(
        actor=actor,
        action="reply_template.created",
        obj=template,
        changes={key: [None, value] for key, value in after.items()},
    )
    return template


@transaction.atomic
def reply_template_change(
    *,
    template: ReplyTemplate,
    actor: User,
    name: str,
    texts: Mapping[str, str],
    category: str = "",
    actions: Mapping[str, Any] | None = None,
) -> ReplyTemplate:
    """Change a template's name, category, texts and actions (whoever may manage its scope;
    personal ones their owner). Only what changed goes to the event log."""
    template = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
    if not may_change(actor, template):
        raise PermissionDenied(_("You may not change this template."))
    before = _snapshot(template, {t.language: t.body for t in template.texts.all()})
    cleaned = _clean_texts(texts)
    template._texts = cleaned  # type: ignore[attr-defined]
    _apply_fields(
        template, _clean_name(name), _clean_category(category), _clean_actions(actions or {})
    )
    after = _snapshot(template, cleaned)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not changes:
        return template
    template.save()
    _texts_save(template, cleaned)
    event_record(actor=actor, action="reply_template.changed", obj=template, changes=changes)
    return template


@transaction.atomic
def reply_template_delete(*, template: ReplyTemplate, actor: User) -> None:
    """Delete a template (whoever may change it); in the event log with what it was."""
    if not may_change(actor, template):
        raise PermissionDenied(_("You may not delete this template."))
    before = _snapshot(template, {t.language: t.body for t in template.texts.all()})
    event_record(
        actor=actor,
        action="reply_template.deleted",
        obj=template,
        changes={key: [value, None] for key, value in before.items()},
    )
    template.delete()


# --- using templates --------------------------------------------------------------------------


def reply_template_used(*, template: ReplyTemplate, times: int = 1) -> None:
    """Count uses in the database itself (F expression): two agents sending at once both
    count, whatever each of them read."""
    if times <= 0:
        return
    ReplyTemplate.objects.filter(pk=template.pk).update(
        usage_count=F("usage_count") + times, last_used_at=clock.now()
    )


def _require_usable(template: ReplyTemplate, actor: User) -> None:
    if not may_use(actor, template):
        raise PermissionDenied(_("You may not use this template."))


ACTION_LABELS = {
    "reply": gettext_lazy("send the reply"),
    "status": gettext_lazy("set the status"),
    "priority": gettext_lazy("set the priority"),
    "ticket_class": gettext_lazy("set the class"),
    "tags": gettext_lazy("add tags"),
    "note": gettext_lazy("add an internal note"),
    "watch": gettext_lazy("follow the request"),
    "routing": gettext_lazy("change department, line or responsible person"),
}


@dataclass
class MacroOutcome:
    """What a macro did to one request: the actions applied and those refused, with why."""

    ticket: Ticket
    applied: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (action, reason)

    @property
    def label_refused(self) -> list[tuple[str, str]]:
        return [(str(ACTION_LABELS[key]), reason) for key, reason in self.refused]


def _steps(
    template: ReplyTemplate, ticket: Ticket, actor: User, *, reply: bool
) -> list[tuple[str, Callable[[], object]]]:
    """The macro's actions on `ticket`, in the order they run, each a call to the service an
    agent's own click would make."""
    steps: list[tuple[str, Callable[[], object]]] = []
    if reply:
        rendered = template_render(template, ticket, actor)
        if rendered.text:
            steps.append(
                (
                    "reply",
                    lambda: tickets.ticket_reply_add(
                        ticket=ticket, actor=actor, body=rendered.text
                    ),
                )
            )
    if template.set_status_id:
        status = template.set_status
        steps.append(
            ("status", lambda: tickets.ticket_update(ticket=ticket, actor=actor, status=status))
        )
    if template.set_priority is not None:
        priority = template.set_priority
        steps.append(
            (
                "priority",
                lambda: tickets.ticket_update(ticket=ticket, actor=actor, priority=priority),
            )
        )
    if template.set_ticket_class:
        ticket_class = template.set_ticket_class
        steps.append(
            (
                "ticket_class",
                lambda: tickets.ticket_update(
                    ticket=ticket, actor=actor, ticket_class=ticket_class
                ),
            )
        )
    if template.add_tags:
        steps.append(("tags", lambda: _tags_add(ticket, actor, template.add_tags)))
    if template.note.strip():
        steps.append(
            (
                "note",
                lambda: tickets.ticket_note_add(
                    ticket=ticket, actor=actor, body=note_render(template, ticket, actor)
                ),
            )
        )
    if template.watch:
        steps.append(
            ("watch", lambda: tickets.ticket_watch(ticket=ticket, actor=actor, watch=True))
        )
    routing: dict[str, Any] = {}
    if template.set_department_id:
        routing["department"] = template.set_department
    if template.set_line is not None:
        routing["line"] = template.set_line
    if template.assign_to_me:
        routing["assignee"] = actor
    elif template.set_assignee_id:
        routing["assignee"] = template.set_assignee
    if routing:
        # One change, as the side panel makes it: the department, line and person together, so
        # a person is checked against the department the request goes to.
        steps.append(
            (
                "routing",
                lambda: tickets.ticket_update(
                    ticket=ticket, actor=actor, reason=template.name, **routing
                ),
            )
        )
    return steps


def _tags_add(ticket: Ticket, actor: User, names: Sequence[str]) -> None:
    current = list(ticket.tags.values_list("name", flat=True))
    tickets.ticket_tags_set(ticket=ticket, actor=actor, names=[*current, *names])


def _run(
    template: ReplyTemplate, ticket: Ticket, actor: User, *, reply: bool, strict: bool
) -> MacroOutcome:
    outcome = MacroOutcome(ticket=ticket)
    for key, step in _steps(template, ticket, actor, reply=reply):
        try:
            # A savepoint per action: a refused one leaves the others' work (and its own
            # half-done writes, if any) as if it had not been tried.
            with transaction.atomic():
                step()
        except DomainError as exc:
            if strict:
                raise ValidationFailed(
                    _("The macro “%(name)s” could not %(action)s: %(reason)s Nothing was sent.")
                    % {"name": template.name, "action": ACTION_LABELS[key], "reason": exc.message}
                ) from exc
            outcome.refused.append((key, exc.message))
        else:
            outcome.applied.append(key)
    event_record(
        actor=actor,
        action="reply_template.applied",
        obj=template,
        changes={
            "ticket": [None, ticket.pk],
            "applied": [None, outcome.applied],
            "refused": [None, [key for key, _reason in outcome.refused]],
        },
    )
    return outcome


def reply_with_template(
    *,
    ticket: Ticket,
    actor: User,
    template: ReplyTemplate | None,
    body: str,
    files: Sequence = (),
    status: Status | None = None,
    expected_version: int | None = None,
) -> Entry:
    """Send a reply written from `template` (the agent may have edited the inserted text), then
    apply the template's macro actions, all in one transaction: if any action is refused
    nothing is sent and the message says which action and why. Counts one use. Without a
    template it is a plain reply."""

    def reply() -> Entry:
        return tickets.ticket_reply_add(
            ticket=ticket,
            actor=actor,
            body=body,
            files=files,
            status=status,
            expected_version=expected_version,
        )

    if template is None:
        # Nothing in a plain reply catches an error: the reply service's blocks need no
        # savepoints of their own. This block keeps its own (taken before they are switched
        # off), so a refusal rolls back to it even inside a caller's transaction.
        with transaction.atomic(), services_without_savepoints():
            return reply()
    with transaction.atomic():
        _require_usable(template, actor)
        entry = reply()
        if template.is_macro:
            _run(template, entry.ticket, actor, reply=False, strict=True)
        reply_template_used(template=template)
        return entry


def macro_apply(
    *, template: ReplyTemplate, tickets_: Iterable[Ticket], actor: User
) -> list[MacroOutcome]:
    """Apply a template to many requests (the board's bulk action): its text as a public reply
    in each requester's language, then its actions. Each request in its own transaction, one
    row lock at a time in id order; a refused action is reported for that request and the rest
    still apply. Counts one use per request it changed."""
    _require_usable(template, actor)
    outcomes = []
    for ticket in sorted(tickets_, key=lambda t: t.pk):
        with transaction.atomic():
            outcomes.append(_run(template, ticket, actor, reply=True, strict=False))
    reply_template_used(template=template, times=sum(1 for o in outcomes if o.applied))
    return outcomes
