"""Neo's history as data: tidy DataFrames of tasks, events and tool calls, and a Parquet export.

Three functions turn what the API returns into frames, MLflow ``search_runs`` style: a fixed
column order, real dtypes, the same columns and dtypes when the input is empty, and the null
rules in each docstring. :func:`fetch_history` reads many tasks at once and
:func:`export_history` writes them as a Parquet dataset that DuckDB, Polars or Spark can read.

Dtypes used throughout:

- ``category``: low-cardinality text (task ids within an event frame, kinds, types, tool
  names, statuses); missing values are NaN.
- ``string`` (``pd.StringDtype("pyarrow")``): other text; missing values are ``pd.NA``.
- ``datetime64[us, UTC]``: every timestamp; missing or unreadable times, and Go's zero time
  (``0001-01-01T00:00:00Z``, the API's "never"), are ``NaT``.
- ``int64`` for counts, ``bool`` for flags that are always known, ``boolean`` (nullable) for
  flags that may be absent, ``timedelta64[us]`` for durations, ``object`` for parsed tool
  arguments (dict or None) and lists of entity names.

Frames are built column by column, never row by row: each page of JSON is read into
per-column lists, which become Arrow batches before the next page is read, and the frame is
made once at the end. The raw JSON of a page is dropped as soon as it is read, so a task's
history is never held twice, nor as Python strings in full.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._client import MAX_PAGE_SIZE
from ._entities import PolicyIssue, PullRequest, Repository, Stack
from ._errors import ConfigurationError, NeoError
from ._models import APPROVAL_TOOL, Event, Task, ToolCall, parse_timestamp

if TYPE_CHECKING:
    from ._client import NeoClient

__all__ = [
    "ExportSummary",
    "History",
    "events_frame",
    "export_history",
    "fetch_history",
    "tasks_frame",
    "tool_calls_frame",
]

#: How a column is stored; ``int``/``Int`` and ``bool``/``boolean`` are the plain and the
#: nullable variants.
Kind = Literal[
    "category",
    "string",
    "int",
    "Int",
    "bool",
    "boolean",
    "timestamp",
    "duration",
    "object",
    "list",
]

#: Columns of :func:`events_frame`, in order, with their kind (see the module docstring).
EVENT_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("task_id", "category"),
    ("seq", "int"),
    ("event_id", "string"),
    ("kind", "category"),
    ("type", "category"),
    ("timestamp", "timestamp"),
    ("content", "string"),
    ("name", "category"),
    ("tool_call_id", "string"),
    ("n_tool_calls", "int"),
    ("approval_request_id", "string"),
    ("is_final", "boolean"),
)
#: Columns of :func:`tool_calls_frame`, in order.
TOOL_CALL_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("task_id", "category"),
    ("event_id", "string"),
    ("call_id", "string"),
    ("name", "category"),
    ("arguments", "object"),
    ("raw_arguments", "string"),
    ("timestamp", "timestamp"),
    ("started_at", "timestamp"),
    ("finished_at", "timestamp"),
    ("duration", "duration"),
    ("is_error", "boolean"),
)
#: Columns of :func:`tasks_frame`, in order.
TASK_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("task_id", "string"),
    ("name", "string"),
    ("status", "category"),
    ("created_at", "timestamp"),
    ("created_by", "category"),
    ("is_shared", "bool"),
    ("shared_at", "timestamp"),
    ("approval_mode", "category"),
    ("plan_mode", "boolean"),
    ("permission_mode", "category"),
    ("tokens_used", "Int"),
    ("entities", "list"),
    ("stacks", "list"),
    ("repositories", "list"),
    ("pull_requests", "list"),
    ("policy_issues", "list"),
)
_RAW: tuple[str, Kind] = ("raw", "string")

_STRING = pd.StringDtype("pyarrow")
#: The pandas dtype of each nullable kind read from Arrow (the others map on their own).
_NULLABLE: dict[Kind, Any] = {
    "string": _STRING,
    "boolean": pd.BooleanDtype(),
    "Int": pd.Int64Dtype(),
}
#: Each kind's Arrow type, in memory and in the Parquet export.
_ARROW_TYPES: dict[Kind, pa.DataType] = {
    "category": pa.string(),
    "string": pa.string(),
    "int": pa.int64(),
    "Int": pa.int64(),
    "bool": pa.bool_(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "object": pa.string(),
    "list": pa.list_(pa.string()),
}
#: Event types whose text is under ``message`` rather than ``content``.
_MESSAGE_TYPES = frozenset({"error", "warning", "user_approval_request"})
_EMPTY: Mapping[str, Any] = {}
_COMPACT = (",", ":")
_T = TypeVar("_T")


# -- columns --------------------------------------------------------------------------------


def _text_or_none(values: list[Any]) -> list[str | None]:
    return [v if isinstance(v, str) else None for v in values]


def _valid_utf8(text: str) -> str:
    # JSON escapes like "\ud800" decode to lone surrogates, which UTF-8 cannot hold.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _arrow_text(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a field of the wrong type: drop it
        values = _text_or_none(values)
    except UnicodeEncodeError:
        pass
    try:
        return pa.array(values, pa.string())
    except UnicodeEncodeError:
        return pa.array(
            [_valid_utf8(v) if isinstance(v, str) else None for v in values], pa.string()
        )


def _raw_json(value: Any) -> str:
    """The JSON text of an event or task for the ``raw`` column, valid UTF-8 either way."""
    text = json.dumps(value, separators=_COMPACT, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=_COMPACT, default=str)  # escapes survive as text
    return text


def _arrow_timestamps(values: list[Any]) -> pa.Array:
    """RFC 3339 strings as UTC microseconds, parsed in bulk.

    Arrow's parser is several times faster than pandas' and reads the API's usual forms
    (``Z``, offsets, up to nanoseconds); anything it refuses (no zone, junk, Go's zero time,
    which overflows nanoseconds) sends the batch through pandas, which coerces junk to NaT
    and reads zone-less times as UTC.
    """
    try:
        parsed = _arrow_text(values).cast(pa.timestamp("ns", tz="UTC"))
        return parsed.cast(_ARROW_TYPES["timestamp"], safe=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = pd.Series(_text_or_none(values), dtype=object)
        index = pd.DatetimeIndex(
            pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
        ).as_unit("us")
        return pa.array(index.where(index.year > 1))


def _to_arrow(kind: Kind, values: list[Any]) -> pa.Array:
    """A batch of one column as Arrow, so the Python objects can be dropped page by page."""
    if kind in ("string", "category"):
        return _arrow_text(values)
    if kind == "timestamp":
        return _arrow_timestamps(values)
    return pa.array(values, _ARROW_TYPES[kind])


def _from_arrow(kind: Kind, chunks: list[pa.Array]) -> Any:
    """The pandas column of a kind from its Arrow batches (see the module docstring)."""
    chunked = pa.chunked_array(chunks, _ARROW_TYPES[kind])
    if kind == "category":
        encoded = chunked.combine_chunks().dictionary_encode()
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        categories = pd.Index(encoded.dictionary.to_pylist(), dtype=str)
        return pd.Categorical.from_codes(codes, categories=categories)
    dtype = _NULLABLE.get(kind)
    return chunked.to_pandas(types_mapper=None if dtype is None else lambda _: dtype).array


def _column(kind: Kind, values: list[Any]) -> Any:
    """One column in its documented dtype, from a plain list."""
    if kind == "duration":
        return pd.array(values, dtype="timedelta64[us]")
    if kind in ("object", "list"):
        return pd.Series(values, dtype=object).array
    return _from_arrow(kind, [_to_arrow(kind, values)])


def _frame(spec: tuple[tuple[str, Kind], ...], columns: dict[str, Any]) -> pd.DataFrame:
    """One DataFrame from column lists (or columns already converted); each list is dropped
    as soon as it is converted, so the text is never held twice."""
    data = {
        name: _column(kind, values) if isinstance(values := columns.pop(name), list) else values
        for name, kind in spec
    }
    frame: pd.DataFrame = pd.DataFrame(data, columns=[name for name, _ in spec], copy=False)
    return frame


# -- events and tool calls -----------------------------------------------------------------


def _event_json(event: Event | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The wire JSON of an event; an Event built by hand is turned back into it."""
    if isinstance(event, Mapping):
        return event
    if not isinstance(event, Event):
        return None
    if event.raw:
        return event.raw
    body: dict[str, Any] = dict(event.body)
    body.setdefault("type", event.type)
    if event.content is not None:
        body.setdefault("content", event.content)
    if event.timestamp is not None:
        body.setdefault("timestamp", event.timestamp.isoformat())
    if event.tool_calls and "tool_calls" not in body:
        body["tool_calls"] = [dict(c.raw) for c in event.tool_calls]
    return {"id": event.id, "type": event.kind, "eventBody": body}


