"""NeoInbox: the inbox as a widget, and the chat of the task you open below it.

The list is an anywidget (front-end ``js/src/inbox.ts``, contract ``js/src/inbox-model.ts``)
drawing an :class:`~neo_notebook._inbox.Inbox`. Small state lives in synced traits; rows go
as custom messages carrying only the rows that changed (a trait list would be resent whole on
each change), and the full approval card of a row only when it is expanded. Clicks arrive
with a ``request_id``, run on one worker thread, and are answered with an ``ack``; a resent
click never acts twice, and an answer goes through the task's session, so the inbox, the
task's chat and ``client.approve`` send one confirmation between them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets
import traitlets as t

from ._errors import ApprovalError, ConfigurationError, NeoError
from ._inbox import Inbox, InboxClient, Row
from ._widget import NeoChat, banner_for

__all__ = ["NeoInbox"]

_STATIC = Path(__file__).parent / "static"
_SOURCES = ("api", "console", "cli", "slack", "schedule", "github", "code-review")
#: The filter names the front-end uses, and the list_tasks keywords they stand for.
_FILTERS = ("query", "status", "sort_by", "sort_direction", "task_type", "exclude_sources")


class InboxList(anywidget.AnyWidget):
    """The inbox's list (the front-end); :class:`NeoInbox` owns it."""

    _esm = _STATIC / "inbox.js"
    _css = _STATIC / "inbox.css"

    filters = t.Dict().tag(sync=True)
    sources = t.List(t.Unicode(), default_value=list(_SOURCES)).tag(sync=True)
    following = t.Int(0).tag(sync=True)
    follow_cap = t.Int(50).tag(sync=True)
    poll_seconds = t.Float(5.0).tag(sync=True)
    listed = t.Int(0).tag(sync=True)
    has_more = t.Bool(False).tag(sync=True)
    banner = t.Dict(None, allow_none=True).tag(sync=True)
    opened = t.Unicode(None, allow_none=True).tag(sync=True)
    loading = t.Bool(True).tag(sync=True)


