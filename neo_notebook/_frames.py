"""Neo's history as data: tidy DataFrames of tasks, events and tool calls.

Three functions turn what the API returns into frames, MLflow ``search_runs`` style: a fixed
column order, real dtypes, the same columns and dtypes when the input is empty, and the null
rules in each docstring. Events are read by ``_events`` (the one reading of what an event
means); this module only lays the records out as columns. Reading many tasks over the
network and the Parquet export are in ``_history``.

Dtypes used throughout:

- ``category``: low-cardinality text (task ids within an event frame, kinds, types, tool
  names, statuses); missing values are NaN.
- ``string`` (``pd.StringDtype("pyarrow")``): other text; missing values are ``pd.NA``.
- ``datetime64[us, UTC]``: every timestamp; missing or unreadable times, and Go's zero time
  (``0001-01-01T00:00:00Z``, the API's "never"), are ``NaT``.
- ``int64`` for counts that are always known, ``Int64`` (nullable) for counts that may be
  absent, ``bool`` for flags that are always known, ``boolean`` (nullable) for flags that may
  be absent, ``timedelta64[us]`` for durations, ``object`` for parsed tool arguments (dict or
  None) and lists of names.

Frames are built column by column, never row by row: each page of events is read into
per-column lists, which become Arrow batches before the next page is read, and the frame is
made once at the end. A page's JSON is dropped as soon as it is read, so a task's history is
never held twice, nor as Python strings in full.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._entities import PolicyIssue, PullRequest, Repository, Stack
from ._eventlog import EventLog, ToolRun
from ._events import Event, Reading, TokenUsage, read_event
from ._models import Task
from ._transport import item_key

__all__ = [
    "EVENT_COLUMNS",
    "RAW_COLUMN",
    "TASK_COLUMNS",
    "TOOL_CALL_COLUMNS",
    "Collector",
    "Kind",
    "arrow_type",
    "events_frame",
    "paused_gc",
    "raw_json",
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
    ("synthetic", "bool"),
    ("input_tokens", "Int"),
    ("output_tokens", "Int"),
    ("cache_creation_tokens", "Int"),
    ("cache_read_tokens", "Int"),
    ("models", "category"),
)
#: Columns of :func:`tool_calls_frame`, in order.
TOOL_CALL_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("task_id", "category"),
    ("event_id", "string"),
    ("call_id", "string"),
    ("name", "category"),
    ("arguments", "object"),
    ("raw_arguments", "string"),
    ("execution_mode", "category"),
    ("runner", "category"),
    ("state", "category"),
    ("result", "string"),
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
    ("role", "category"),
    ("task_type", "category"),
    ("trigger_type", "category"),
    ("source", "category"),
    ("tool_execution_mode", "category"),
    ("runtime_phase", "category"),
    ("agent_definition_id", "category"),
    ("tokens_used", "Int"),
    ("context_used_tokens", "Int"),
    ("context_window_tokens", "Int"),
    ("pending_inputs", "Int"),
    ("last_heartbeat", "timestamp"),
    ("entities", "list"),
    ("stacks", "list"),
    ("repositories", "list"),
    ("pull_requests", "list"),
    ("policy_issues", "list"),
)
#: The optional last column of the events and tasks frames: the whole JSON as text.
RAW_COLUMN: tuple[str, Kind] = ("raw", "string")

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
_COMPACT = (",", ":")
#: The token columns of an event without usage.
_NO_USAGE = (None, None, None, None, None)


def arrow_type(kind: Kind) -> pa.DataType:
    """The Arrow (and Parquet) type of a column kind; durations have none of their own."""
    return _ARROW_TYPES[kind]


# -- columns --------------------------------------------------------------------------------


def _text_or_none(values: Iterable[Any]) -> list[str | None]:
    return [v if isinstance(v, str) else None for v in values]


def _valid_utf8(text: str) -> str:
    # JSON escapes like "\ud800" decode to lone surrogates, which UTF-8 cannot hold.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _arrow_text(values: Sequence[Any]) -> pa.Array:
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


def raw_json(value: Any) -> str:
    """The JSON text of an event or task for the ``raw`` column, valid UTF-8 either way."""
    text = json.dumps(value, separators=_COMPACT, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=_COMPACT, default=str)  # escapes survive as text
    return text


def _arrow_timestamps(values: Sequence[Any]) -> pa.Array:
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


def _to_arrow(kind: Kind, values: Sequence[Any]) -> pa.Array:
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


class _GcPause:
    """Pause Python's cyclic garbage collector while events are read in bulk.

    A page of events is tens of thousands of containers (its JSON, then its reading) and no
    reference cycles, so the collector has nothing to find in it; yet each container counts
    toward its thresholds, and a page alive when it runs is walked and promoted, to be
    walked again by every full collection of a notebook that holds large frames. Reference
    counting frees every page as before. (Mercurial pauses it around its bulk parsing for
    the same reason.)

    Pauses nest and overlap across threads (a history reads eight tasks at once): the first
    to begin turns the collector off, the last to end restores it as it was, so it is never
    left off by a reader, nor turned on when the user had turned it off.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = True

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()


