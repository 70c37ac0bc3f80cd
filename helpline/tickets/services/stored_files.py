"""Stored attachment files against their rows: files nobody refers to, rows whose file is gone."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import Storage
from django.db import transaction

from helpline.audit.services import event_record
from helpline.core import clock

from ..models import Attachment

TOP = "attachments"
# A file written in the last hour may belong to an upload whose transaction has not committed.
GRACE = timedelta(hours=1)
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class MissingFile:
    attachment_id: int
    ticket_id: int
    name: str


@dataclass
class FilesReport:
    files: int = 0
    attachments: int = 0
    orphans: list[str] = field(default_factory=list)
    recent_orphans: list[str] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)
    deleted: int = 0

    @property
    def clean(self) -> bool:
        """Nothing left to look at: every row has its file, every file its row."""
        return not self.missing and not self.recent_orphans and self.deleted == len(self.orphans)

    def line(self) -> str:
        orphans = f"{len(self.orphans) + len(self.recent_orphans)} files without an attachment"
        if self.deleted:
            orphans += f" ({self.deleted} deleted)"
        if self.recent_orphans:
            orphans += f" ({len(self.recent_orphans)} newer than an hour, left alone)"
        return (
            f"Checked {self.files} files and {self.attachments} attachments: {orphans}, "
            f"{len(self.missing)} attachments without a file."
        )


def _stored_names(storage: Storage, top: str) -> Iterator[str]:
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        yield from (f"{folder}/{name}" for name in sorted(files))
        pending.extend(f"{folder}/{name}" for name in sorted(folders, reverse=True))


def attachment_files_check(
    *,
    delete_orphans: bool = False,
    progress: Callable[[str, int], None] | None = None,
    now: datetime | None = None,
) -> FilesReport:
    """Compare the storage's `attachments/` tree with the Attachment rows.

    Reports files no row refers to and rows whose file is gone. With `delete_orphans`, deletes
    the orphan files older than an hour (younger ones may be an upload still committing) and
    records `files.orphans_deleted`. Rows are never deleted: a missing file needs a person.
    Run by `helpline check-files`; `progress(kind, count)` is told every 500 items.
    """
    storage = Attachment._meta.get_field("file").storage
    report = FilesReport()
    on_disk: set[str] = set()
    for name in _stored_names(storage, TOP):
        on_disk.add(name)
        report.files += 1
        if progress and report.files % PROGRESS_EVERY == 0:
            progress("files", report.files)
    referenced: set[str] = set()
    rows = Attachment.objects.order_by("pk").values_list("pk", "ticket_id", "file")
    for pk, ticket_id, name in rows.iterator(chunk_size=2000):
        referenced.add(name)
        report.attachments += 1
        if name not in on_disk and not storage.exists(name):
            report.missing.append(MissingFile(pk, ticket_id, name))
        if progress and report.attachments % PROGRESS_EVERY == 0:
            progress("attachments", report.attachments)
    cutoff = (now or clock.now()) - GRACE
    for name in sorted(on_disk - referenced):
        if storage.get_modified_time(name) > cutoff:
            report.recent_orphans.append(name)
        else:
            report.orphans.append(name)
    if delete_orphans and report.orphans:
        with transaction.atomic():
            for name in report.orphans:
                storage.delete(name)
                report.deleted += 1
            event_record(
                actor=None,
                action="files.orphans_deleted",
                changes={"deleted": report.deleted, "files": report.orphans[:100]},
                object_repr=f"{report.deleted} files without an attachment",
            )
    return report
