"""Server-sent events, the framing of Neo's live event stream.

Frames are ``id: <event id>`` and ``data: <JSON>`` lines ended by a blank line; lines that
start with ``:`` are heartbeats. Several ``data:`` lines join with newlines, and ``\\r\\n``
line ends are accepted (the WHATWG rules, which Pulumi's SDK follows too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = ["iter_sse"]


def iter_sse(lines: Iterable[str | bytes]) -> Iterator[tuple[str | None, str]]:
    """``(id, data)`` for each frame that carries data; comments and empty frames are skipped.

    >>> list(iter_sse([": heartbeat", "id: 7", "data: {}", "", "data: a", "data: b", ""]))
    [('7', '{}'), (None, 'a\\nb')]
    """
    event_id: str | None = None
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        line = line.rstrip("\r")
        if not line:
            if data:
                yield event_id, "\n".join(data)
            event_id, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "id" and "\0" not in value:
            event_id = value
    if data:
        yield event_id, "\n".join(data)