#: ``with paused_gc(): ...`` reads in bulk with the collector paused (see :class:`_GcPause`).
paused_gc = _GcPause()


class Collector:
    """Columns of the events and tool runs of one or more tasks, filled page by page.

    Events are deduplicated by id within a task (a page boundary that moves under a reader
    repeats events), and each keeps its position in its task as ``seq``. Tool runs are
    folded per task by :class:`EventLog`, the same fold the chat panel uses.
    """

    def __init__(self, *, raw: bool = False, tool_calls: bool = True) -> None:
        self.spec = EVENT_COLUMNS + ((RAW_COLUMN,) if raw else ())
        self.batches: dict[str, list[pa.Array]] = {name: [] for name, _ in self.spec}
        self.logs: dict[str | None, EventLog] | None = {} if tool_calls else None
        self._seen: dict[str | None, set[str]] = {}
        self._next_seq: dict[str | None, int] = {}

    def add(self, items: Iterable[Any], task_id: str | None = None) -> None:
        """Append a page of events (raw dicts or :class:`Event` records), in order.

        ``task_id`` labels every event; without it, an event that does not say its task
        (an API dict) belongs to the task of the event before it. The page's columns become
        Arrow batches at the end, so a long task is never held as Python strings in full.
        """
        page = items if type(items) is list else list(items)
        with paused_gc():
            if task_id is None or not self._add_api_page(page, task_id):
                self._add_each(page, task_id)

    def _add_each(self, page: list[Any], task_id: str | None) -> None:
        """:meth:`add`, event by event: records, events of several tasks, repeats."""
        kept: list[Reading] = []
        owners: list[str | None] = []
        logs = self.logs
        owner = task_id
        seen: set[str] | None = None
        seq = self._next_seq.get(owner, 0)
        seqs: list[int] = []
        for item in page:
            if type(item) is dict or (not isinstance(item, Event) and isinstance(item, Mapping)):
                event: Event | None = None
                read = read_event(item)
                said = task_id
            elif isinstance(item, Event):
                event = item
                read = item.reading
                said = task_id if task_id is not None else item.task_id
            else:
                continue
            # An event that does not say its task belongs to the task of the one before it.
            if (said is not None and said != owner) or seen is None:
                self._next_seq[owner] = seq
                owner = said if said is not None else owner
                seen = self._seen.setdefault(owner, set())
                seq = self._next_seq.get(owner, 0)
            key = item_key(read.raw)  # the one rule for repeats
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            kept.append(read)
            owners.append(owner)
            seqs.append(seq)
            seq += 1
            if logs is not None:
                if event is None or event.task_id != owner:
                    event = Event(read, owner)
                log = logs.get(owner)
                if log is None:
                    log = logs[owner] = EventLog(owner)
                log.add(event)
        self._next_seq[owner] = seq
        self._lay_out(kept, owners, seqs)

    def _add_api_page(self, page: list[Any], task_id: str) -> bool:
        """The usual page, in bulk: API dicts of one task, none repeated. False (nothing
        added) for anything else, which :meth:`add` takes event by event.

        A long history is mostly such pages, and reading them without a per-event loop
        here is what keeps a frame close to the cost of fetching it.
        """
        if not page or set(map(type, page)) != {dict}:
            return False
        ids = [event.get("id") for event in page]
        if set(map(type, ids)) != {str}:
            return False
        unique = set(ids)
        seen = self._seen.setdefault(task_id, set())
        if len(unique) != len(ids) or "" in unique or not seen.isdisjoint(unique):
            return False
        seen |= unique
        kept = list(map(read_event, page))
        seq = self._next_seq.get(task_id, 0)
        self._next_seq[task_id] = seq + len(kept)
        if self.logs is not None:
            log = self.logs.get(task_id)
            if log is None:
                log = self.logs[task_id] = EventLog(task_id)
            log.extend(Event(read, task_id) for read in kept)
        self._lay_out(kept, [task_id] * len(kept), range(seq, seq + len(kept)))
        return True

    def _lay_out(self, kept: list[Reading], owners: list[str | None], seqs: Iterable[int]) -> None:
        """A page's readings as Arrow batches, column by column (transposed in bulk)."""
        if not kept:
            return
        # Transposed in bulk, and each column taken by its field's name, never by position.
        read = dict(zip(Reading._fields, zip(*kept, strict=True), strict=True))
        usage = dict(
            zip(
                TokenUsage._fields,
                zip(*[_NO_USAGE if u is None else u for u in read["usage"]], strict=True),
                strict=True,
            )
        )
        columns: dict[str, Any] = {
            "task_id": owners,
            "seq": seqs,
            "event_id": [v or None for v in read["id"]],
            "kind": [v or None for v in read["kind"]],
            "type": [v or None for v in read["type"]],
            "timestamp": read["timestamp_text"],
            "content": read["content"],
            "name": read["name"],
            "tool_call_id": read["tool_call_id"],
            "n_tool_calls": read["n_tool_calls"],
            "approval_request_id": read["approval_request_id"],
            "is_final": read["final"],
            "synthetic": read["synthetic"],
            "input_tokens": usage["input_tokens"],
            "output_tokens": usage["output_tokens"],
            "cache_creation_tokens": usage["cache_creation_tokens"],
            "cache_read_tokens": usage["cache_read_tokens"],
            "models": [None if m is None else ",".join(m) or None for m in usage["models"]],
        }
        if "raw" in self.batches:
            columns["raw"] = [raw_json(r) for r in read["raw"]]
        for name, kind in self.spec:
            self.batches[name].append(_to_arrow(kind, columns.pop(name)))

    def extend(self, other: Collector) -> None:
        """Append another collector's rows (other tasks'), keeping its order."""
        for name, batches in other.batches.items():
            self.batches[name].extend(batches)
        if self.logs is not None and other.logs is not None:
            self.logs.update(other.logs)

    def events_frame(self) -> pd.DataFrame:
        """The events frame; empties the collector's event batches."""
        data = {name: _from_arrow(kind, self.batches.pop(name)) for name, kind in self.spec}
        return _frame(self.spec, data)

    def tool_calls_frame(self) -> pd.DataFrame:
        """The tool calls frame, one row per tool run, with durations."""
        runs = [run for log in (self.logs or {}).values() for run in log.tool_runs]
        return _tool_runs_frame(runs)


