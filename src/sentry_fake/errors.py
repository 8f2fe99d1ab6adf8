"""
Domain errors raised by the store and the pure parsers.

They say what went wrong in Sentry's words; the HTTP layer decides which status code each one gets.
"""


class SentryFakeError(Exception):
    """
    Base class: C{detail} is the sentence Sentry would show.
    """

    def __init__(self, detail: str, causes: "list[str] | None" = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.causes = causes or []


class NotFound(SentryFakeError):
    """
    The object does not exist (or is not visible).
    """

    def __init__(self, detail: str = "The requested resource does not exist") -> None:
        super().__init__(detail)


class Conflict(SentryFakeError):
    """
    The object cannot be created because its slug or version is taken.
    """


class Invalid(SentryFakeError):
    """
    A request body or parameter is malformed.  C{fields}, when given, maps a field to its messages.
    """

    def __init__(self, detail: str = "Invalid request", fields: "dict[str, list[str]] | None" = None,
                 causes: "list[str] | None" = None) -> None:
        super().__init__(detail, causes)
        self.fields = fields


class TooLarge(SentryFakeError):
    """
    A body or an item is over its size limit.
    """


class Unauthorized(SentryFakeError):
    """
    Credentials are missing or malformed.
    """


class Forbidden(SentryFakeError):
    """
    Credentials were understood and refused.
    """


class IngestRejected(Forbidden):
    """
    Relay's "event submission rejected": unknown key, disabled key, project mismatch.
    """


class StorageFull(SentryFakeError):
    """
    A change could not be committed to the data directory because the disk is full; nothing
    was changed.
    """


class StorageUnavailable(SentryFakeError):
    """
    A change could not be committed to the data directory (it failed, or it is closed because
    the server is stopping); nothing was changed.
    """