def _content_text(body: Mapping[str, Any], event_type: Any) -> str | None:
    content = body.get("content")
    if isinstance(content, str):
        return content
    if content is None:
        message = body.get("message") if event_type in _MESSAGE_TYPES else None
        return message if isinstance(message, str) else None
    if isinstance(content, Mapping) and isinstance(content.get("output"), str):
        return str(content["output"])
    return json.dumps(content, default=str, ensure_ascii=False)


def _response_is_error(result: Mapping[str, Any]) -> bool:
    """Whether a tool response (or one item of a ``tool_result``) reports a failure."""
    flag = result.get("is_error")
    if isinstance(flag, bool):
        return flag
    content = result.get("content")
    if isinstance(content, Mapping):
        code = content.get("exit_code")
        if isinstance(code, int) and not isinstance(code, bool):
            return code != 0
        return isinstance(content.get("error"), str) and bool(content["error"])
    return False


class _Collector:
    """Column lists for the events and tool calls of one or more tasks, filled page by page.

    Events are deduplicated by id within a task (a page boundary that moves under a reader
    repeats events), and each keeps its position in the task as ``seq``. Tool calls are
    paired with their ``exec_tool_call`` and ``tool_response``/``tool_result`` by call id.
    """

    def __init__(self, *, raw: bool = False, tool_calls: bool = True) -> None:
        self.want_calls = tool_calls
        self.spec = EVENT_COLUMNS + ((_RAW,) if raw else ())
        #: The page being read, as lists; turned into Arrow batches when the page is done.
        self.events: dict[str, list[Any]] = {name: [] for name, _ in self.spec}
        self.batches: dict[str, list[pa.Array]] = {name: [] for name, _ in self.spec}
        self.calls: dict[str, list[Any]] = {name: [] for name, _ in TOOL_CALL_COLUMNS}
        self._seen: dict[str | None, set[str]] = {}
        self._next_seq: dict[str | None, int] = {}
        self._rows: dict[str | None, dict[str, int]] = {}

    def add(self, items: Iterable[Any], task_id: str | None) -> None:
        """Append a page of events (raw dicts or Event objects) of one task, in order.

        The page's columns become Arrow batches at the end, so its Python objects are freed
        page by page: a long task never holds its whole history as Python strings.
        """
        seen = self._seen.setdefault(task_id, set())
        c = self.events
        ids, kinds, types, stamps = c["event_id"], c["kind"], c["type"], c["timestamp"]
        contents, names, call_ids = c["content"], c["name"], c["tool_call_id"]
        counts, approvals, finals = c["n_tool_calls"], c["approval_request_id"], c["is_final"]
        seqs = c["seq"]
        raws = c.get("raw")
        seq = self._next_seq.get(task_id, 0)
        start = len(seqs)
        for item in items:
            event = item if type(item) is dict else _event_json(item)
            if event is None:
                continue
            event_id = event.get("id")
            if isinstance(event_id, str) and event_id:
                if event_id in seen:
                    continue
                seen.add(event_id)
            body = event.get("eventBody")
            if type(body) is not dict and not isinstance(body, Mapping):
                body = _EMPTY
            event_type = body.get("type")
            if not isinstance(event_type, str):
                event_type = None  # a type that is not text is no type; raw keeps it
            calls: Any = body.get("tool_calls")
            n_calls = len(calls) if isinstance(calls, list) else 0
            timestamp = body.get("timestamp") or event.get("timestamp")
            approval = None
            if event_type == "user_confirmation":
                approval = body.get("approval_request_id")
            elif event_type == "user_approval_request":
                approval = body.get("id")
            elif n_calls:
                approval = _approval_from_calls(calls)
            seqs.append(seq)
            seq += 1
            ids.append(event_id)
            kinds.append(event.get("type"))
            types.append(event_type)
            stamps.append(timestamp)
            content = body.get("content")
            contents.append(content if type(content) is str else _content_text(body, event_type))
            names.append(body.get("name"))
            call_ids.append(body.get("tool_call_id"))
            counts.append(n_calls)
            approvals.append(approval)
            final = body.get("is_final")
            finals.append(final if final is True or final is False else None)
            if raws is not None:
                raws.append(_raw_json(event))
            if self.want_calls and (n_calls or event_type in _CALL_EVENTS):
                self._add_calls(task_id, event_id, event_type, body, calls, timestamp)
        self._next_seq[task_id] = seq
        c["task_id"].extend([task_id] * (len(seqs) - start))
        for name, kind in self.spec:
            self.batches[name].append(_to_arrow(kind, c[name]))
            c[name].clear()

    def _add_calls(
        self,
        task_id: str | None,
        event_id: Any,
        event_type: Any,
        body: Mapping[str, Any],
        calls: Any,
        timestamp: Any,
    ) -> None:
        rows = self._rows.setdefault(task_id, {})
        if isinstance(calls, list):
            for call in calls:
                if isinstance(call, Mapping):
                    self._new_call(rows, task_id, event_id, ToolCall.from_json(call), timestamp)
        elif event_type == "exec_tool_call":
            row = self._row(rows, task_id, event_id, body, timestamp)
            self.calls["started_at"][row] = timestamp
        elif event_type == "tool_response":
            row = self._row(rows, task_id, event_id, body, timestamp)
            self.calls["finished_at"][row] = timestamp
            self.calls["is_error"][row] = _response_is_error(body)
        elif event_type == "tool_result":
            results = body.get("tool_results")
            for result in results if isinstance(results, list) else ():
                if isinstance(result, Mapping):
                    row = self._row(rows, task_id, event_id, result, timestamp)
                    self.calls["finished_at"][row] = timestamp
                    self.calls["is_error"][row] = _response_is_error(result)

    def _new_call(
        self,
        rows: dict[str, int],
        task_id: str | None,
        event_id: Any,
        call: ToolCall,
        timestamp: Any,
    ) -> int:
        c = self.calls
        row = len(c["call_id"])
        if call.id:
            rows[call.id] = row
        c["task_id"].append(task_id)
        c["event_id"].append(event_id)
        c["call_id"].append(call.id or None)
        c["name"].append(call.name or None)
        c["arguments"].append(dict(call.arguments) if call.arguments is not None else None)
        c["raw_arguments"].append(call.raw_arguments)
        c["timestamp"].append(timestamp)
        c["started_at"].append(None)
        c["finished_at"].append(None)
        c["is_error"].append(None)
        return row

    def _row(
        self,
        rows: dict[str, int],
        task_id: str | None,
        event_id: Any,
        body: Mapping[str, Any],
        timestamp: Any,
    ) -> int:
        """The row of the call an exec/response event names; a call first seen there gets one."""
        call_id = body.get("tool_call_id")
        if isinstance(call_id, str) and call_id in rows:
            return rows[call_id]
        call = ToolCall.from_json(
            {
                "id": call_id if isinstance(call_id, str) else "",
                "name": body.get("name"),
                "args": body.get("args"),
            }
        )
        return self._new_call(rows, task_id, event_id, call, timestamp)

    def extend(self, other: _Collector) -> None:
        """Append another collector's rows (another task's), keeping its order."""
        for name, batches in other.batches.items():
            self.batches[name].extend(batches)
        for name, values in other.calls.items():
            self.calls[name].extend(values)

    def events_frame(self) -> pd.DataFrame:
        """The events frame; empties the collector's event lists."""
        data = {name: _from_arrow(kind, self.batches.pop(name)) for name, kind in self.spec}
        return _frame(self.spec, data)

    def tool_calls_frame(self) -> pd.DataFrame:
        """The tool calls frame, with durations; empties the collector's tool-call lists."""
        c = self.calls
        announced, started, finished = (
            pd.Series(_column("timestamp", c[name]))
            for name in ("timestamp", "started_at", "finished_at")
        )
        c["timestamp"], c["started_at"], c["finished_at"] = (
            announced.array,
            started.array,
            finished.array,
        )
        c["duration"] = (finished - started.fillna(announced)).array
        return _frame(TOOL_CALL_COLUMNS, c)