def _tool_runs_frame(runs: list[ToolRun]) -> pd.DataFrame:
    c: dict[str, Any] = {
        "task_id": [r.task_id for r in runs],
        "event_id": [r.event_id or None for r in runs],
        "call_id": [r.call_id for r in runs],
        "name": [r.name for r in runs],
        "arguments": [
            {} if r.arguments is None and r.raw_arguments is None else _plain(r.arguments)
            for r in runs
        ],
        "raw_arguments": [r.raw_arguments for r in runs],
        "execution_mode": [r.execution_mode for r in runs],
        "runner": [r.runner for r in runs],
        "state": [r.state for r in runs],
        "result": [r.result for r in runs],
        "is_error": [r.is_error for r in runs],
    }
    announced, started, finished = (
        pd.Series(_column("timestamp", values))
        for values in (
            [r.requested_at or r.started_at or r.finished_at for r in runs],
            [r.started_at for r in runs],
            [r.finished_at for r in runs],
        )
    )
    c["timestamp"], c["started_at"], c["finished_at"] = (
        announced.array,
        started.array,
        finished.array,
    )
    duration = finished - started.fillna(announced)
    # Clocks differ (a client's stamps against the service's): a run never ends before it starts.
    c["duration"] = duration.where(duration >= pd.Timedelta(0)).array
    return _frame(TOOL_CALL_COLUMNS, c)


