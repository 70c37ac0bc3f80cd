"""Temporary files of requests (uploads over 2.5 MB, spooled chunked bodies) in the data directory.

Each process writes into its own directory `DATA_DIR/tmp/proc-<pid>-<random>/`, holding an
exclusive lock on the `.owner.lock` file inside for as long as it lives. A process that dies
(crash, kill -9, power loss) leaves its directory unlocked: `sweep_orphans()`, run when
`helpline serve` and `helpline worker` start and when `serve` stops, removes exactly those,
however recent, and never a directory whose process still runs — also when several processes
share the data directory.
"""

import contextlib
import fcntl
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler

LOCK_NAME = ".owner.lock"
PREFIX = "proc-"
STAGING_PREFIX = ".new-"
# A directory still being set up (between mkdtemp and rename) is left alone this long.
STAGING_GRACE_SECONDS = 3600

_lock = threading.Lock()
_mine: dict = {"pid": None, "path": None, "handle": None}


def temp_root() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR)


def process_temp_dir() -> Path:
    """This process's directory for temporary request files, created and locked on first use."""
    pid = os.getpid()
    with _lock:
        if _mine["pid"] == pid and _mine["path"].is_dir():
            return _mine["path"]
        root = temp_root()
        root.mkdir(parents=True, exist_ok=True)
        # Locked before it gets a name the sweep looks at: a sweep never sees it unlocked.
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
        handle = open(staging / LOCK_NAME, "w")  # noqa: SIM115 - held for the process's life
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = root / f"{PREFIX}{pid}-{staging.name[len(STAGING_PREFIX) :]}"
        staging.rename(path)
        _mine.update(pid=pid, path=path, handle=handle)
        return path


def sweep_orphans() -> list[Path]:
    """Remove the temporary directories of processes that are gone; returns what was removed."""
    root = temp_root()
    removed = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        if entry.name.startswith(STAGING_PREFIX):
            with contextlib.suppress(OSError):
                if time.time() - entry.stat().st_mtime > STAGING_GRACE_SECONDS:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry)
            continue
        if not entry.name.startswith(PREFIX) or not entry.is_dir():
            continue
        try:
            handle = open(entry / LOCK_NAME, "a")  # noqa: SIM115
        except FileNotFoundError:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
            continue
        except OSError:
            continue
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


class DataDirUploadedFile(TemporaryUploadedFile):
    """Django's TemporaryUploadedFile, in this process's directory under the data directory."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        _, ext = os.path.splitext(name)
        file = tempfile.NamedTemporaryFile(suffix=".upload" + ext, dir=process_temp_dir())
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)


class DataDirUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, *args, **kwargs):
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = DataDirUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )
