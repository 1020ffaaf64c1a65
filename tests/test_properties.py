"""Bad input, as properties: whatever JSON the API sends, whatever a client sends the emulator.

- Models and frames read any JSON shape without raising, keep what they do not know (``raw``)
  and keep their columns and dtypes.
- Any split of a history into pages gives the same ordered events, once each; continuation
  tokens with URL-special characters survive the round trip.
- The emulator answers malformed bodies, wrong types, huge bodies and bad ``pageSize`` with
  a 4xx, never a 500.
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from loopback import serving

from neo_notebook import (
    Event,
    NeoClient,
    Task,
    approval_requests,
    events_frame,
    tasks_frame,
    tool_calls_frame,
)
from neo_notebook._frames import Collector
from neo_notebook.emulator import NeoEmulator

# Function-scoped autouse fixtures (the isolated environment) are fine here: no example
# depends on their state.
FAST = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HTTP = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# -- JSON, arbitrary and API-shaped -----------------------------------------------------------

# JSON text may escape lone surrogates ("\ud800"), and json.loads keeps them as they are.
characters = st.one_of(st.characters(), st.characters(categories=["Cs"]))
# JSON numbers have no size limit.
integers = st.one_of(st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**30]))
scalars = (
    st.none()
    | st.booleans()
    | integers
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(characters, max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def plausible(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a value of the right shape, sometimes any JSON at all."""
    return st.one_of(strategy, strategy, json_values)


timestamps = plausible(
    st.sampled_from(
        [
            "2025-01-15T10:32:00Z",
            "2025-01-15T10:32:00.123456789Z",
            "2025-01-15T10:32:00+05:30",
            "2025-01-15T10:32:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2025-13-45T99:99:99Z",
            "yesterday",
            "",
        ]
    )
)
ids = plausible(st.sampled_from(["e1", "e2", "e3", "call_1", "req_1", "req_2", ""]))
event_types = plausible(
    st.sampled_from(
        [
            "user_message",
            "assistant_message",
            "set_task_name",
            "exec_tool_call",
            "tool_response",
            "tool_result",
            "user_confirmation",
            "user_cancel",
            "user_approval_request",
            "cancelled",
            "error",
            "warning",
            "neo_future_event",
        ]
    )
)
tool_names = plausible(st.sampled_from(["approval_request", "pulumi_preview", ""]))
arguments = plausible(
    st.one_of(
        st.fixed_dictionaries(
            {}, optional={"approval_request_id": ids, "description": json_values}
        ).map(json.dumps),
        st.just('{"approval_request_id": "req_1", "descr'),  # cut short
        json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    )
)
tool_calls = st.fixed_dictionaries(
    {},
    optional={
        "id": ids,
        "type": plausible(st.just("function")),
        "function": plausible(
            st.fixed_dictionaries({}, optional={"name": tool_names, "arguments": arguments})
        ),
        "name": tool_names,
        "args": json_values,
    },
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "type": event_types,
        "content": json_values,
        "message": json_values,
        "timestamp": timestamps,
        "tool_calls": plausible(st.lists(plausible(tool_calls), max_size=3)),
        "tool_call_id": ids,
        "tool_results": plausible(
            st.lists(st.fixed_dictionaries({"tool_call_id": ids, "content": json_values}))
        ),
        "name": json_values,
        "approval_request_id": ids,
        "id": ids,
        "ok": json_values,
        "is_final": json_values,
        "is_error": json_values,
        "approval_type": json_values,
        "something_new": json_values,
    },
)
events = st.fixed_dictionaries(
    {},
    optional={
        "id": ids,
        "type": plausible(st.sampled_from(["userInput", "agentResponse", "systemNotice"])),
        "eventBody": plausible(bodies),
        "timestamp": timestamps,
        "somethingNew": json_values,
    },
)
entities = st.fixed_dictionaries(
    {},
    optional={
        "type": plausible(st.sampled_from(["stack", "repository", "pull_request", "policy_issue"])),
        "name": json_values,
        "project": json_values,
        "org": json_values,
        "forge": json_values,
        "number": json_values,
        "repository": plausible(st.fixed_dictionaries({}, optional={"name": json_values})),
        "repo": json_values,
        "id": json_values,
    },
)
tasks = st.fixed_dictionaries(
    {},
    optional={
        "id": ids,
        "taskId": json_values,
        "name": json_values,
        "status": plausible(st.sampled_from(["running", "idle"])),
        "createdAt": timestamps,
        "sharedAt": timestamps,
        "isShared": json_values,
        "entities": plausible(st.lists(plausible(entities), max_size=3)),
        "createdBy": plausible(
            st.fixed_dictionaries({}, optional={"name": json_values, "githubLogin": json_values})
        ),
        "approvalMode": json_values,
        "planMode": json_values,
        "permissionMode": json_values,
        "tokensUsed": plausible(integers),
    },
)
# What a page may hold: mostly events, sometimes anything.
event_pages = st.lists(st.one_of(events, events, events, json_values), max_size=8)
task_pages = st.lists(st.one_of(tasks, tasks, json_values), max_size=6)


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


