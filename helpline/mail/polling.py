"""Polling mailboxes: fetch new mail over IMAP or POP3, store each message with `receive()`,
and only then delete, move or flag it on the server.

Nothing is lost and nothing is doubled: a message leaves the server only after its transaction
committed; a worker killed in between fetches it again next time, and `receive()` recognises it
(same Message-ID in the mailbox, or the same bytes) as a duplicate, which is then removed as
usual. A lease on the mailbox row keeps two workers from polling one mailbox at once; mailboxes
are polled in parallel threads, each with its own timeouts, so a slow one holds up no other.
"""

import logging
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Q
from django.utils.translation import gettext as _

from helpline.core import clock

from .connections import ConnectionProblem, ImapSession, Pop3Session, inbound_session
from .models import Mailbox, MailboxSeenUid

log = logging.getLogger(__name__)
MIN_LEASE_SECONDS = 600


@dataclass
class PollReport:
    """What one pass over one mailbox did."""

    mailbox: str
    fetched: int = 0
    outcomes: Counter = field(default_factory=Counter)
    error: str = ""
    skipped: bool = False
    more_waiting: bool = False

    def summary(self) -> str:
        if self.skipped:
            return _("skipped (another worker is polling it)")
        parts = [_("%(count)s fetched") % {"count": self.fetched}]
        parts += [f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items())]
        if self.more_waiting:
            parts.append(_("more waiting"))
        if self.error:
            parts.append(_("error: %(error)s") % {"error": self.error})
        return ", ".join(parts)


def _lease_seconds(mailbox: Mailbox) -> int:
    # Longer than a normal batch takes; a lease that runs out under a very slow one only lets a
    # second poller in, and receive() makes the messages both fetch one entry each.
    return max(MIN_LEASE_SECONDS, settings.MAIL_TIMEOUT * 4)


def _claim(mailbox: Mailbox) -> bool:
    now = clock.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lte=now))
        .update(poll_lease_until=now + timedelta(seconds=_lease_seconds(mailbox)), last_poll_at=now)
    )


def _release(mailbox: Mailbox, report: PollReport) -> None:
    now = clock.now()
    fields: dict = {
        "poll_lease_until": None,
        "next_poll_at": now + timedelta(seconds=max(mailbox.poll_seconds, 10)),
        "last_fetched": report.fetched,
    }
    if report.error:
        fields.update(last_error=report.error, last_error_at=now)
    else:
        fields.update(last_success_at=now, last_error="")
    if report.more_waiting and not report.error:
        fields["next_poll_at"] = now
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)


def _receive(raw: bytes, mailbox: Mailbox):
    from .ingest import receive

    return receive(raw, mailbox=mailbox)


def _outcome(receipt) -> str:
    outcome = getattr(receipt, "outcome", "stored")
    return str(getattr(outcome, "value", outcome))


# A batch holds at most this many bytes of mail in memory (a larger message goes alone).
BATCH_BYTES = 64 * 1024 * 1024


def _chunks(items: list, size: int, weights: dict | None = None) -> Iterator[list]:
    """`items` in runs of at most `size`, and (with `weights`) of at most BATCH_BYTES."""
    chunk: list = []
    size, total = max(1, size), 0
    for item in items:
        weight = (weights or {}).get(item, 0)
        if chunk and (len(chunk) >= size or total + weight > BATCH_BYTES):
            yield chunk
            chunk, total = [], 0
        chunk.append(item)
        total += weight
    if chunk:
        yield chunk


def _store_batch(
    mailbox: Mailbox, messages: list[tuple[object, bytes]], report: PollReport, bookkeeping
) -> tuple[list, Exception | None]:
    """`receive()` the (key, raw) messages in one transaction, a savepoint each, and commit.

    Returns the keys of the messages now committed, and the temporary failure that stopped
    the batch early, if one did: the messages before it are committed (and may be removed
    from the server), that one and the rest are not. `bookkeeping(keys)` runs in the same
    transaction (the mailbox's last UID, the POP3 UIDs seen), so it commits with them."""
    from .ingest import TemporaryFailure, receiving_together

    done: list = []
    outcomes: Counter[str] = Counter()
    failure = None
    with receiving_together():
        for key, raw in messages:
            try:
                receipt = _receive(raw, mailbox)
            except TemporaryFailure as exc:
                failure = exc
                break
            done.append(key)
            outcomes[_outcome(receipt)] += 1
        if done:
            bookkeeping(done)
    # Committed: only now do these count, and may leave the server.
    report.fetched += len(done)
    report.outcomes.update(outcomes)
    return done, failure