_CALL_EVENTS = frozenset({"exec_tool_call", "tool_response", "tool_result"})


def _approval_from_calls(calls: list[Any]) -> str | None:
    """The id of the first ``approval_request`` tool call (the seed's approval shape)."""
    for call in calls:
        if type(call) is not dict and not isinstance(call, Mapping):
            continue
        function = call.get("function")
        name = function.get("name") if type(function) is dict else call.get("name")
        if name == APPROVAL_TOOL:
            arguments = ToolCall.from_json(call).arguments or {}
            approval_id = arguments.get("approval_request_id")
            return approval_id if isinstance(approval_id, str) and approval_id else None
    return None


def events_frame(
    events: Iterable[Event | Mapping[str, Any]],
    *,
    task_id: str | None = None,
    raw: bool = False,
) -> pd.DataFrame:
    """One row per event, in the order given, as a DataFrame with a fixed set of columns.

    ``events`` are :class:`Event` objects or the API's event dicts (any iterable; a generator
    is read once). Events repeated by id are dropped after their first appearance; items
    that are neither are skipped.

    Columns, in order (dtypes in the module docstring):

    ============================ ============================================================
    ``task_id`` (category)       ``task_id`` as given; NaN when not given
    ``seq`` (int64)              position in the task after repeats are dropped, from 0
    ``event_id`` (string)        the event's ``id``; NA when it has none
    ``kind`` (category)          ``userInput`` or ``agentResponse``
    ``type`` (category)          ``eventBody.type``: ``user_message``, ``assistant_message``,
                                 ``exec_tool_call``, ... and any type the API adds later,
                                 under its own name; NaN when missing
    ``timestamp`` (UTC)          ``eventBody.timestamp``; NaT when missing or unreadable
    ``content`` (string)         the text: ``content``; ``message`` for ``error``, ``warning``
                                 and ``user_approval_request``; a tool response's ``output``,
                                 or its content as JSON text; NA otherwise
    ``name`` (category)          the tool of ``exec_tool_call``/``tool_response``, the new
                                 name of ``set_task_name``; NaN otherwise
    ``tool_call_id`` (string)    the call an ``exec_tool_call``/``tool_response`` belongs to
    ``n_tool_calls`` (int64)     tool calls the event makes; 0 when none
    ``approval_request_id``      the approval this event asks for (an ``approval_request``
    (string)                     tool call, or a ``user_approval_request``'s ``id``) or answers
                                 (``user_confirmation``); NA otherwise, and when the request's
                                 arguments are malformed
    ``is_final`` (boolean)       ``is_final`` of an assistant message; NA when absent
    ``raw`` (string)             only with ``raw=True``: the whole event as JSON text, so
                                 fields this version does not know stay reachable
    ============================ ============================================================

    >>> frame = events_frame([{"id": "e1", "type": "userInput",
    ...                        "eventBody": {"type": "user_message", "content": "hi"}}])
    >>> frame[["type", "content"]]
               type content
    0  user_message      hi
    """
    collector = _Collector(raw=raw, tool_calls=False)
    collector.add(events, task_id)
    return collector.events_frame()


