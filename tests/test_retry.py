from __future__ import annotations

from datetime import datetime, timezone

import pytest

from neo_notebook._retry import (
    MAX_RETRY_AFTER,
    parse_retry_after,
    retry_delay,
    should_retry_status,
)

NOW = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("3", 3.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Wed, 15 Jan 2025 10:00:07 GMT", 7.0),
        ("Wed, 15 Jan 2025 09:59:00 GMT", 0.0),
        ("soon", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 0.0, 0.25),  # half of the 0.5 s ceiling is fixed
        (0, 1.0, 0.5),
        (1, 0.0, 0.5),
        (2, 0.5, 1.5),  # ceiling 2 s: 1 fixed + 0.5 random
        (3, 1.0, 4.0),
        (4, 1.0, 8.0),
        (10, 1.0, 8.0),  # capped
        (10, 0.0, 4.0),
    ],
)
def test_backoff_table(attempt: int, rand: float, expected: float) -> None:
    assert retry_delay(attempt, base=0.5, cap=8.0, rand=lambda: rand) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("retry_after", "expected"), [(0.0, 0.0), (2.0, 2.0), (3600.0, MAX_RETRY_AFTER)]
)
def test_retry_after_wins_and_is_capped(retry_after: float, expected: float) -> None:
    assert retry_delay(5, retry_after, rand=lambda: 1.0) == expected


@pytest.mark.parametrize(
    ("status", "write", "expected"),
    [
        (429, False, True),
        (500, False, True),
        (502, False, True),
        (503, False, True),
        (504, False, True),
        (400, False, False),
        (404, False, False),
        (409, False, False),
        (429, True, True),
        (503, True, True),
        # a write may have been acted on before these errors: never repeat it
        (500, True, False),
        (502, True, False),
        (504, True, False),
        (409, True, False),
    ],
)
def test_which_statuses_retry(status: int, write: bool, expected: bool) -> None:
    assert should_retry_status(status, write=write) is expected