EMPTY_EVENTS = dtypes(events_frame([]))
EMPTY_EVENTS_RAW = dtypes(events_frame([], raw=True))
EMPTY_TOOL_CALLS = dtypes(tool_calls_frame([]))
EMPTY_TASKS = dtypes(tasks_frame([], raw=True))


def kept(items: list[Any]) -> list[Mapping[str, Any]]:
    """The items a frame keeps: mappings, repeats of an id dropped (an id is a non-empty
    string or an integer, 5 and "5" being one id; a boolean or a float is no id)."""
    seen: set[str] = set()
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        value = item.get("id")
        key = None
        if isinstance(value, str) and value:
            key = value
        elif isinstance(value, int) and not isinstance(value, bool):
            key = str(value)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        out.append(item)
    return out


# -- models -----------------------------------------------------------------------------------


@FAST
@given(events)
@example({"type": "agentResponse", "eventBody": {"type": "user_approval_request", "id": ""}})
def test_an_event_reads_any_shape_and_keeps_it(data: dict[str, Any]) -> None:
    event = Event.from_json(data)
    assert event.raw is data
    assert isinstance(event.id, str) and isinstance(event.kind, str)
    assert isinstance(event.type, str)
    assert event.content is None or isinstance(event.content, str)
    for request in event.approval_requests:
        assert request.malformed == (request.id is None)
        assert request.event_id == event.id
    for call in event.tool_calls:
        assert call.malformed == (call.arguments is None)
    assert event.tool_call_id is None or isinstance(event.tool_call_id, str)
    body = data.get("eventBody")
    said = body.get("is_final") if isinstance(body, dict) else None
    assert event.is_final is (said is True)
    assert event.final is (said if isinstance(said, bool) else None)
    repr(event)


@FAST
@given(json_values.filter(lambda v: isinstance(v, dict)))
def test_an_event_reads_any_object(data: dict[str, Any]) -> None:
    event = Event.from_json(data)
    assert event.raw is data
    event.approval_requests  # noqa: B018  (reading it must not raise)


@FAST
@given(tasks)
def test_a_task_reads_any_shape_and_keeps_it(data: dict[str, Any]) -> None:
    task = Task.from_json(data)
    assert task.raw is data
    assert isinstance(task.id, str) and isinstance(task.status, str)
    assert task.created_at is None or task.created_at.tzinfo is not None
    assert task.plan_mode in (None, True, False)
    repr(task)


@FAST
@given(st.lists(events, max_size=10))
def test_approval_states_are_derived_from_any_events(data: list[dict[str, Any]]) -> None:
    read = [Event.from_json(d) for d in data]
    found = approval_requests(read)
    assert len(found) == sum(len(e.approval_requests) for e in read)
    confirmed = {
        e.approval_request_id
        for e in read
        if e.kind == "userInput" and e.type == "user_confirmation"
    }
    for request in found:
        assert request.state in ("pending", "approved", "declined", "superseded")
        if request.state in ("approved", "declined"):
            assert request.id in confirmed
        if request.malformed:
            assert request.id is None


# -- frames -----------------------------------------------------------------------------------


