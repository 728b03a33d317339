"""Typed errors and the documented exit codes.

Every failure a user can cause or meet ends as one of these: one line on stderr, a known code,
never a traceback. The codes are documented in the README.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # nothing could be shown: config, connection, auth, server errors
    USAGE = 2  # bad flags or arguments
    PARTIAL = 3  # something was shown, but a source was missing or forbidden (said on stderr)
    NOT_FOUND = 4  # the named pod, node or context does not exist


class KubectlMemError(Exception):
    """An error with a one-line message for the user and the exit code it maps to."""

    exit_status = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(KubectlMemError):
    exit_status = ExitStatus.USAGE


class ConfigError(KubectlMemError):
    """No usable kubeconfig, unknown context, bad in-cluster environment."""


class NotFoundError(KubectlMemError):
    exit_status = ExitStatus.NOT_FOUND


class UnreachableError(KubectlMemError):
    """Connection refused, DNS failure, TLS failure or timeout talking to the API server."""


class ApiError(KubectlMemError):
    """The API server answered with an error Status."""

    def __init__(self, message: str, *, code: int, reason: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.reason = reason


class UnauthorizedError(ApiError):
    pass


class ForbiddenError(ApiError):
    pass


class ApiNotFoundError(ApiError):
    exit_status = ExitStatus.NOT_FOUND


class GoneError(ApiError):
    """410 Gone: a continue token expired."""


class MetricsUnavailableError(ApiError):
    """metrics.k8s.io is not served (no metrics-server)."""


class MalformedResponseError(KubectlMemError):
    """The server sent something that is not the JSON the API promises."""