def _plain(arguments: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if arguments is None else dict(arguments)


def events_frame(
    events: Iterable[Event | Mapping[str, Any]],
    *,
    task_id: str | None = None,
    raw: bool = False,
) -> pd.DataFrame:
    """One row per event, in the order given, as a DataFrame with a fixed set of columns.

    ``events`` are :class:`Event` records (``client.events(...)``) or the API's event dicts
    (any iterable; a generator is read once). Events repeated by id within a task are
    dropped after their first appearance; items that are neither are skipped.

    Columns, in order (dtypes in the module docstring):

    ============================ ============================================================
    ``task_id`` (category)       ``task_id`` as given, else the task the event was read from
                                 (``client.events`` labels them); NaN when neither says
    ``seq`` (int64)              position in its task after repeats are dropped, from 0
    ``event_id`` (string)        the event's ``id``; NA when it has none
    ``kind`` (category)          ``userInput``, ``agentResponse`` or ``triggerUserInput``
    ``type`` (category)          ``eventBody.type``: ``user_message``, ``assistant_message``,
                                 ``exec_tool_call``, ... and any type the API adds later,
                                 under its own name; NaN when missing
    ``timestamp`` (UTC)          ``eventBody.timestamp``; NaT when missing or unreadable
    ``content`` (string)         the text: ``content``; ``message`` for ``error``, ``warning``,
                                 ``user_approval_request`` and ``context_compression_event``;
                                 a tool response's ``output``, or its content as JSON text;
                                 NA otherwise
    ``name`` (category)          the tool of a tool event, the new name of ``set_task_name``;
                                 NaN otherwise
    ``tool_call_id`` (string)    the call a tool event belongs to; NA otherwise
    ``n_tool_calls`` (int64)     tool calls the event makes; 0 when none
    ``approval_request_id``      the approval this event asks for (an ``approval_request``
    (string)                     tool call, or a ``user_approval_request``'s ``id``) or answers
                                 (``user_confirmation``); NA otherwise, and when the request
                                 is malformed
    ``is_final`` (boolean)       ``is_final`` of an assistant message; NA when absent
    ``synthetic`` (bool)         sent by the service on someone's behalf (``isSynthetic``)
    ``input_tokens``,            the event's ``token_usage`` summed over models (input,
    ``output_tokens``,           output, cache writes, cache reads); NA on events without
    ``cache_creation_tokens``,   token usage, 0 for a counter a model left out
    ``cache_read_tokens`` (Int64)
    ``models`` (category)        the models named in ``token_usage``, comma-separated (one
                                 model is the usual case); NaN on events without usage
    ``raw`` (string)             only with ``raw=True``: the whole event as JSON text, so
                                 fields this version does not know stay reachable (secrets
                                 such as ``encrypted_pulumi_access_token`` redacted)
    ============================ ============================================================

    >>> frame = events_frame([{"id": "e1", "type": "userInput",
    ...                        "eventBody": {"type": "user_message", "content": "hi"}}])
    >>> frame[["type", "content"]]
               type content
    0  user_message      hi
    """
    collector = Collector(raw=raw, tool_calls=False)
    collector.add(events, task_id)
    return collector.events_frame()


def tool_calls_frame(
    events: Iterable[Event | Mapping[str, Any]], *, task_id: str | None = None
) -> pd.DataFrame:
    """One row per tool run in ``events``, in the order the runs were first seen.

    A run is one tool call and what became of it. Every event of a call id folds into it:
    the assistant message that asks for it (either wire shape), Neo's ``exec_tool_call``,
    its ``exec_tool_call_progress``, a client's own ``exec_tool_call`` and ``tool_result``
    (tools run by the CLI or a worker), and Neo's ``tool_response``. A call seen only at
    its start or result still gets a row. Approval requests made as ``approval_request``
    tool calls (the seed's shape) are rows too.

    Columns, in order:

    ============================ ============================================================
    ``task_id`` (category)       as given, else the task the events were read from
    ``event_id`` (string)        the event that made the call (or first named it)
    ``call_id`` (string)         the call's ``id``; NA when it has none
    ``name`` (category)          the tool's name; NaN when missing
    ``arguments`` (object)       the parsed arguments as a dict; ``{}`` when there are none;
                                 None when they are not a JSON object (malformed)
    ``raw_arguments`` (string)   the arguments as JSON text as they came; NA when absent
    ``execution_mode``           ``cloud``, ``cli`` or ``worker`` when said; NaN otherwise
    (category)
    ``runner`` (category)        ``neo`` (Neo's cloud ran it) or ``client`` (a CLI or worker
                                 reported its start or result)
    ``state`` (category)         ``requested``, ``running``, ``done`` or ``error``
    ``result`` (string)          the output as text (the client's, else Neo's response); NA
                                 while it runs
    ``timestamp`` (UTC)          when the call was made (else first seen)
    ``started_at`` (UTC)         its first ``exec_tool_call`` or progress; NaT when none
    ``finished_at`` (UTC)        its result; NaT while it runs or when none came
    ``duration`` (timedelta)     ``finished_at`` minus ``started_at`` (or ``timestamp`` when
                                 it has no start); NaT without a result
    ``is_error`` (boolean)       the result's ``is_error``, else a non-zero ``exit_code`` or
                                 an ``error`` text in it; NA without a result
    ============================ ============================================================
    """
    collector = Collector()
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
    ``role`` (category)          the role Neo takes; NaN when absent
    ``task_type`` (category)     ``sync`` (a person) or ``async`` (an automation); NaN when
                                 absent
    ``trigger_type`` (category)  for async tasks: ``scheduled`` or ``external_signal``
    ``source`` (category)        where it started: ``api``, ``console``, ``cli``, ``slack``,
                                 ``schedule``, ``github``, ``code-review``; NaN when absent
    ``tool_execution_mode``      ``cloud``, ``cli`` or ``worker``; NaN when absent
    (category)
    ``runtime_phase`` (category) ``booting``, ``ready`` or ``running``; NaN when absent
    ``agent_definition_id``      the custom agent running it; NaN when none
    (category)
    ``tokens_used`` (Int64)      Neo tokens used; NA when absent
    ``context_used_tokens``,     the context Neo holds now, and its window; NA when absent
    ``context_window_tokens``
    (Int64)
    ``pending_inputs`` (Int64)   user inputs queued while Neo works; NA when absent
    ``last_heartbeat`` (UTC)     Neo's last sign of life; NaT when absent
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
    spec = TASK_COLUMNS + ((RAW_COLUMN,) if raw else ())
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
        "permission_mode": task.permission_mode,
        "role": task.role,
        "task_type": task.task_type,
        "trigger_type": task.trigger_type,
        "source": task.source,
        "tool_execution_mode": task.tool_execution_mode,
        "runtime_phase": task.runtime_phase,
        "agent_definition_id": task.agent_definition_id,
        "tokens_used": task.tokens_used,
        "context_used_tokens": task.context_used_tokens,
        "context_window_tokens": task.context_window_tokens,
        "pending_inputs": task.pending_inputs,
        "last_heartbeat": task.last_heartbeat.isoformat() if task.last_heartbeat else None,
        "entities": [str(e) for e in task.entities],
        "stacks": by_kind[Stack],
        "repositories": by_kind[Repository],
        "pull_requests": by_kind[PullRequest],
        "policy_issues": by_kind[PolicyIssue],
    }
    if "raw" in columns:
        row["raw"] = raw_json(data)
    for name, values in columns.items():
        values.append(row[name])
