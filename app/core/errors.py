"""Domain errors. Services raise these; `app.api.errors` maps them to HTTP in one place."""

from __future__ import annotations

from typing import Any

from app.core.i18n import gettext_for


class AppError(Exception):
    status_code = 500
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, **context: Any) -> None:
        """`message` is an English msgid with `{placeholders}` filled from `context` after
        translation, so the catalog holds one entry, not one per value."""
        super().__init__(message.format(**context) if context else message)
        self.message = message
        self.field = field
        self.context = context

    def text(self, language: str) -> str:
        """The message in the person's language."""
        translated = gettext_for(language, self.message)
        return translated.format(**self.context) if self.context else translated


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"


class AccountDeactivated(NotAuthenticated):
    """The password was right but the account (or its teacher's) is switched off: said only to
    someone who knows the password, so it reveals nothing to a stranger."""

    code = "account_deactivated"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class PasswordChangeRequired(Forbidden):
    """The account has a one-time password: nothing opens until the person picks their own."""

    code = "password_change_required"


class NotFound(AppError):
    """Also what another tenant's object looks like: existence is never revealed."""

    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class TooLarge(AppError):
    status_code = 413
    code = "too_large"


class Unavailable(AppError):
    status_code = 503
    code = "unavailable"


class RetryLater(AppError):
    """Refused before any work was done; the same request may succeed after `retry_after`
    seconds (sent as the Retry-After header)."""

    def __init__(self, message: str, *, retry_after: int, **context: Any) -> None:
        super().__init__(message, **context)
        self.retry_after = max(1, retry_after)


class TooManyRequests(RetryLater):
    """Too many attempts from this address or at this account (login throttling)."""

    status_code = 429
    code = "too_many_requests"


class Busy(RetryLater):
    """The server has as much of this work queued as it can answer in time (the password
    hasher): refused at once instead of answered late."""

    status_code = 503
    code = "busy"


class StaleVersion(Conflict):
    """An edit based on an older state of the object than the current one (another tab or
    person saved meanwhile): nothing was changed; reload and redo."""

    code = "stale_version"
