"""The request body limit, applied around the WSGI application before any of the body is read.

Rule: the largest request Helpline accepts is the largest form it offers full: as many files as
a form allows (`MAX_FILES`), each of the largest size allowed (the administrators' "largest
attachment"), plus 1 MiB for the form's other fields and the multipart framing. With the
defaults that is 10 × 20 MB + 1 MiB.

- A body announced by Content-Length above the limit is refused with 413 before a byte of it is
  read; Granian then closes the connection.
- A chunked body (no Content-Length) is read here, counted, and spooled into this process's
  temporary directory under the data directory (memory up to 1 MiB); past the limit reading stops
  and the answer is 413. Django itself only reads bodies with a Content-Length, so this also
  makes chunked uploads work.

So no client can make the server write more than one limit's worth per request to disk.
"""

import tempfile
import threading
import time

from django.db import DatabaseError, close_old_connections
from django.db.models.signals import post_save
from django.utils.translation import gettext as _

MIB = 1024 * 1024
FORM_OVERHEAD = MIB
SPOOL_IN_MEMORY = MIB
READ_CHUNK = 64 * 1024
# Other processes see an administrator's new attachment size within this time.
CACHE_SECONDS = 30

_cache_lock = threading.Lock()
_cache: dict = {"limit": None, "until": 0.0}


def request_body_limit() -> int:
    """The largest request body accepted, in bytes (see the module's docstring for the rule)."""
    with _cache_lock:
        if _cache["limit"] is not None and time.monotonic() < _cache["until"]:
            return _cache["limit"]
    from helpline.core.models import MAX_FILES, SiteSettings

    default_mb = SiteSettings._meta.get_field("max_attachment_mb").default
    try:
        largest_mb = (
            SiteSettings.objects.filter(pk=1).values_list("max_attachment_mb", flat=True).first()
        ) or default_mb
    except DatabaseError:
        largest_mb = default_mb  # the request will fail on the database anyway
    finally:
        close_old_connections()
    limit = largest_mb * MIB * MAX_FILES + FORM_OVERHEAD
    with _cache_lock:
        _cache.update(limit=limit, until=time.monotonic() + CACHE_SECONDS)
    return limit


def _forget_limit(**_kwargs) -> None:
    with _cache_lock:
        _cache["limit"] = None


post_save.connect(_forget_limit, sender="core.SiteSettings", dispatch_uid="bodylimit")


def _refuse(start_response, status: str, message: str):
    body = (message + "\n").encode()
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]


def _too_large(start_response, limit: int):
    return _refuse(
        start_response,
        "413 Content Too Large",
        _("The request is too large: at most %(size)s MB are accepted at once.")
        % {"size": limit // MIB},
    )


class _CloseAfter:
    """The application's response, closing the spooled body once the server is done with it."""

    def __init__(self, result, spool):
        self.result, self.spool = result, spool

    def __iter__(self):
        return iter(self.result)

    def close(self):
        try:
            if hasattr(self.result, "close"):
                self.result.close()
        finally:
            self.spool.close()


class RequestBodyLimit:
    """WSGI middleware enforcing `request_body_limit()` (outermost, around Django)."""

    def __init__(self, application, limit=request_body_limit):
        self.application = application
        self.limit = limit

    def __call__(self, environ, start_response):
        length = (environ.get("CONTENT_LENGTH") or "").strip()
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if length and not chunked:
            try:
                announced = int(length)
            except ValueError:
                announced = -1
            if announced < 0:
                return _refuse(start_response, "400 Bad Request", _("Invalid Content-Length."))
            if announced > self.limit():
                return _too_large(start_response, self.limit())
            return self.application(environ, start_response)
        if not chunked:
            return self.application(environ, start_response)
        return self._chunked(environ, start_response)

    def _chunked(self, environ, start_response):
        from .uploads import process_temp_dir

        limit = self.limit()
        source = environ["wsgi.input"]
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed with the response
            max_size=SPOOL_IN_MEMORY, dir=process_temp_dir()
        )
        total = 0
        try:
            while True:
                data = source.read(READ_CHUNK)
                if not data:
                    break
                total += len(data)
                if total > limit:
                    spool.close()
                    return _too_large(start_response, limit)
                spool.write(data)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        environ["wsgi.input"] = spool
        environ["CONTENT_LENGTH"] = str(total)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        try:
            result = self.application(environ, start_response)
        except BaseException:
            spool.close()
            raise
        return _CloseAfter(result, spool)