def _poll_imap(session: ImapSession, mailbox: Mailbox, report: PollReport) -> None:
    folder = session.select()
    if mailbox.imap_uidvalidity != folder.uidvalidity:
        # The folder was recreated: its UIDs mean other messages now. Start over; whatever
        # was stored already comes back as a duplicate and is handled as usual.
        if mailbox.imap_uidvalidity is not None:
            log.warning("Mailbox %s: UIDVALIDITY changed; reading the folder again.", mailbox.pk)
        mailbox.imap_uidvalidity, mailbox.imap_last_uid = folder.uidvalidity, 0
        Mailbox.objects.filter(pk=mailbox.pk).update(
            imap_uidvalidity=folder.uidvalidity, imap_last_uid=0
        )
    # Mail left on the server (marked read) is skipped by UID; mail deleted or moved away
    # after storing is gone, so every UID still there is new (or stored and not yet removed).
    after = mailbox.imap_last_uid if mailbox.after_fetch == Mailbox.AfterFetch.SEEN else 0
    uids = session.uids_after(after)
    batch = uids[: settings.MAIL_POLL_BATCH]
    report.more_waiting = len(uids) > len(batch)

    def last_uid(done: list[int]) -> None:
        highest = max(done)
        if highest > mailbox.imap_last_uid:
            Mailbox.objects.filter(pk=mailbox.pk).update(imap_last_uid=highest)

    sizes = session.sizes(batch) if len(batch) > 1 else {}
    chunks = list(_chunks(batch, settings.MAIL_POLL_COMMIT_EVERY, sizes))
    # Fetched before the transaction, so it never waits on the network.
    fetched = session.fetch_many(chunks[0]) if chunks else {}
    # The server removes (or flags) one chunk, committed here, while the next one is stored:
    # the removal waits on the server's disk (Dovecot's expunge, about a millisecond a
    # message), the storing on ours. The connection is used by one thread at a time: the
    # next chunk is fetched before the removal starts, and the removal is awaited before the
    # connection is used again.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap-done") as remover:
        removing: Future | None = None
        try:
            for index, chunk in enumerate(chunks):
                messages = [(uid, fetched[uid]) for uid in chunk if uid in fetched]
                done, failure = _store_batch(mailbox, messages, report, last_uid)
                if removing is not None:
                    waited: Future = removing
                    removing = None
                    waited.result()
                if done:
                    mailbox.imap_last_uid = max(mailbox.imap_last_uid, *done)
                if failure is not None or index + 1 == len(chunks):
                    session.done_with(done)  # only after the commit
                    if failure is not None:
                        raise failure
                    continue
                fetched = session.fetch_many(chunks[index + 1])
                removing = remover.submit(session.done_with, done)  # only after the commit
        finally:
            if removing is not None:
                # Leaving on an error: the connection is closed only once the removal ended
                # (its own error, if it had one, comes second).
                wait([removing])


def _poll_pop3(session: Pop3Session, mailbox: Mailbox, report: PollReport) -> None:
    listing = session.uidl()
    keep = mailbox.after_fetch != Mailbox.AfterFetch.DELETE
    seen = set(MailboxSeenUid.objects.filter(mailbox=mailbox).values_list("uid", flat=True))
    if keep:
        # Forget what the server no longer has, so the list stays as long as the mailbox.
        gone = seen - {uid for _number, uid in listing}
        if gone:
            MailboxSeenUid.objects.filter(mailbox=mailbox, uid__in=gone).delete()
    waiting = [(number, uid) for number, uid in listing if not (keep and uid in seen)]
    batch = waiting[: settings.MAIL_POLL_BATCH]
    report.more_waiting = len(waiting) > len(batch)

    def remember(done: list[tuple[int, str]]) -> None:
        if keep:
            MailboxSeenUid.objects.bulk_create(
                [MailboxSeenUid(mailbox=mailbox, uid=uid) for _number, uid in done],
                ignore_conflicts=True,
            )

    pending = list(batch)
    while pending:
        messages: list[tuple[object, bytes]] = []
        size = 0
        while pending and len(messages) < max(1, settings.MAIL_POLL_COMMIT_EVERY):
            if messages and size >= BATCH_BYTES:
                break
            number, uid = pending.pop(0)
            raw = session.fetch(number)
            messages.append(((number, uid), raw))
            size += len(raw)
        done, failure = _store_batch(mailbox, messages, report, remember)
        if not keep:
            for number, _uid in done:
                # Marked now, removed at QUIT: a pass cut short leaves the message on the server.
                session.delete(number)
        if failure is not None:
            raise failure


