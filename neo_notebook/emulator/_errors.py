"""The one exception the emulator's request handling raises on purpose.

Every refusal (bad body, missing token, unknown task, busy task...) is an `ApiError`; the HTTP
layer turns it into the JSON body Pulumi Cloud sends, `{"code": <status>, "message": "..."}`, so
no refusal path can end in a 500 or a dead handler thread.
"""

from __future__ import annotations

BUSY = "cannot respond while a request is still ongoing"
"""The 409 of the live service for a task that cannot take this event now (running, or parked
on CLI tool calls); `pulumi neo` retries its cancel on it."""


class ApiError(Exception):
    """An HTTP error response: `status` and the human-readable `message` of its JSON body."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"[{status}] {message}")
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
