"""EventTail: follow a task's event log without re-reading it from the start.

The API has no "events since" query, but a continuation token keeps meaning "from this
offset on". The tail remembers the token of the last page it read and starts there next
time, so each poll costs one request for a quiet task however long its history. Where the
server offers a live stream, :meth:`EventTail.follow` reads it from the last event seen, and
the two never return the same event twice.
"""

from __future__ import annotations

import threading
from collections.abc import Generator

from ._events import Event
from ._stream import stream_events
from ._transport import MAX_PAGE_SIZE, Transport, item_key

__all__ = ["EventTail"]


class EventTail:
    """A cursor over one task's events: :meth:`poll` returns only events not seen before.

    Thread-safe: two threads polling at once never get the same event twice.

    Example::

        tail = client.tail(task_id)
        tail.poll()   # every event so far
        tail.poll()   # only what arrived since
    """

    def __init__(
        self, transport: Transport, task_id: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> None:
        self.transport = transport
        self.task_id = task_id
        self.page_size = page_size
        self._resume: str | None = None
        self._seen: set[str] = set()
        self._last_id: str | None = None
        self._lock = threading.Lock()
        #: How many events this tail has returned in all.
        self.count = 0

    def poll(self) -> list[Event]:
        """Fetch pages from where the last poll stopped; return the events not seen yet."""
        with self._lock:
            new: list[Event] = []
            seen: set[str] = set()
            resume = self._resume
            path = self.transport.path("tasks", self.task_id, "events")
            # Nothing is marked seen until every page arrived: a poll that fails part way
            # leaves the tail as it was, and the next poll reads those events again.
            for items, used, nxt in self.transport.pages(path, "events", self.page_size, resume):
                for item in items:
                    key = item_key(item)
                    if key is not None:
                        if key in self._seen or key in seen:
                            continue
                        seen.add(key)
                    new.append(Event.from_json(item, self.task_id))
                if not nxt:
                    # The last page: the next poll starts over from it, to see what is appended.
                    resume = used
            self._seen |= seen
            self._resume = resume
            ids = [e.id for e in new if item_key(e.raw) is not None]
            if ids:
                self._last_id = ids[-1]
            self.count += len(new)
            return new

    def follow(self) -> Generator[Event, None, None]:
        """New events from the server's live stream, from after the last one seen, until the
        server closes it. Raises ``NotFoundError`` when the server has no stream."""
        for event in stream_events(self.transport, self.task_id, last_event_id=self._last_id):
            key = item_key(event.raw)
            with self._lock:
                if key is not None:
                    if key in self._seen:
                        continue
                    self._seen.add(key)
                    self._last_id = event.id
                self.count += 1
            yield event