@FAST
@given(event_pages)
def test_events_frame_keeps_its_columns_dtypes_and_raw(items: list[Any]) -> None:
    frame = events_frame(items, task_id="t", raw=True)
    assert dtypes(frame) == EMPTY_EVENTS_RAW
    expected = kept(items)
    assert len(frame) == len(expected)
    assert frame.seq.tolist() == list(range(len(expected)))
    assert [json.loads(r) for r in frame.raw] == [json.loads(json.dumps(e)) for e in expected]
    plain = events_frame(items)
    assert dtypes(plain) == EMPTY_EVENTS
    # Event objects give the same frame (an empty dict is left out: its Event has an empty
    # ``raw``, which reads as an Event built by hand).
    non_empty = [e for e in expected if e]
    from_models = events_frame([Event.from_json(e) for e in non_empty])
    pd.testing.assert_frame_equal(from_models, events_frame(non_empty))


@FAST
@given(st.lists(events, max_size=8), st.lists(events, max_size=4), st.booleans())
def test_pages_read_in_bulk_give_the_frames_of_their_events_read_one_by_one(
    first: list[dict[str, Any]], second: list[dict[str, Any]], unique: bool
) -> None:
    # Pages of one task whose ids are all new are read in bulk; any other page event by
    # event. Records always go event by event, so they are the reference.
    if unique:
        first = [{**e, "id": f"u{i}"} for i, e in enumerate(first)]
        second = [{**e, "id": f"v{i}"} for i, e in enumerate(second)]
    pages = [first, second]
    bulk, one_by_one = Collector(raw=True), Collector(raw=True)
    for page in pages:
        bulk.add(page, "t")
        one_by_one.add([Event.from_json(e, "t") for e in page], "t")
    pd.testing.assert_frame_equal(bulk.events_frame(), one_by_one.events_frame())
    pd.testing.assert_frame_equal(bulk.tool_calls_frame(), one_by_one.tool_calls_frame())


@FAST
@given(event_pages)
def test_tool_calls_frame_keeps_its_columns_and_dtypes(items: list[Any]) -> None:
    frame = tool_calls_frame(items, task_id="t")
    assert dtypes(frame) == EMPTY_TOOL_CALLS
    made = sum(
        len([c for c in e.get("eventBody", {}).get("tool_calls", []) if isinstance(c, Mapping)])
        for e in kept(items)
        if isinstance(e.get("eventBody"), Mapping)
        and isinstance(e["eventBody"].get("tool_calls"), list)
    )
    assert len(frame) >= made  # one row per call made, plus calls seen only when run
    for value in frame.arguments:
        assert value is None or isinstance(value, dict)


@FAST
@given(task_pages)
def test_tasks_frame_keeps_its_columns_dtypes_and_raw(items: list[Any]) -> None:
    frame = tasks_frame(items, raw=True)
    assert dtypes(frame) == EMPTY_TASKS
    by_id: dict[str, Any] = {}
    for item in items:
        if isinstance(item, Mapping):
            by_id.setdefault(Task.from_json(item).id, item)
    assert len(frame) == len(by_id)
    assert [json.loads(r) for r in frame.raw] == [json.loads(json.dumps(t)) for t in by_id.values()]
    for column in ("stacks", "repositories", "pull_requests", "policy_issues", "entities"):
        assert all(isinstance(v, list) for v in frame[column])


def test_an_approval_request_with_an_empty_id_is_malformed_and_has_no_id() -> None:
    # "Kept with malformed=True and id=None: it can never be approved by accident."
    event = Event.from_json(
        {
            "id": "e",
            "type": "agentResponse",
            "eventBody": {"type": "user_approval_request", "id": ""},
        }
    )
    (request,) = event.approval_requests
    assert request.malformed and request.id is None


def test_an_event_type_that_is_not_text_does_not_break_frames() -> None:
    items = [
        {"id": "e1", "type": "agentResponse", "eventBody": {"type": ["assistant_message"]}},
        {"id": "e2", "type": "agentResponse", "eventBody": {"type": {"name": "x"}}},
    ]
    frame = events_frame(items)
    assert dtypes(frame) == EMPTY_EVENTS and frame.type.isna().all()
    assert len(tool_calls_frame(items)) == 0


def test_a_token_count_too_big_for_int64_does_not_break_tasks_frame() -> None:
    frame = tasks_frame([{"id": "t", "tokensUsed": 2**70}])
    assert dtypes(frame) == dtypes(tasks_frame([]))
    assert pd.isna(frame.tokens_used.iloc[0])


