"""What settings and `helpline serve` check before anything runs: the data directory, the
secret key file, the database. Each failure is a `StartupError` whose message is one line
naming what to fix; the `helpline` command prints it without a traceback.

No Django imports at module level: settings.py uses this module."""

import contextlib
import fcntl
import os
import secrets
import sys
import tempfile
from pathlib import Path

# Django refuses keys shorter than this in `check --deploy`; generated keys are 67 characters.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name


class StartupError(Exception):
    """Helpline cannot start; the message says what to fix."""


def data_dir_prepare(path: Path) -> Path:
    """Create the data directory if needed and prove that this user can write into it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise StartupError(
            f"The data directory {path} is not usable ({exc.strerror}): create it and make it "
            f"writable for the user running Helpline, or set HELPLINE_DATA_DIR."
        ) from None
    return path


def _key_write_new(key_file: Path) -> None:
    """Write a fresh key to a temporary file, then link it into place: the key file either does
    not exist or is complete. `link` refuses to replace a file, so when two processes start at
    once, both end up with the key of the first."""
    fd, temporary = tempfile.mkstemp(prefix=".secret_key-", dir=key_file.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, key_file)
    finally:
        os.unlink(temporary)


def _key_replace(key_file: Path) -> None:
    fd, temporary = tempfile.mkstemp(prefix=".secret_key-", dir=key_file.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, key_file)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def secret_key_load(data_dir: Path) -> str:
    """The key from `data_dir/secret_key`, generated on the first start.

    An empty key file (left by a crash of an older version between creating and writing it) is
    replaced by a new key: nothing stored depends on the key, it only signs sessions and
    password-reset links, so everybody signs in again and outstanding links stop working. A key
    file that is not empty but too short is refused: someone wrote it, and guessing is wrong."""
    key_file = data_dir / SECRET_KEY_FILE
    try:
        if not key_file.exists():
            _key_write_new(key_file)
        key = key_file.read_text().strip()
        if not key:
            with file_lock(data_dir / ".secret_key.lock"):
                key = key_file.read_text().strip()
                if not key:
                    _key_replace(key_file)
                    sys.stderr.write(
                        f"helpline: the secret key file {key_file} was empty; wrote a new key "
                        f"(everybody signs in again, earlier password-reset links expire).\n"
                    )
                    key = key_file.read_text().strip()
    except UnicodeDecodeError:
        key = ""
    except OSError as exc:
        raise StartupError(
            f"Cannot read or write the secret key file {key_file} ({exc.strerror}): make it "
            f"readable for the user running Helpline."
        ) from None
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise StartupError(
            f"The secret key file {key_file} holds no valid key (fewer than "
            f"{SECRET_KEY_MIN_LENGTH} characters): delete it to have a new key generated, or "
            f"set HELPLINE_SECRET_KEY."
        )
    return key


@contextlib.contextmanager
def file_lock(path: Path):
    """An exclusive lock on `path` (created if missing) for processes on this machine."""
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