def mailbox_poll(*, mailbox: Mailbox) -> PollReport:
    """One pass over `mailbox`: store what is new, then remove or flag it on the server.

    Skipped when another worker holds the mailbox's lease. Connection problems (DNS, TLS,
    sign-in, folder) and a database that is down end the pass and are recorded on the mailbox
    for its health page; messages already stored stay stored."""
    from .ingest import TemporaryFailure

    report = PollReport(mailbox=mailbox.name)
    if not mailbox.polled:
        return report
    if not _claim(mailbox):
        report.skipped = True
        return report
    mailbox.refresh_from_db()
    session = None
    try:
        session = inbound_session(mailbox)
        if isinstance(session, ImapSession):
            _poll_imap(session, mailbox, report)
        else:
            _poll_pop3(session, mailbox, report)
    except ConnectionProblem as exc:
        report.error = exc.message
    except TemporaryFailure as exc:
        report.error = _("the database is not available: %(error)s") % {"error": exc}
    finally:
        if session is not None:
            try:
                if isinstance(session, Pop3Session):
                    session.close(commit=not report.error)
                else:
                    session.close()
            except ConnectionProblem as exc:
                report.error = report.error or exc.message
        _release(mailbox, report)
    if report.error:
        log.warning("Mailbox %s: %s", mailbox.name, report.error)
    else:
        log.info("Mailbox %s: %s", mailbox.name, report.summary())
    return report


def _poll_safely(mailbox_id: int) -> PollReport | None:
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return None
    try:
        return mailbox_poll(mailbox=mailbox)
    except Exception as exc:  # one broken mailbox never stops the others
        log.exception("Mailbox %s: poll failed", mailbox_id)
        Mailbox.objects.filter(pk=mailbox_id).update(
            poll_lease_until=None,
            last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
            last_error_at=clock.now(),
        )
        return PollReport(mailbox=mailbox.name, error=f"{exc.__class__.__name__}: {exc}")


def mailbox_poll_by_id(mailbox_id: int) -> PollReport | None:
    """The worker task's entry: poll one mailbox, recording any failure on it."""
    return _poll_safely(mailbox_id)


def _poll_in_thread(mailbox_id: int) -> PollReport | None:
    close_old_connections()
    try:
        return _poll_safely(mailbox_id)
    finally:
        connections.close_all()


def mailboxes_due() -> list[int]:
    now = clock.now()
    return list(
        Mailbox.objects.filter(
            is_active=True, protocol__in=[Mailbox.Protocol.IMAP, Mailbox.Protocol.POP3]
        )
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .order_by("next_poll_at", "pk")
        .values_list("pk", flat=True)
    )


def mailboxes_poll(*, mailbox_ids: list[int] | None = None) -> list[PollReport]:
    """Poll the given mailboxes (default: every active one that is due) in parallel threads."""
    ids = mailboxes_due() if mailbox_ids is None else mailbox_ids
    if not ids:
        return []
    workers = max(1, min(settings.MAIL_POLL_PARALLEL, len(ids)))
    if connections["default"].in_atomic_block:
        # Other threads' connections would not see this transaction's rows (a test's, or a
        # caller's): poll one after the other here.
        workers = 1
    if workers == 1:
        return [report for report in map(_poll_safely, ids) if report is not None]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mailbox-poll") as pool:
        return [report for report in pool.map(_poll_in_thread, ids) if report is not None]