def tool_calls_frame(
    events: Iterable[Event | Mapping[str, Any]], *, task_id: str | None = None
) -> pd.DataFrame:
    """One row per tool call Neo made in ``events``, oldest first.

    Both wire shapes are read: ``{"function": {"name", "arguments": "<json>"}}`` and
    ``{"id", "name", "args": {...}}``. A call is paired by id with its ``exec_tool_call``
    and its ``tool_response`` (or an item of a ``tool_result``); a call seen only there still
    gets a row. Approval requests made as ``approval_request`` tool calls are rows too.

    Columns, in order:

    ============================ ============================================================
    ``task_id`` (category)       as given; NaN when not given
    ``event_id`` (string)        the event that made the call (or first named it)
    ``call_id`` (string)         the call's ``id``; NA when it has none
    ``name`` (category)          the tool's name; NaN when missing
    ``arguments`` (object)       the parsed arguments as a dict; ``{}`` when there are none;
                                 None when they are not a JSON object (malformed)
    ``raw_arguments`` (string)   the arguments as JSON text as they came; NA when absent
    ``timestamp`` (UTC)          when the call was made
    ``started_at`` (UTC)         its ``exec_tool_call``; NaT when none was seen
    ``finished_at`` (UTC)        its ``tool_response``; NaT while it runs or when none came
    ``duration`` (timedelta)     ``finished_at`` minus ``started_at`` (or ``timestamp`` when
                                 there was no ``exec_tool_call``); NaT without a response
    ``is_error`` (boolean)       the response's ``is_error``, else a non-zero ``exit_code``
                                 or an ``error`` text in it; NA without a response
    ============================ ============================================================
    """
    collector = _Collector()
    collector.add(events, task_id)
    return collector.tool_calls_frame()


