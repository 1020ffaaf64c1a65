"""Opaque, tamper-evident continuation tokens and the `pageSize` rule.

A token is urlsafe base64 of `{"s": scope, "o": offset}` plus an HMAC of it under a key private
to the emulator, so a client cannot forge or edit one (400), nor use a task's token on another
task (the scope differs). A token never expires and always means "from this offset on": a client
that re-requests with the token of the page it last read later sees the events appended since,
which is how pollers catch up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re

from ._errors import ApiError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_MAC_BYTES = 12
_MAX_TOKEN_CHARS = 512
_DIGITS = re.compile(r"[0-9]{1,7}")


def page_size(raw: str | None) -> int:
    """The `pageSize` query value: absent means the default; otherwise an integer in 1..1000."""
    if raw is None:
        return DEFAULT_PAGE_SIZE
    size = int(raw) if _DIGITS.fullmatch(raw) else 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(400, f"pageSize must be between 1 and {MAX_PAGE_SIZE} (got {raw!r})")
    return size


class ContinuationTokens:
    """Issues and checks continuation tokens signed with `key`."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def issue(self, scope: str, offset: int) -> str:
        """A token meaning "`scope` from `offset` on"."""
        payload = json.dumps({"s": scope, "o": offset}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode()

    def offset(self, token: str | None, scope: str) -> int:
        """The offset `token` stands for (0 without a token); 400 if it is not one we issued."""
        if token is None:
            return 0
        bad = ApiError(400, "invalid continuationToken: it was altered or belongs elsewhere")
        if not token or len(token) > _MAX_TOKEN_CHARS:
            raise bad
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (binascii.Error, ValueError):
            raise bad from None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            raise bad
        decoded = json.loads(payload)
        if decoded.get("s") != scope:
            raise bad
        offset: int = decoded["o"]
        return offset

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
