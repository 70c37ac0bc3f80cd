"""The DomainError hierarchy: services raise these, entry points turn them into messages."""


class DomainError(Exception):
    """A rule of the help desk was broken; the message is safe to show to the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    """The actor may not do this to this object."""


class ValidationFailed(DomainError):
    """The input is well-formed but not acceptable."""


class Conflict(DomainError):
    """Someone else changed the object first (optimistic locking)."""