# -- tasks ---------------------------------------------------------------------------------


def tasks_frame(tasks: Iterable[Task | Mapping[str, Any]], *, raw: bool = False) -> pd.DataFrame:
    """One row per task, in the order given, with entities split into filterable columns.

    ``tasks`` are :class:`Task` objects or the API's task dicts. Tasks repeated by id keep
    their first appearance.

    Columns, in order:

    ============================ ============================================================
    ``task_id`` (string)         the task's ``id``
    ``name`` (string)            NA when empty
    ``status`` (category)        ``running`` or ``idle`` (not completion: see the events)
    ``created_at`` (UTC)         NaT when missing
    ``created_by`` (category)    the creator's GitHub login, else their name; NaN if unknown
    ``is_shared`` (bool)         False when absent
    ``shared_at`` (UTC)          NaT when never shared (Go's zero time) or absent
    ``approval_mode`` (category) ``manual``, ``balanced``, ``auto``; NaN when absent
    ``plan_mode`` (boolean)      NA when absent
    ``permission_mode``          ``default`` or ``read-only``; NaN when absent
    (category)
    ``tokens_used`` (Int64)      Neo tokens used; NA when absent
    ``entities`` (object)        every entity as text, e.g. ``"infra/prod"``,
                                 ``"github:acme/web"``, ``"github:acme/web#12"``
    ``stacks``, ``repositories``, lists (never None, maybe empty) of the entities of each
    ``pull_requests``,            kind, in the same text form: ``project/stack``,
    ``policy_issues`` (object)   ``forge:org/repo``, ``forge:org/repo#number``, ``id``
    ``raw`` (string)             only with ``raw=True``: the task as JSON text
    ============================ ============================================================

    Filter on a list column with ``frame[frame.stacks.apply(lambda s: "infra/prod" in s)]``
    or ``frame.explode("stacks")``.
    """
    spec = TASK_COLUMNS + ((_RAW,) if raw else ())
    columns: dict[str, list[Any]] = {name: [] for name, _ in spec}
    seen: set[str] = set()
    for item in tasks:
        data = item.raw if isinstance(item, Task) else item
        if not isinstance(data, Mapping):
            continue
        task = item if isinstance(item, Task) else Task.from_json(data)
        if task.id in seen:
            continue
        seen.add(task.id)
        _add_task(columns, task, data)
    return _frame(spec, columns)


