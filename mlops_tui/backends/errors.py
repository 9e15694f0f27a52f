"""Error types a backend raises where it knows the fact; the UI turns them into words."""


class BackendError(Exception):
    """Anything a backend could not do. The message is shown to the user as is."""


class BackendUnavailable(BackendError):
    """The server could not be reached, or did not answer in time."""


class Unauthorized(BackendError):
    """The server refused our credentials (401/403)."""


class BadResponse(BackendError):
    """The server answered something we cannot read, or an HTTP 5xx."""


class NotSupported(BackendError):
    """The backend does not have this capability."""


class InvalidFilter(BackendError):
    """The server refused a user-typed filter; not a backend failure."""


class PromotionConflict(BackendError):
    """The target alias moved since the user looked at it."""


class NotFound(BackendError):
    """The thing asked for does not exist on the server."""


class PromotionUnknown(BackendError):
    """A promotion write was answered, then the app could not prove its outcome: check."""


class PromotionPartial(PromotionUnknown):
    """An approval cut in half: the alias moved, then recording the approval failed."""
