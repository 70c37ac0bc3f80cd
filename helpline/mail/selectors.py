"""Reads of the outbox (the administrators' list, the /healthz summary) and of the quarantine
and the stop list."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from .models import OutboxMessage, QuarantinedMail, StopRule, StopRuleHit

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