def _add_task(columns: dict[str, list[Any]], task: Task, data: Mapping[str, Any]) -> None:
    created_by = task.created_by.get("githubLogin") or task.created_by.get("name")
    tokens = data.get("tokensUsed")
    by_kind: dict[type, list[str]] = {Stack: [], Repository: [], PullRequest: [], PolicyIssue: []}
    for entity in task.entities:
        if type(entity) in by_kind:
            by_kind[type(entity)].append(
                entity.id if isinstance(entity, PolicyIssue) else str(entity)
            )
    row: dict[str, Any] = {
        "task_id": task.id or None,
        "name": task.name or None,
        "status": task.status or None,
        "created_at": task.created_at.isoformat() if task.created_at else None,
        "created_by": created_by,
        "is_shared": task.is_shared,
        "shared_at": task.shared_at.isoformat() if task.shared_at else None,
        "approval_mode": task.approval_mode,
        "plan_mode": task.plan_mode,
        "permission_mode": data.get("permissionMode"),
        "tokens_used": tokens
        if isinstance(tokens, int) and not isinstance(tokens, bool) and 0 <= tokens < 2**63
        else None,
        "entities": [str(e) for e in task.entities],
        "stacks": by_kind[Stack],
        "repositories": by_kind[Repository],
        "pull_requests": by_kind[PullRequest],
        "policy_issues": by_kind[PolicyIssue],
    }
    if "raw" in columns:
        row["raw"] = _raw_json(data)
    for name, values in columns.items():
        values.append(row[name])


# -- many tasks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """The tasks of an org (or those asked for) with their events and tool calls.

    ``tasks`` has a row for every task that could be read; ``events`` and ``tool_calls`` hold
    the tasks whose events were all read, in task order, each task's rows in the API's order.
    A task that failed is in ``failures`` (task id -> the typed error, e.g. ``NotFoundError``)
    and has no rows in ``events``: never a partial event log.
    """

    tasks: pd.DataFrame
    events: pd.DataFrame
    tool_calls: pd.DataFrame
    failures: dict[str, NeoError] = field(default_factory=dict)

    def __repr__(self) -> str:
        text = (
            f"History({len(self.tasks):,} tasks, {len(self.events):,} events, "
            f"{len(self.tool_calls):,} tool calls"
        )
        if not self.failures:
            return text + ")"
        first = list(self.failures.items())[:3]
        shown = "; ".join(f"{task_id}: {type(error).__name__}" for task_id, error in first)
        more = f"; +{len(self.failures) - 3} more" if len(self.failures) > 3 else ""
        return text + f", {len(self.failures)} failed: {shown}{more}; see .failures)"


def _since(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    parsed = parse_timestamp(value) if isinstance(value, str) else None
    if parsed is None:
        raise ConfigurationError(
            f"since must be a datetime or an ISO 8601 time such as '2025-01-31' or "
            f"'2025-01-31T12:00:00Z', got {value!r}"
        )
    return parsed


def _check_workers(workers: int) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigurationError(f"workers must be a positive integer, got {workers!r}")
    return workers


def _interactive() -> bool:
    """Whether a person is watching: a Jupyter kernel or a terminal (for progress bars)."""
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
            return True
    return bool(sys.stderr is not None and sys.stderr.isatty())


@dataclass
class _Target:
    """A task to read: its id, and its JSON when already known (from the listing)."""

    task_id: str
    data: Mapping[str, Any] | None = None


def _targets(
    client: NeoClient, tasks: Iterable[str | Task] | None, since: datetime | None
) -> list[_Target]:
    if tasks is None:
        listing = client._iter_raw(client._path("tasks"), "tasks", MAX_PAGE_SIZE)
        found = [_Target(str(t.get("id")), t) for t in listing if t.get("id")]
    else:
        found = []
        for task in tasks:
            if isinstance(task, Task):
                found.append(_Target(task.id, task.raw or None))
            elif isinstance(task, str) and task.strip():
                found.append(_Target(task))
            else:
                raise ConfigurationError(f"tasks must hold task ids or Task objects, got {task!r}")
    unique = {t.task_id: t for t in reversed(found)}
    ordered = [unique.pop(t.task_id) for t in found if t.task_id in unique]
    return [t for t in ordered if t.data is None or _created_since(t.data, since)]


def _created_since(data: Mapping[str, Any], since: datetime | None) -> bool:
    if since is None:
        return True
    created = parse_timestamp(data.get("createdAt"))
    return created is not None and created >= since


def _read_pages(client: NeoClient, task_id: str) -> Iterator[list[Any]]:
    """A task's event pages at the largest page size; the first is fetched at the call, so a
    bad task id fails there.

    Pages are read in turn: fetching the next on a thread while this one is converted was
    measured, and under the GIL it saved nothing.
    """
    pages = client._pages(client._path("tasks", task_id, "events"), "events", MAX_PAGE_SIZE)
    return (items for items, _, _ in pages)


def _collect(
    client: NeoClient, task_id: str, *, raw: bool = False, tool_calls: bool = True
) -> _Collector:
    """Every event (and tool call) of one task, read page by page into columns."""
    collector = _Collector(raw=raw, tool_calls=tool_calls)
    for page in _read_pages(client, task_id):
        collector.add(page, task_id)
    return collector


def fetch_events_frame(client: NeoClient, task_id: str, *, raw: bool = False) -> pd.DataFrame:
    """One task's events frame (see :func:`events_frame`), read with the largest pages."""
    return _collect(client, task_id, raw=raw, tool_calls=False).events_frame()