def test_lone_surrogates_from_json_escapes_do_not_break_frames() -> None:
    # The API's JSON may carry a "\ud800" escape; json.loads turns it into a lone surrogate.
    item = json.loads(
        '{"id": "e1", "type": "agentResponse", "eventBody": {"type": "assistant_message", '
        '"content": "half an emoji \\ud83d", "name": "\\udfff", "timestamp": "\\ud800"}}'
    )
    frame = events_frame([item], raw=True)
    assert dtypes(frame) == dtypes(events_frame([], raw=True)) and len(frame) == 1
    assert len(tasks_frame([{"id": "t", "name": "\ud800"}])) == 1


# -- pagination over HTTP ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def paged() -> Iterator[tuple[NeoEmulator, NeoClient, dict[int, tuple[str, list[str]]]]]:
    with (
        NeoEmulator(seed=21) as emu,
        NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as client,
    ):
        yield emu, client, {}


def task_with(
    paged: tuple[NeoEmulator, NeoClient, dict[int, tuple[str, list[str]]]], extra: int
) -> tuple[str, list[str]]:
    """A task with ``extra`` injected events after its first turn, and its contents in order."""
    emu, client, made = paged
    if extra not in made:
        task = client.create_task("What is in my stack?")
        assert emu.agent_done(task.id)
        for i in range(extra):
            emu.inject_event(
                task.id,
                {"type": "agentResponse", "eventBody": {"type": "warning", "message": f"n{i}"}},
            )
        made[extra] = (task.id, [e.id for e in client.events(task.id, page_size=1000)])
    return made[extra]


@HTTP
@given(
    extra=st.integers(0, 120),
    page_size=st.one_of(st.integers(1, 12), st.integers(1, 1000)),
)
def test_any_page_size_gives_the_same_ordered_events(
    paged: tuple[NeoEmulator, NeoClient, dict[int, tuple[str, list[str]]]],
    extra: int,
    page_size: int,
) -> None:
    _, client, _ = paged
    task_id, reference = task_with(paged, extra)
    read = list(client.events(task_id, page_size=page_size))
    assert [e.id for e in read] == reference
    assert len(set(reference)) == len(reference)
    assert [e.content for e in read if e.type == "warning"] == [f"n{i}" for i in range(extra)]
    # Every continuation token the emulator issued comes back to mean the same place.
    path = client.transport.path("tasks", task_id, "events")
    pages = list(client.transport.pages(path, "events", page_size))
    for (items, used, _), offset in zip(
        pages, range(0, len(reference) + 1, page_size), strict=False
    ):
        assert [item["id"] for item in items] == reference[offset : offset + page_size]
        if used:
            resumed, _, _ = next(client.transport.pages(path, "events", page_size, used))
            assert resumed == items


