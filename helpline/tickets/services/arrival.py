"""A request entering a department: the one place a department's assignment rule is applied."""

from ..models import Ticket
from ..notices import NoticeKind, notice
from ._common import log, rule_history, touch


def ticket_arrived(ticket: Ticket) -> None:
    """`ticket` (locked, saved) has just entered its department — opened there, transferred or
    escalated into it — with nobody responsible: the department's assignment rule may choose
    someone present (helpline.teamwork.assignment). Recorded in history as done by the rule
    (no author, `"system"` and `"rule"` in the data), in the event log and as an assignment
    notice; the actor's rights are not asked, the rule is the department's own."""
    if ticket.assignee_id is not None:
        return
    # Imported here: the teamwork app builds on the tickets app, not the other way round.
    from helpline.teamwork.assignment import assignee_by_rule

    choice = assignee_by_rule(ticket)
    if choice is None:
        return
    rule_history(ticket, "assignee", None, choice.user, rule=choice.mode)
    ticket.assignee = choice.user
    touch(ticket, "assignee")
    log(
        None,
        "ticket.assigned_by_rule",
        ticket,
        assignee=[None, {"id": choice.user.pk, "name": choice.user.display_name}],
        rule=choice.mode,
    )
    notice(NoticeKind.ASSIGNED, ticket, actor=None, assignee=choice.user.pk, reason="")
