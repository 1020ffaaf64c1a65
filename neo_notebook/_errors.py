"""The errors neo_notebook raises.

One shallow tree, so a caller can catch as broadly or as narrowly as it needs::

    NeoError                      anything neo_notebook raises on purpose
    ├── ConfigurationError        no token, no org, a bad entity or option: fix the input
    ├── ApprovalError             nothing to approve, or the request cannot be approved safely
    ├── NeoConnectionError        the API could not be reached, or the connection dropped
    │   └── NeoTimeoutError       the API did not answer in time
    └── NeoAPIError               the API answered with an error status (``.status``)
        ├── ResponseValidationError  a 2xx whose body is not the JSON the API sends
        ├── BadRequestError       400
        ├── AuthenticationError   401
        ├── PermissionDeniedError 403
        ├── NotFoundError         404
        ├── ConflictError         409: Neo is still working on the previous request
        ├── RateLimitError        429
        └── ServerError           5xx

Every message says what to do next. None of them ever holds the access token: the client
builds them from the status, the server's message and the request path only.

In IPython the errors render as one line instead of a traceback (``_render_traceback_``), so
a failing ``%%neo`` cell shows what went wrong and what to do, not neo_notebook's internals.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApprovalError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "NeoAPIError",
    "NeoConnectionError",
    "NeoError",
    "NeoTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
]


class NeoError(Exception):
    """Base class of every error neo_notebook raises on purpose."""

    #: True for a failed write the server may have acted on (the answer was lost).
    maybe_acted: bool = False

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback: users see one actionable line.
        return [f"{type(self).__name__}: {self}"]


class ConfigurationError(NeoError, ValueError):
    """The input is wrong or incomplete (token, org, entity, option); nothing was sent."""


class ApprovalError(NeoError):
    """There is no pending approval request to answer, or it cannot be answered safely."""


class NeoConnectionError(NeoError):
    """The API could not be reached or dropped the connection."""


class NeoTimeoutError(NeoConnectionError):
    """The API did not answer within the client's timeout."""


class NeoAPIError(NeoError):
    """The API answered with an error status.

    Attributes:
        status: the HTTP status code.
        message: the server's own message (from its JSON ``message`` field), or the reason.
        body: the decoded JSON error body, or None when the body was not JSON.
        method, path: what was requested (path only: never headers or the token).
        request_id: the server's request id header, when it sent one (quote it to support).
    """

    #: What to do about this kind of error; subclasses say it for their status.
    hint: str = ""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        body: Any = None,
        method: str = "",
        path: str = "",
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.body = body
        self.method = method
        self.path = path
        self.request_id = request_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        text = f"{self.status} {self.message}{where}"
        if self.hint:
            text += f". {self.hint}"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep errors picklable (they cross threads and processes in history exports), with
        # what was set on them after they were made (maybe_acted, retry_after) as state.
        return (
            _rebuild_api_error,
            (
                type(self),
                self.status,
                self.message,
                self.body,
                self.method,
                self.path,
                self.request_id,
            ),
            dict(self.__dict__),
        )


def _rebuild_api_error(cls: type[NeoAPIError], *args: Any) -> NeoAPIError:
    status, message, body, method, path, request_id = args
    return cls(status, message, body=body, method=method, path=path, request_id=request_id)


class BadRequestError(NeoAPIError):
    hint = "The API refused the request as malformed; check the arguments"


class AuthenticationError(NeoAPIError):
    hint = (
        "The access token is missing or invalid: set PULUMI_ACCESS_TOKEN, pass "
        "NeoClient(token=...), or run `pulumi login`"
    )


class PermissionDeniedError(NeoAPIError):
    hint = "The token lacks permission for this organization; check the org name and the token"


class NotFoundError(NeoAPIError):
    hint = "Check the task id and the organization name"


class ConflictError(NeoAPIError):
    hint = (
        "Neo is still working on the previous request: wait until its turn ends, or cancel the task"
    )


class RateLimitError(NeoAPIError):
    hint = "Too many requests: wait a moment and try again"

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(NeoAPIError):
    hint = "Pulumi Cloud had a problem; try again in a moment"


class ResponseValidationError(NeoAPIError):
    """The API answered with success, but the body is not the JSON it sends (an HTML page,
    a proxy's answer, a truncated or altered body).

    Not a connection error: the request arrived and was answered, so retrying it, as one
    retries a dropped connection, would only get the same answer. (anthropic's SDK calls
    it ``APIResponseValidationError``.)
    """

    hint = (
        "Check that the base URL (PULUMI_BACKEND_URL) points at the Pulumi Cloud API, not the "
        "console or a proxy"
    )


_BY_STATUS: dict[int, type[NeoAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


# Tracebacks and reprs show the names users import: neo_notebook.NotFoundError.
for _public in (
    NeoError,
    ConfigurationError,
    ApprovalError,
    NeoConnectionError,
    NeoTimeoutError,
    NeoAPIError,
    BadRequestError,
    AuthenticationError,
    PermissionDeniedError,
    NotFoundError,
    ConflictError,
    RateLimitError,
    ServerError,
    ResponseValidationError,
):
    _public.__module__ = "neo_notebook"


def error_class_for(status: int) -> type[NeoAPIError]:
    """The error class for an HTTP status: one per documented status, ServerError for 5xx."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return NeoAPIError
