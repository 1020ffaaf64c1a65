"""When to retry a request and how long to wait: small pure functions, tested with tables.

The rule that keeps writes safe: a read (GET) is retried on any connection error, timeout,
429 or 5xx, because repeating it changes nothing. A write (POST, PATCH) is retried only
where the server cannot have acted: the connection was never made, or the server said so
itself (429 Too Many Requests, 503 Service Unavailable). Anything else would risk posting a
message or a confirmation twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

READ_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
WRITE_RETRY_STATUSES = frozenset({429, 503})

#: The first backoff step, its ceiling, and the longest Retry-After we honour, in seconds.
BASE_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0

#: Jitter has its own generator: retries on background threads never move the global one.
_JITTER = random.Random()


def should_retry_status(status: int, *, write: bool) -> bool:
    """Whether an error status may be retried for a read or a write."""
    return status in (WRITE_RETRY_STATUSES if write else READ_RETRY_STATUSES)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def retry_delay(
    attempt: int,
    retry_after: float | None = None,
    *,
    base: float | None = None,
    cap: float | None = None,
    rand: Callable[[], float] = _JITTER.random,
) -> float:
    """Seconds to sleep before retry number ``attempt`` (0 for the first retry).

    The server's ``Retry-After`` wins (capped at a minute); otherwise exponential backoff
    from ``base`` (default ``BASE_DELAY``) up to ``cap`` (default ``MAX_DELAY``) with "equal
    jitter": half fixed, half random, so many clients retrying together spread out but none
    retries at once.
    """
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    base = BASE_DELAY if base is None else base
    ceiling = min(MAX_DELAY if cap is None else cap, base * 2.0**attempt)
    return ceiling / 2 + ceiling / 2 * rand()
