"""Reads of the mail app: the outbox (the administrators' list, the /healthz summary, what a
request's page shows of its undelivered mail), the mailboxes' health, the quarantine and the
stop list."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from helpline.core import clock

from .models import (
    Direction,
    Mailbox,
    MailMessage,
    OutboxMessage,
    QuarantinedMail,
    StopRule,
    StopRuleHit,
)

Status = OutboxMessage.Status


def outbox_unsent() -> QuerySet[OutboxMessage]:
    """Waiting and failed messages, failed first, oldest first (the ones to look at)."""
    return (
        OutboxMessage.objects.filter(status__in=[Status.QUEUED, Status.FAILED])
        .defer("raw")
        .order_by("-status", "created_at", "pk")
    )


def outbox_recent_sent(limit: int = 20) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(status=Status.SENT).defer("raw").order_by("-sent_at")[:limit]
    )


def outbox_counts() -> dict[str, int]:
    return OutboxMessage.objects.aggregate(
        waiting=Count("pk", filter=Q(status=Status.QUEUED)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
    )


def outbox_health(cursor, now) -> dict:
    """The outbox part of /healthz, read on the health check's own connection: stuck when the
    oldest waiting message is older than HEALTH_OUTBOX_MINUTES or any message failed."""
    from helpline.core.health import _aware

    table = OutboxMessage._meta.db_table
    cursor.execute(
        f"SELECT MIN(created_at), COUNT(*) FROM {table} WHERE status = %s",  # noqa: S608
        [Status.QUEUED],
    )
    oldest, waiting = cursor.fetchone()
    cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE status = %s", [Status.FAILED])  # noqa: S608
    (failed,) = cursor.fetchone()
    oldest = _aware(oldest)
    age = None if oldest is None else round((now - oldest).total_seconds(), 1)
    limit = timedelta(minutes=settings.HEALTH_OUTBOX_MINUTES).total_seconds()
    stuck = age is not None and age > limit
    return {
        "ok": not stuck and not failed,
        "waiting": waiting,
        "oldest_waiting_seconds": age,
        "failed": failed,
    }


@dataclass(frozen=True)
class MailProblem:
    """A letter about a request that has not reached its recipient, or a notification that
    could not be turned into letters."""

    source: str  # "letter" or "notification"
    created_at: datetime
    what: str  # the letter's subject, or the notification's kind
    state: str  # the outbox status, or "failed"
    error: str


def ticket_mail_problems(ticket_id: int, limit: int = 10) -> list[MailProblem]:
    """What the request's page shows staff, in one query: letters that failed or are being
    retried after an error, and notifications that failed, oldest first."""
    from .models import Notification

    letters = (
        OutboxMessage.objects.filter(ticket_id=ticket_id)
        .filter(Q(status=Status.FAILED) | (Q(status=Status.QUEUED) & ~Q(last_error="")))
        .annotate(
            source=Value("letter", output_field=CharField()),
            what=F("subject"),
            state=F("status"),
            error=F("last_error"),
        )
        .order_by()
        .values_list("source", "created_at", "what", "state", "error")
    )
    failed = (
        Notification.objects.filter(ticket_id=ticket_id, state=Notification.State.FAILED)
        .annotate(
            source=Value("notification", output_field=CharField()),
            what=F("kind"),
            status=F("state"),
            problem=F("error"),
        )
        .order_by()
        .values_list("source", "created_at", "what", "status", "problem")
    )
    rows = letters.union(failed, all=True).order_by("created_at")[:limit]
    return [MailProblem(*row) for row in rows]


def _count(queryset) -> Coalesce:
    counted = queryset.order_by().values("mailbox").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def mailbox_health() -> QuerySet[Mailbox]:
    """Every mailbox with what the mail-health page shows: received in the last day and held
    in the quarantine (one query, however many mailboxes)."""
    since = clock.now() - timedelta(days=1)
    return (
        Mailbox.objects.select_related("department", "topic")
        .annotate(
            received_day=_count(
                MailMessage.objects.filter(
                    mailbox=OuterRef("pk"), direction=Direction.IN, created_at__gte=since
                )
            ),
            quarantine_held=_count(
                QuarantinedMail.objects.filter(
                    mailbox=OuterRef("pk"), status=QuarantinedMail.State.HELD
                )
            ),
        )
        .order_by("name")
    )


# --- received mail: the quarantine and the stop list ----------------------------------------


def quarantine_list(*, view: str = "held", reason: str = "") -> QuerySet[QuarantinedMail]:
    """Held messages newest first ("held" without spam, "spam", or "decided": released and
    deleted), without their raw content."""
    rows = QuarantinedMail.objects.select_related("mailbox", "stop_rule", "ticket").defer("raw")
    if view == "spam":
        rows = rows.filter(status=QuarantinedMail.State.HELD, reason=QuarantinedMail.Reason.SPAM)
    elif view == "decided":
        rows = rows.exclude(status=QuarantinedMail.State.HELD).select_related("decided_by")
    else:
        rows = rows.filter(status=QuarantinedMail.State.HELD).exclude(
            reason=QuarantinedMail.Reason.SPAM
        )
    if reason:
        rows = rows.filter(reason=reason)
    return rows.order_by("-created_at", "-pk")


def quarantine_counts() -> dict[str, int]:
    held = Q(status=QuarantinedMail.State.HELD)
    spam = Q(reason=QuarantinedMail.Reason.SPAM)
    return QuarantinedMail.objects.aggregate(
        held=Count("pk", filter=held & ~spam),
        spam=Count("pk", filter=held & spam),
    )


def stop_rule_list() -> QuerySet[StopRule]:
    return StopRule.objects.order_by("kind", "pattern")


def stop_rule_hits(rule: StopRule, limit: int = 50) -> list[StopRuleHit]:
    """What `rule` caught most recently, with the quarantined message when it was kept."""
    return list(
        rule.hits.select_related("mailbox", "quarantined").order_by("-created_at", "-pk")[:limit]
    )
