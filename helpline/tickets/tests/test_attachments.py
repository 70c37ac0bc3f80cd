"""Attachments: the type every candidate of the content could be, their SHA-256, and the check of
stored files against their rows."""

import hashlib
import importlib
import io
import os
import struct
import time
import zipfile
from io import StringIO

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from helpline.audit.models import Event
from helpline.core.errors import ValidationFailed
from helpline.core.models import SiteSettings
from helpline.tickets import services
from helpline.tickets.models import Attachment, Channel

pytestmark = pytest.mark.django_db


def windows_executable() -> bytes:
    """A minimal but real PE image: the DOS stub (MZ, e_lfanew), the PE signature, a COFF
    header for x86 and an optional-header area, as a compiler would lay them out."""
    dos = bytearray(0x80)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, len(dos))  # e_lfanew: where the PE header starts
    coff = struct.pack("<HHIIIHH", 0x014C, 1, 0, 0, 0, 0xE0, 0x0102)  # i386, executable image
    optional = struct.pack("<H", 0x010B) + bytes(0xE0 - 2)  # PE32 magic
    return bytes(dos) + b"PE\0\0" + coff + optional


def office_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- the type is every type the content could be ------------------------------------------------


@pytest.mark.parametrize("name", ["setup.exe", "invoice.pdf", "invoice", "helper.dll"])
def test_a_windows_executable_is_refused_whatever_its_name(name):
    with pytest.raises(ValidationFailed, match="not accepted"):
        services.attachment_validate(upload(name, windows_executable()))


def test_every_candidate_of_the_content_counts_not_only_the_first():
    """An MZ image may be exe, dll, scr, com…: an administrator blocking only screen savers
    still refuses one named .pdf, though the sniffer's first guess is "exe"."""
    settings = SiteSettings.current()
    settings.blocked_types = "scr"
    with pytest.raises(ValidationFailed, match="not accepted"):
        services.attachment_validate(upload("holiday.pdf", windows_executable()), settings)
    # A ZIP could be a Java archive (blocked by default) when its name does not say otherwise.
    with pytest.raises(ValidationFailed, match="not accepted"):
        services.attachment_validate(upload("scan.pdf", office_document()))


def test_documents_whose_name_agrees_with_their_content_pass():
    """The ZIP signature also fits jar (blocked): a .docx is still a .docx."""
    checked = services.attachment_validate(upload("report.docx", office_document()))
    assert checked.filename == "report.docx"
    pdf = services.attachment_validate(upload("report.pdf", b"%PDF-1.7\n" + b"x" * 100))
    assert pdf.content_type == "application/pdf"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)  # also the signature of .msi
    assert services.attachment_validate(upload("budget.xls", ole))
    with pytest.raises(ValidationFailed):
        services.attachment_validate(upload("install.msi", ole))


# --- SHA-256 ----------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def ticket_with(requester, department, *contents: bytes):
    files = [
        services.attachment_validate(upload(f"note{n}.txt", content))
        for n, content in enumerate(contents)
    ]
    return services.ticket_create(
        actor=requester,
        requester=requester,
        subject="Files",
        body="See attached.",
        channel=Channel.PORTAL,
        department=department,
        files=files,
    )


def test_each_attachment_stores_the_sha256_of_its_content(media, requester_a, support):
    ticket = ticket_with(requester_a, support, b"first file\n", b"first file\n", b"other\n")
    hashes = list(ticket.attachments.values_list("sha256", flat=True))
    assert hashes[0] == hashes[1] == hashlib.sha256(b"first file\n").hexdigest()
    assert hashes[2] == hashlib.sha256(b"other\n").hexdigest()
    for attachment in ticket.attachments.all():
        with attachment.file.open("rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == attachment.sha256


def test_the_migration_backfills_existing_files(media, requester_a, support):
    ticket = ticket_with(requester_a, support, b"kept\n", b"lost\n")
    kept, lost = ticket.attachments.all()
    lost.file.storage.delete(lost.file.name)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_attachment SET sha256 = ''")
    migration = importlib.import_module("helpline.tickets.migrations.0008_attachment_sha256")

    migration.backfill_sha256(apps, connection.schema_editor())

    kept.refresh_from_db()
    lost.refresh_from_db()
    assert kept.sha256 == hashlib.sha256(b"kept\n").hexdigest()
    assert lost.sha256 == ""


# --- helpline check-files ---------------------------------------------------------------------


def age(path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_check_files_finds_both_directions_and_deletes_only_old_orphans(
    media, requester_a, support
):
    ticket = ticket_with(requester_a, support, b"fine\n", b"gone\n")
    fine, gone = ticket.attachments.all()
    storage = fine.file.storage
    storage.delete(gone.file.name)
    old_orphan = storage.save("attachments/2025/01/left-behind.pdf", ContentFile(b"%PDF-1.4"))
    new_orphan = storage.save("attachments/2026/01/uploading.png", ContentFile(b"png"))
    age(storage.path(old_orphan), hours=3)
    age(storage.path(fine.file.name), hours=3)

    out = StringIO()
    call_command("check-files", stdout=out)
    lines = out.getvalue().splitlines()
    assert f"  file without an attachment (kept; --delete-orphans deletes it): {old_orphan}" in (
        lines
    )
    assert f"  file without an attachment, newer than an hour: {new_orphan}" in lines
    assert f"  attachment {gone.pk} of request #{ticket.pk} has no file: {gone.file.name}" in lines
    assert lines[-1] == (
        "Checked 3 files and 2 attachments: 2 files without an attachment (1 newer than an hour,"
        " left alone), 1 attachments without a file."
    )
    assert storage.exists(old_orphan)

    out = StringIO()
    call_command("check-files", "--delete-orphans", stdout=out)
    assert not storage.exists(old_orphan)
    assert storage.exists(new_orphan) and storage.exists(fine.file.name)
    assert Attachment.objects.filter(pk=gone.pk).exists()  # rows are never deleted
    assert "(1 deleted)" in out.getvalue().splitlines()[-1]
    event = Event.objects.get(action="files.orphans_deleted")
    assert event.changes == {"deleted": 1, "files": [old_orphan]}


def test_check_files_reports_progress_and_a_clean_store(media, requester_a, support, monkeypatch):
    monkeypatch.setattr("helpline.tickets.services.stored_files.PROGRESS_EVERY", 2)
    ticket_with(requester_a, support, b"a", b"b", b"c", b"d")
    out = StringIO()
    call_command("check-files", stdout=out)
    assert out.getvalue().splitlines() == [
        "  files 2",
        "  files 4",
        "  attachments 2",
        "  attachments 4",
        "Checked 4 files and 4 attachments: 0 files without an attachment, "
        "0 attachments without a file.",
    ]
