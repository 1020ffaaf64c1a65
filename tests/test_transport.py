"""The transport's reading of bodies: orjson when installed, the standard library whenever
orjson refuses what the API may send (lone surrogates, NaN)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from loopback import Canned, canned_server

from neo_notebook import NeoClient, _transport
from neo_notebook._transport import decode_json


@pytest.fixture
def canned() -> Iterator[Canned]:
    with canned_server() as server:
        yield server


def events_page(*bodies: str) -> bytes:
    """A page of warnings whose messages are the given JSON string literals (escapes kept)."""
    events = []
    for n, body in enumerate(bodies):
        extra = ',"score":NaN' if "nan" in body else ""
        events.append(
            f'{{"id":"e{n}","type":"agentResponse",'
            f'"eventBody":{{"type":"warning","message":{body}{extra}}}}}'
        )
    joined = ",".join(events)
    return b'{"events":[' + joined.encode() + b"]}"


def read_messages(server: Canned) -> list[Any]:
    url = f"http://127.0.0.1:{server.server_port}"
    with NeoClient("acme", token="pul-test", base_url=url, timeout=5) as client:
        frame = client.events_frame("t1")
        return [None if m is None else str(m) for m in frame.content.tolist()]


@pytest.mark.parametrize("accelerated", [True, False])
def test_a_page_reads_the_same_with_or_without_orjson(
    canned: Canned, monkeypatch: pytest.MonkeyPatch, accelerated: bool
) -> None:
    calls: list[int] = []
    real = orjson.loads

    def counting(content: Any) -> Any:
        calls.append(1)
        return real(content)

    monkeypatch.setattr(_transport, "_orjson", _Counting(counting) if accelerated else None)
    canned.body = events_page('"plain"', '"\\u00e9t\\u00e9 \\ud83d\\ude00"')
    assert read_messages(canned) == ["plain", "\u00e9t\u00e9 \U0001f600"]
    assert len(calls) == (1 if accelerated else 0)


class _Counting:
    """orjson's interface with a counting ``loads``."""

    JSONDecodeError = orjson.JSONDecodeError

    def __init__(self, loads: Any) -> None:
        self.loads = loads


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": "\\ud800 alone"}',  # a lone surrogate escape: orjson refuses it
        b'{"a": NaN, "b": -Infinity}',  # not JSON, but Python's own json writes it
        b'{"a": "\\udfff", "b": [1.5, NaN]}',
    ],
)
def test_what_orjson_refuses_the_standard_library_reads(body: bytes) -> None:
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    assert repr(decode_json(body)) == repr(json.loads(body))


def test_a_page_with_a_lone_surrogate_and_nan_is_read_over_http(canned: Canned) -> None:
    canned.body = events_page('"broken \\ud800 text"', '"nan here"')
    messages = read_messages(canned)
    assert messages[0] == "broken \ufffd text"  # made valid UTF-8 for Arrow
    assert messages[1] == "nan here"
