"""The desk's errors: one-line causes the CLI prints and the REST layer maps
to status codes (permission errors to 403, authentication errors to 401)."""

from __future__ import annotations

from chaintrail.errors import ChaintrailError, NotFoundError


class DeskError(ChaintrailError):
    """A desk operation that cannot be carried out as asked."""


class AuthError(DeskError):
    """An unknown user, a wrong token, or a disabled account."""

    exit_code = 4


class PermissionDenied(DeskError):
    """The user's roles do not allow the action."""

    exit_code = 5


class PurposeError(PermissionDenied):
    """Personal data asked for without an open case that covers it (purpose binding)."""


class RuleRefusal(DeskError):
    """The rule engine refused the action; the message carries its explanation."""

    exit_code = 6


class DeskNotFound(DeskError, NotFoundError):
    """A request, customer, case or user that the desk does not hold."""