class TokenServer(ThreadingHTTPServer):
    """Issues ``token`` as the first page's continuation token and serves the second page only
    for exactly that token, decoded; records every raw request path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TokenHandler)
        self.token = ""
        self.paths: list[str] = []


class TokenHandler(BaseHTTPRequestHandler):
    server: TokenServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        tokens = query.get("continuationToken")
        if tokens is None:
            body: Any = {"events": [{"id": "e1"}], "continuationToken": self.server.token}
            status = 200
        elif tokens == [self.server.token]:
            body, status = {"events": [{"id": "e2"}]}, 200
        else:
            body, status = {"code": 400, "message": f"token mangled: {tokens!r}"}, 400
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def token_server() -> Iterator[TokenServer]:
    with serving(TokenServer()) as server:
        yield server


def read_with_token(server: TokenServer, token: str) -> list[str]:
    server.token = token
    url = f"http://127.0.0.1:{server.server_port}"
    with NeoClient("acme", token="t", base_url=url, timeout=5, max_retries=0) as client:
        return [e.id for e in client.events("task_1", page_size=7)]


def test_a_token_with_url_special_characters_is_sent_encoded(token_server: TokenServer) -> None:
    token_server.paths.clear()
    assert read_with_token(token_server, "a+b/c=d&e?f#g%h i") == ["e1", "e2"]
    second = token_server.paths[-1]
    assert "continuationToken=a%2Bb%2Fc%3Dd%26e%3Ff%23g%25h" in second
    assert "pageSize=7" in second


@HTTP
@given(st.text(string.printable + "é€😀", min_size=1, max_size=40).filter(str.strip))
def test_any_continuation_token_survives_the_round_trip(
    token_server: TokenServer, token: str
) -> None:
    assert read_with_token(token_server, token) == ["e1", "e2"]


# -- the emulator refuses bad input with a 4xx ------------------------------------------------


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[NeoEmulator, str, ErrorLog]]:
    log = ErrorLog()
    logger = logging.getLogger("neo_notebook.emulator")
    logger.addHandler(log)
    try:
        with (
            NeoEmulator(seed=22) as emu,
            NeoClient(emu.org, token=emu.token, base_url=emu.url) as client,
        ):
            task = client.create_task("What is in my stack?")
            assert emu.agent_done(task.id)
            yield emu, task.id, log
    finally:
        logger.removeHandler(log)


def post(emu: NeoEmulator, path: str, data: bytes) -> requests.Response:
    return requests.post(
        f"{emu.url}/api/preview/agents/{emu.org}/{path}",
        data=data,
        headers={"Authorization": f"token {emu.token}", "Content-Type": "application/json"},
        timeout=10,
    )


def assert_refused(response: requests.Response, log: ErrorLog) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert body["code"] == response.status_code and body["message"]
    assert not log.records, log.records[0].getMessage()


user_events = st.fixed_dictionaries(
    {},
    optional={
        "type": plausible(st.sampled_from(["user_message", "user_confirmation", "user_cancel"])),
        "content": json_values,
        "timestamp": json_values,
        "approval_request_id": json_values,
        "ok": json_values,
        "entity_diff": plausible(
            st.fixed_dictionaries(
                {}, optional={"add": plausible(st.lists(entities)), "remove": json_values}
            )
        ),
    },
)
bad_bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({}, optional={"message": json_values, "event": json_values}).map(
        lambda v: json.dumps(v).encode()
    ),
    st.fixed_dictionaries(
        {"message": user_events, "event": user_events},
        optional={
            "approvalMode": json_values,
            "planMode": json_values,
            "permissionMode": json_values,
        },
    ).map(lambda v: json.dumps(v).encode()),
)


@HTTP
@given(body=bad_bodies, to_task=st.booleans())
def test_malformed_bodies_get_a_4xx_never_a_500(
    target: tuple[NeoEmulator, str, ErrorLog], body: bytes, to_task: bool
) -> None:
    emu, task_id, log = target
    response = post(emu, f"tasks/{task_id}" if to_task else "tasks", body)
    if response.status_code in (201, 202):  # hypothesis wrote a valid request: fine
        emu.agent_done(task_id if to_task else response.json()["taskId"])
        return
    assert_refused(response, log)


@HTTP
@given(
    size=st.one_of(st.text(max_size=8), st.integers(-(10**12), 10**12).map(str)),
    token=st.one_of(st.none(), st.text(max_size=30)),
)
def test_bad_page_sizes_and_tokens_get_a_4xx(
    target: tuple[NeoEmulator, str, ErrorLog], size: str, token: str | None
) -> None:
    emu, task_id, log = target
    params = {"pageSize": size} | ({"continuationToken": token} if token is not None else {})
    response = requests.get(
        f"{emu.url}/api/preview/agents/{emu.org}/tasks/{task_id}/events",
        params=params,
        headers={"Authorization": f"token {emu.token}"},
        timeout=10,
    )
    good_size = size.isascii() and size.isdigit() and 1 <= int(size) <= 1000
    if response.status_code == 200:
        assert good_size and token in (None, "")
        return
    assert_refused(response, log)


def test_huge_and_deeply_nested_bodies_get_a_4xx(
    target: tuple[NeoEmulator, str, ErrorLog],
) -> None:
    emu, task_id, log = target
    assert post(emu, "tasks", b"x" * (2 << 20)).status_code == 413
    assert_refused(post(emu, "tasks", b"[" * 500_000), log)
    assert_refused(post(emu, f"tasks/{task_id}", b'{"event": ' * 100_000), log)
    long_message = {"message": {"type": "user_message", "content": "x" * (1 << 20)}}
    assert post(emu, "tasks", json.dumps(long_message).encode()).status_code == 413
    # and the emulator still serves
    assert requests.get(
        f"{emu.url}/api/preview/agents/{emu.org}/tasks/{task_id}",
        headers={"Authorization": f"token {emu.token}"},
        timeout=10,
    ).ok
