"""Neo's live event stream: server-sent events, and the task events they carry.

Frames are ``id: <event id>`` and ``data: <JSON>`` lines ended by a blank line; lines that
start with ``:`` are heartbeats. Several ``data:`` lines join with newlines, and ``\\r\\n``
line ends are accepted (the WHATWG rules, which Pulumi's SDK follows too).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping

import requests

from ._errors import NeoConnectionError
from ._events import Event
from ._transport import Transport

__all__ = ["iter_sse", "stream_events"]

log = logging.getLogger("neo_notebook")


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


def stream_events(
    transport: Transport, task_id: str, *, last_event_id: str | None = None
) -> Iterator[Event]:
    """A task's live events (``events/stream``), read as :class:`Event` records.

    The request is made at the call, so a server without a stream raises ``NotFoundError``
    there; the events come as the server sends them until it closes the stream.
    """
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
    if last_event_id:  # an empty Last-Event-ID is rejected by some proxies
        headers["Last-Event-ID"] = last_event_id
    path = transport.path("tasks", task_id, "events", "stream")
    response = transport.request("GET", path, headers=headers, stream=True)

    def generate() -> Iterator[Event]:
        with response:
            try:
                # Bytes: event streams are UTF-8 whatever the headers say (requests would
                # decode text/event-stream as ISO-8859-1).
                for _, data in iter_sse(response.iter_lines()):
                    try:
                        raw = json.loads(data)
                    except ValueError:
                        log.debug("skipping a stream frame that is not JSON")
                        continue
                    if isinstance(raw, Mapping):
                        yield Event.from_json(raw, task_id)
            except requests.RequestException as exc:
                raise NeoConnectionError(
                    f"The event stream of task {task_id} broke ({type(exc).__name__}); "
                    "reconnect to resume from the last event."
                ) from exc

    return generate()