def _run(
    targets: list[_Target],
    work: Callable[[_Target], _T],
    *,
    workers: int,
    progress: bool | None,
    desc: str,
) -> tuple[dict[str, _T], dict[str, NeoError]]:
    """Run ``work`` for every target on a thread pool; errors are collected per task.

    Only neo_notebook's own errors count as a task's failure: anything else is a bug and
    is raised.
    """
    show = _interactive() if progress is None else progress
    results: dict[str, _T] = {}
    failures: dict[str, NeoError] = {}
    from tqdm.auto import tqdm

    with (
        tqdm(total=len(targets), desc=desc, unit="task", disable=not show) as bar,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neo-history") as pool,
    ):
        futures = {pool.submit(work, target): target.task_id for target in targets}
        for future in as_completed(futures):
            task_id = futures[future]
            try:
                results[task_id] = future.result()
            except NeoError as exc:
                failures[task_id] = exc
            bar.update(1)
    return results, failures


def fetch_history(
    client: NeoClient,
    *,
    tasks: Iterable[str | Task] | None = None,
    since: datetime | str | None = None,
    workers: int = 8,
    progress: bool | None = None,
) -> History:
    """Read many tasks' events concurrently into one :class:`History`.

    Args:
        tasks: task ids or :class:`Task` objects; default every task of the org.
        since: keep only tasks created at or after this time (a datetime, naive meaning
            UTC, or an ISO 8601 string).
        workers: how many tasks are read at once, over the client's one pooled session.
        progress: show a progress bar; default only when a person is watching (Jupyter or
            a terminal).

    A task that cannot be read (gone, forbidden, the network failing after every retry) is
    listed in ``History.failures``; the others' events still come back.

    Example::

        history = client.history(since="2025-01-01")
        history.tool_calls.name.value_counts()
    """
    _check_workers(workers)
    after = _since(since)
    targets = _targets(client, tasks, after)

    def work(target: _Target) -> tuple[Mapping[str, Any] | None, _Collector]:
        data = target.data
        if data is None:
            data = client._get_json(client._path("tasks", target.task_id))
            if not isinstance(data, Mapping) or not _created_since(data, after):
                return None, _Collector()
        return data, _collect(client, target.task_id)

    results, failures = _run(targets, work, workers=workers, progress=progress, desc="tasks")
    task_rows: list[Mapping[str, Any]] = []
    everything = _Collector()
    for target in targets:
        if target.task_id in results:
            data, collector = results.pop(target.task_id)
            if data is not None:
                task_rows.append(data)
                everything.extend(collector)
        elif target.data is not None:
            task_rows.append(target.data)
    return History(
        tasks=tasks_frame(task_rows),
        events=everything.events_frame(),
        tool_calls=everything.tool_calls_frame(),
        failures=failures,
    )