class NeoInbox(ipywidgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Every task that needs you, in one place: approve or reject right in the list, open a
    task's chat below it.

    Args:
        client: the NeoClient to read through.
        poll_seconds: how often the list is read again (default 5).
        follow_cap: how many of the most recently active tasks are followed (default 50).
        page_size: tasks per page of the listing; "Load more" reads the next page.
        filters: the filters of :meth:`NeoClient.list_tasks` (also controls in the widget).

    Example::

        inbox = client.inbox(exclude_sources=["slack"])
        inbox                      # shows it; %neo inbox does the same
        inbox.rows                 # what it lists, Needs you first
    """

    def __init__(
        self,
        client: InboxClient,
        *,
        poll_seconds: float = 5.0,
        follow_cap: int = 50,
        page_size: int = 50,
        **filters: Any,
    ) -> None:
        self.inbox = Inbox(
            client,
            poll_seconds=poll_seconds,
            follow_cap=follow_cap,
            page_size=page_size,
            **filters,
        )
        self.client = client
        self.list = InboxList(
            filters=_front_end_filters(self.inbox.filters),
            follow_cap=follow_cap,
            poll_seconds=poll_seconds,
        )
        super().__init__(children=[self.list])
        self._lock = threading.Lock()
        self._acks: dict[str, dict[str, Any]] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neo-inbox-actions")
        self._chat: NeoChat | None = None
        self.list.on_msg(self._on_message)
        self._unsubscribe = self.inbox.subscribe(self._on_change)
        self.inbox.start()

    def __repr__(self) -> str:
        return f"NeoInbox({self.inbox!r})"

    @property
    def rows(self) -> list[Row]:
        """What the list shows, Needs you first."""
        return self.inbox.rows

    def open_task(self, task_id: str | None) -> NeoChat | None:
        """Show a task's chat below the list (the chat ``client.chat(task_id)`` returns), or
        none."""
        chat = self.client.chat(task_id) if task_id else None  # type: ignore[attr-defined]
        self._chat = chat
        self.children = [self.list] if chat is None else [self.list, chat]
        self.list.opened = task_id
        return chat

    def close(self) -> None:
        """Stop reading the list and close the widget."""
        self._unsubscribe()
        self.inbox.stop()
        self._worker.shutdown(wait=False)
        self.list.close()
        super().close()

    # -- the front-end -----------------------------------------------------------------------

    def _on_change(self, changed: list[Row], removed: list[str], reset: bool) -> None:
        inbox = self.inbox
        with self.list.hold_sync():
            self.list.following = inbox.following
            self.list.listed = len(inbox.rows)
            self.list.has_more = inbox.has_more
            self.list.loading = False
            error = inbox.error
            self.list.banner = banner_for(error) if error is not None else None  # type: ignore[assignment]
        if reset or changed:
            self.list.send({"type": "rows", "rows": changed, "reset": reset})
        if removed:
            self.list.send({"type": "remove", "ids": removed})

    def _on_message(self, _: Any, content: Mapping[str, Any], buffers: Any) -> None:
        kind = content.get("type")
        if kind == "sync":
            self.list.send({"type": "rows", "rows": self.inbox.rows, "reset": True})
            self.inbox.wake()
            return
        request_id = content.get("request_id")
        if kind not in _ACTIONS or not isinstance(request_id, str) or not request_id:
            return
        with self._lock:
            if request_id in self._acks:  # a resent click: the same answer, no second act
                ack = self._acks[request_id]
                if ack.get("ok") is not None:
                    self.list.send(ack)
                return
            self._acks[request_id] = {"type": "ack", "request_id": request_id, "ok": None}
        self._worker.submit(self._act, dict(content))

    def _act(self, content: dict[str, Any]) -> None:
        error: str | None = None
        try:
            _ACTIONS[content["type"]](self, content)
        except NeoError as exc:
            error = str(exc)
        except Exception as exc:  # a handler must always answer, or the view waits forever
            error = f"{type(exc).__name__}: {exc}"
        ack = {"type": "ack", "request_id": content["request_id"], "ok": error is None}
        ack["error"] = error
        with self._lock:
            self._acks[content["request_id"]] = ack
        self.list.send(ack)

    def _approve(self, content: dict[str, Any]) -> None:
        self.inbox.approve(_text(content, "task_id"), _text(content, "approval_request_id"))

    def _reject(self, content: dict[str, Any]) -> None:
        instructions = content.get("instructions")
        self.inbox.reject(
            _text(content, "task_id"),
            _text(content, "approval_request_id"),
            instructions if isinstance(instructions, str) else "",
        )

    def _open(self, content: dict[str, Any]) -> None:
        task_id = content.get("task_id")
        self.open_task(task_id if isinstance(task_id, str) and task_id else None)

    def _expand(self, content: dict[str, Any]) -> None:
        task_id = _text(content, "task_id")
        self.list.send({"type": "card", "id": task_id, "card": self.inbox.card(task_id)})

    def _filter(self, content: dict[str, Any]) -> None:
        given = content.get("filters")
        if not isinstance(given, Mapping):
            raise ConfigurationError("filters must be an object")
        filters = {
            name: value for name in _FILTERS if (value := given.get(name)) not in (None, "", [])
        }
        self.list.loading = True
        self.inbox.set_filters(**filters)
        self.list.filters = _front_end_filters(self.inbox.filters)

    def _more(self, content: dict[str, Any]) -> None:
        self.list.loading = True
        self.inbox.more()


#: The panel's actions, by the message type that asks for them: a new one is a row here.
_ACTIONS: dict[str, Callable[[NeoInbox, dict[str, Any]], None]] = {
    "approve": NeoInbox._approve,
    "reject": NeoInbox._reject,
    "open": NeoInbox._open,
    "expand": NeoInbox._expand,
    "filter": NeoInbox._filter,
    "more": NeoInbox._more,
}


def _text(content: Mapping[str, Any], key: str) -> str:
    value = content.get(key)
    if not isinstance(value, str) or not value:
        raise ApprovalError(f"{key} is missing from the request.")
    return value


def _front_end_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The API's query parameters as the front-end's filter object ("" for not set)."""
    return {
        "query": params.get("query", ""),
        "status": params.get("status", ""),
        "sort_by": params.get("sortBy", ""),
        "sort_direction": params.get("sortDirection", ""),
        "task_type": params.get("taskType", ""),
        "exclude_sources": list(params.get("excludeSources", [])),
    }
