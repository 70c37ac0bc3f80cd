"""The request body limit and the temporary files of requests, in process (the real server is
exercised in test_server_process.py)."""

import io
import os
import signal
import subprocess
import sys

import pytest
from django.core.files.uploadhandler import load_handler

from helpline.core import bodylimit, uploads
from helpline.core.bodylimit import MIB, RequestBodyLimit, request_body_limit
from helpline.core.models import MAX_FILES, SiteSettings


def echo_app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


class Input(io.BytesIO):
    """A request body that records how much of it was read."""

    def read(self, size=-1):
        data = super().read(size)
        self.consumed = self.tell()
        return data


def call(app, body: bytes, *, chunked: bool = False, length: str | None = None):
    captured = {}

    def start_response(status, headers):
        captured["status"], captured["headers"] = status, dict(headers)

    stream = Input(body)
    stream.consumed = 0
    environ = {"REQUEST_METHOD": "POST", "wsgi.input": stream}
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(len(body)) if length is None else length
    result = app(environ, start_response)
    content = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return int(captured["status"].split()[0]), content, stream.consumed


def test_limit_is_ten_largest_attachments_plus_one_mib(db):
    site = SiteSettings.current()
    site.max_attachment_mb = 3
    site.save()  # forgets the cached limit
    assert request_body_limit() == 3 * MIB * MAX_FILES + MIB


def test_content_length_over_the_limit_is_refused_unread():
    app = RequestBodyLimit(echo_app, limit=lambda: 1000)
    assert call(app, b"x" * 1000)[:2] == (200, b"x" * 1000)
    status, content, consumed = call(app, b"x" * 1001)
    assert status == 413
    assert consumed == 0
    assert call(app, b"x", length="-5")[0] == 400
    assert call(app, b"x", length="many")[0] == 400


def test_chunked_body_is_counted_spooled_and_cut_off(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    app = RequestBodyLimit(echo_app, limit=lambda: 3 * bodylimit.READ_CHUNK)
    # within the limit: Django sees an ordinary body with its length
    body = os.urandom(2 * bodylimit.READ_CHUNK + 7)
    assert call(app, body, chunked=True)[:2] == (200, body)
    # over it: reading stops at the first block past the limit
    status, _content, consumed = call(app, b"y" * (10 * bodylimit.READ_CHUNK), chunked=True)
    assert status == 413
    assert consumed == 4 * bodylimit.READ_CHUNK


def test_spooled_chunked_body_goes_to_the_data_directory(tmp_path, settings, monkeypatch):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    monkeypatch.setattr(bodylimit, "SPOOL_IN_MEMORY", 10)
    seen = {}

    def app(environ, start_response):
        spool = environ["wsgi.input"]
        spool.rollover()
        # an unnamed file (O_TMPFILE) or an unlinked one: where it lives shows in /proc
        seen["path"] = os.readlink(f"/proc/self/fd/{spool.fileno()}")
        start_response("200 OK", [])
        return [b""]

    call(RequestBodyLimit(app, limit=lambda: MIB), b"z" * 100, chunked=True)
    assert os.path.dirname(seen["path"]) == str(uploads.process_temp_dir())
    assert str(uploads.process_temp_dir()).startswith(str(tmp_path))


def test_uploads_are_written_under_the_data_directory(settings):
    handler = load_handler(settings.FILE_UPLOAD_HANDLERS[-1])
    handler.new_file("attachments", "report.pdf", "application/pdf", 10_000_000)
    handler.receive_data_chunk(b"%PDF-1.4", 0)
    upload = handler.file_complete(8)
    path = upload.temporary_file_path()
    assert path.startswith(str(settings.FILE_UPLOAD_TEMP_DIR) + os.sep)
    assert path.endswith(".upload.pdf")
    upload.close()
    assert not os.path.exists(path)


def test_sweep_removes_directories_of_dead_processes_only(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    env = os.environ | {"HELPLINE_DATA_DIR": str(tmp_path.parent / "other")}
    script = (
        "import os, sys, time, django; django.setup(); "
        "from django.conf import settings; settings.FILE_UPLOAD_TEMP_DIR = sys.argv[1]; "
        "from helpline.core.uploads import process_temp_dir; "
        "d = process_temp_dir(); (d / 'part.upload').write_bytes(b'x' * 1000); "
        "print(d, flush=True); time.sleep(60)"
    )
    holders = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _n in range(2)
    ]
    try:
        dead, alive = (holder.stdout.readline().strip() for holder in holders)
        holders[0].send_signal(signal.SIGKILL)
        holders[0].wait()
        mine = uploads.process_temp_dir()

        removed = uploads.sweep_orphans()

        assert [str(path) for path in removed] == [dead]
        assert not os.path.exists(dead)
        assert os.path.exists(os.path.join(alive, "part.upload"))
        assert mine.is_dir()
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()


@pytest.fixture(autouse=True)
def _fresh_temp_dir_state():
    """Each test's FILE_UPLOAD_TEMP_DIR gets its own process directory."""
    saved = dict(uploads._mine)
    uploads._mine.update(pid=None, path=None, handle=None)
    bodylimit._forget_limit()
    yield
    if uploads._mine["handle"] is not None and uploads._mine["handle"] is not saved["handle"]:
        uploads._mine["handle"].close()
    uploads._mine.update(saved)
    bodylimit._forget_limit()