# -- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_history` wrote: counts per table, and the tasks that failed."""

    path: Path
    tasks: int
    events: int
    tool_calls: int
    failures: dict[str, NeoError] = field(default_factory=dict)

    def __repr__(self) -> str:
        failed = f", {len(self.failures)} failed (see .failures)" if self.failures else ""
        return (
            f"ExportSummary({str(self.path)!r}: {self.tasks:,} tasks, {self.events:,} events, "
            f"{self.tool_calls:,} tool calls{failed})"
        )


def _schema(spec: tuple[tuple[str, Kind], ...]) -> pa.Schema:
    """The Parquet schema of a table: durations become float seconds (``<name>_s``), since
    Parquet has no duration type that DuckDB and Spark read as one."""
    fields = [
        pa.field(f"{name}_s", pa.float64())
        if kind == "duration"
        else pa.field(name, _ARROW_TYPES[kind])
        for name, kind in spec
    ]
    return pa.schema(fields)


_EVENT_SCHEMA = _schema((*EVENT_COLUMNS, _RAW))
_TOOL_CALL_SCHEMA = _schema(TOOL_CALL_COLUMNS)
_TASK_SCHEMA = _schema((*TASK_COLUMNS, _RAW))


def _for_parquet(frame: pd.DataFrame, spec: tuple[tuple[str, Kind], ...]) -> pd.DataFrame:
    """The frame with dict columns as JSON text and durations as seconds."""
    out: pd.DataFrame = frame.copy(deep=False)
    for name, kind in spec:
        if kind == "object":
            out[name] = [
                None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                for v in frame[name]
            ]
        elif kind == "duration":
            out[f"{name}_s"] = frame[name].dt.total_seconds()  # the schema sets the order
            del out[name]
    return out


def _write(frame: pd.DataFrame, schema: pa.Schema, target: Path) -> None:
    """Write one Parquet file atomically: a run cut short never leaves a half-written file
    where a reader (or the next run) would take it for a whole one."""
    import pyarrow.parquet as pq

    target.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    temporary = target.with_name(f".{target.name}.{threading.get_ident()}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, target)


def _month(data: Mapping[str, Any]) -> str:
    created = parse_timestamp(data.get("createdAt"))
    return created.strftime("%Y-%m") if created else "unknown"


def export_history(
    client: NeoClient,
    path: str | os.PathLike[str],
    *,
    since: datetime | str | None = None,
    workers: int = 8,
    progress: bool | None = None,
) -> ExportSummary:
    """Write the org's tasks, events and tool calls as a Parquet dataset under ``path``.

    Layout (Hive-style partitions by the month the task was created, in UTC)::

        path/tasks/month=2025-01/<task id>.parquet
        path/events/month=2025-01/<task id>.parquet
        path/tool_calls/month=2025-01/<task id>.parquet

    One file per task per table, replaced whole on every export, so exporting again (after
    new events, or to resume a run that failed part way) never duplicates a row, and
    ``since`` makes an export incremental: only tasks created at or after it are (re)written.
    Tasks created earlier that got new events since are refreshed by an export with an older
    ``since``. Columns are those of the frames, with ``raw`` JSON text in ``tasks`` and
    ``events``; in ``tool_calls``, ``arguments`` is JSON text and ``duration`` becomes
    ``duration_s`` (float seconds). A task that fails is in the summary's ``failures`` and
    keeps whatever an earlier export wrote for it.

    Read it back with DuckDB::

        duckdb.sql("select type, count(*) from read_parquet('path/events/**/*.parquet', "
                   "hive_partitioning=true) group by type")
    """
    _check_workers(workers)
    root = Path(path)
    targets = _targets(client, None, _since(since))

    def work(target: _Target) -> tuple[int, int]:
        data = target.data or {}  # the listing gives every task's JSON
        collector = _collect(client, target.task_id, raw=True)
        name = quote(target.task_id, safe="-_.") + ".parquet"
        partition = f"month={_month(data)}"
        events = collector.events_frame()
        calls = collector.tool_calls_frame()
        _write(events, _EVENT_SCHEMA, root / "events" / partition / name)
        _write(
            _for_parquet(calls, TOOL_CALL_COLUMNS),
            _TOOL_CALL_SCHEMA,
            root / "tool_calls" / partition / name,
        )
        # The task row last: its presence says the task's other files are complete.
        _write(tasks_frame([data], raw=True), _TASK_SCHEMA, root / "tasks" / partition / name)
        return len(events), len(calls)

    results, failures = _run(targets, work, workers=workers, progress=progress, desc="export")
    return ExportSummary(
        path=root,
        tasks=len(results),
        events=sum(n for n, _ in results.values()),
        tool_calls=sum(n for _, n in results.values()),
        failures=failures,
    )
