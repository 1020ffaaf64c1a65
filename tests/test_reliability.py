"""Reliability under faults: nothing lost, nothing sent twice, every failure typed.

Every scenario runs against the emulator with injected faults: 429 (``Retry-After: 0``),
500/502/503, dropped connections, the ``-after`` kinds where the request acts and its answer
is lost, and latency spikes. The numbers each scenario counts (requests, faults injected,
retries, operations completed, lost, duplicated) are asserted, not only printed;
``benchmarks/reliability.py`` runs the same conversation at a larger size and prints them.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from chat_helpers import Views, close, front_end, wait_for
from loopback import serving

from neo_notebook import Event, NeoChat, NeoClient, NeoConnectionError, NeoError, NeoTimeoutError
from neo_notebook._tail import EventTail
from neo_notebook.emulator import Faults, NeoEmulator

CHANGE = "Please fix the drift in infra/prod and open a pull request"
#: Every kind that fails a request and then lets the next one through ("hang" has its own test).
KINDS = ("429", "500", "502", "503", "drop", "500-after", "drop-after")
CONVERSATIONS = 4


def faults(seed: int, rate: float = 0.2) -> Faults:
    return Faults(
        rate=rate, kinds=KINDS, spike_rate=0.1, spike_latency=0.05, retry_after=0, seed=seed
    )


def make_client(emu: NeoEmulator, **kwargs: Any) -> NeoClient:
    options: dict[str, Any] = {"token": emu.token, "base_url": emu.url, "timeout": 5}
    options.update(kwargs)
    return NeoClient(emu.org, **options)


def refreshed(chat: NeoChat) -> NeoChat:
    chat.refresh()
    return chat


class Failures:
    """Every exception the chat's actions raised, and every banner it showed."""

    def __init__(self, chat: NeoChat) -> None:
        self.raised: list[BaseException] = []
        self.banners: list[dict[str, str]] = []
        chat.observe(self._banner, names="banner")
        for name in ("send_message", "approve", "decline", "cancel"):
            setattr(chat, name, self._spy(getattr(chat, name)))

    def _banner(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self.banners.append(change["new"])

    def _spy(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def spied(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except BaseException as exc:
                self.raised.append(exc)
                raise

        return spied


def server_events(emu: NeoEmulator, task_id: str) -> list[str]:
    """The task's stored events (call with faults switched off)."""
    assert emu.faults.rate == 0
    with make_client(emu, max_retries=0) as reader:
        return [e.id for e in reader.events(task_id)]


@pytest.fixture
def chat_under_faults() -> Iterator[tuple[NeoEmulator, NeoClient, NeoChat, Views]]:
    with NeoEmulator(seed=3) as emu, make_client(emu, max_retries=6) as client:
        chat = NeoChat(client, poll_interval=0.02, idle_interval=0.05)
        views = Views()
        chat.send = views  # type: ignore[method-assign]
        try:
            yield emu, client, chat, views
        finally:
            close(chat)


# -- a whole conversation ---------------------------------------------------------------------


def test_the_panel_never_shows_a_finished_turn_before_its_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The live stream can lag behind the task (a buffering proxy, a slow network): when the
    panel reads the task for a streamed assistant message, it must not show the turn as
    finished (idle, or awaiting approval) while events of that turn are still unapplied."""
    following = EventTail.follow

    def lagging(tail: EventTail) -> Iterator[Event]:
        events = following(tail)
        try:
            for event in events:
                emu.agent_done(tail.task_id, timeout=10)  # each frame arrives late
                yield event
        finally:
            events.close()

    monkeypatch.setattr(EventTail, "follow", lagging)
    with NeoEmulator(seed=12, pace=0.02) as emu, make_client(emu) as client:
        chat = NeoChat(client, poll_interval=0.02, idle_interval=0.05)
        chat.send = Views()  # type: ignore[method-assign]
        shown: list[tuple[str, int]] = []
        chat.observe(
            lambda change: shown.append(
                (change["new"], chat.session.event_count if chat.session else 0)
            ),
            "status",
        )
        try:
            chat.send_message(CHANGE)
            assert chat.task_id and emu.agent_done(chat.task_id)
            total = len(server_events(emu, chat.task_id))
            wait_for(lambda: chat.status == "awaiting_approval" and chat.event_count == total)
        finally:
            close(chat)
    assert (
        chat.session is not None and chat.session.streams is True
    )  # the panel did follow the stream
    finished = [(status, count) for status, count in shown if status != "running"]
    assert finished and all(count == total for _, count in finished), (total, shown)


@dataclass
class Conversation:
    task_id: str
    seen: list[str]  # the event ids the panel holds
    shown: list[str]  # the event ids its view holds
    failures: Failures


def converse(emu: NeoEmulator, client: NeoClient, conversation: int) -> Conversation:
    """One conversation through a panel: a change request, tool calls, an approval, the PR.

    Asserts that each message and confirmation was posted once and every error was typed.
    """
    chat = NeoChat(client, poll_interval=0.02, idle_interval=0.05)
    views = Views()
    chat.send = views  # type: ignore[method-assign]
    failures = Failures(chat)
    posted_before = len(emu.posted)
    # "thorough": three tool uses per turn, so there is more to lose
    message = f"{CHANGE}, be thorough (conversation {conversation})"
    try:
        front_end(chat, {"type": "sync", "after": -1})
        send = {"type": "send", "request_id": "s1", "content": message}
        front_end(chat, send)
        front_end(chat, send)  # the same click resent by a reconnecting view
        assert views.ack("s1")["ok"] is True, failures.raised
        task_id = chat.task_id
        assert task_id
        pending = wait_for(lambda: chat.status == "awaiting_approval" and chat.pending_approval)
        request_id = pending.id
        assert request_id and not pending.malformed
        assert any(e.tool_calls for e in chat.events)

        click = {"type": "approve", "request_id": "a1", "approval_request_id": request_id}
        front_end(chat, click)
        front_end(chat, click)
        assert views.ack("a1")["ok"] is True, failures.raised
        wait_for(
            lambda: (
                chat.status == "idle"
                and any(e["type"] == "pull_request" for e in chat.entities)
                and emu.agent_done(task_id, timeout=0)
            )
        )
        # The turn is over: the panel must catch up with every stored event (the final
        # comparison, without faults, is made by the caller).
        with make_client(emu, max_retries=20) as reader:
            total = len(list(reader.events(task_id)))
        wait_for(lambda: chat.event_count >= total)
        posted = Counter(
            (body["type"], body.get("content") or body.get("approval_request_id"))
            for _, body in emu.posted[posted_before:]
        )
        assert posted == {("user_message", message): 1, ("user_confirmation", request_id): 1}
        assert chat.approvals == {request_id: "approved"} and chat.pending_approval is None
        assert chat.banner is None
        assert all(isinstance(exc, NeoError) for exc in failures.raised), failures.raised
        assert all(b["title"] and b["message"] for b in failures.banners)
        return Conversation(task_id, [e.id for e in chat.events], views.replay(), failures)
    finally:
        close(chat)


def test_conversations_through_the_panel_lose_and_double_nothing_under_faults() -> None:
    with NeoEmulator(seed=3, pace=0.03) as emu, make_client(emu, max_retries=6) as client:
        emu.faults = faults(seed=2024)
        done = [converse(emu, client, conversation) for conversation in range(CONVERSATIONS)]
        stats, retries = emu.stats, client.retries
        emu.faults = None
        stored = {c.task_id: server_events(emu, c.task_id) for c in done}
    lost = sum(len(set(stored[c.task_id]) - set(c.seen)) for c in done)
    duplicated = sum(len(c.seen) - len(set(c.seen)) for c in done)
    assert (lost, duplicated) == (0, 0)
    for c in done:
        assert c.seen == stored[c.task_id]
        assert c.shown == stored[c.task_id]  # the view got each event once, in order
    # a message and a confirmation each
    assert stats.user_events == len(emu.posted) == 2 * CONVERSATIONS
    # The faults were real, and the client worked through them.
    assert stats.faults_total >= 10 and retries >= 10, (stats, retries)
    assert len(stats.faults) >= 4, stats.faults  # most kinds met, not one
    print(
        f"\n{CONVERSATIONS} conversations: {stats.requests} requests, {stats.faults_total} "
        f"faults {dict(stats.faults)}, {retries} retries, {2 * CONVERSATIONS} operations, "
        f"{sum(len(v) for v in stored.values())} events, {lost} lost, {duplicated} duplicated, "
        f"{sum(len(c.failures.banners) for c in done)} banners"
    )


def test_a_failure_that_outlives_the_retries_is_a_banner_that_clears(
    chat_under_faults: tuple[NeoEmulator, NeoClient, NeoChat, Views],
) -> None:
    emu, client, chat, _ = chat_under_faults
    failures = Failures(chat)
    chat.send_message("What is in my stack?")
    assert chat.wait(30) and chat.banner is None
    client.max_retries = 1
    for kind, title in (("503", "Pulumi Cloud returned an error"), ("drop", "Cannot reach")):
        emu.faults = Faults(rate=1.0, kinds=(kind,), seed=1)
        chat.refresh()
        assert chat.banner is not None and chat.banner["title"].startswith(title)
        with pytest.raises(NeoError) as info:
            chat.wait(5)
        assert type(info.value).__module__ == "neo_notebook"  # a public error, by its public name
        emu.faults = faults(seed=5)  # the API answers again, though not always
        client.max_retries = 6
        wait_for(lambda: refreshed(chat).banner is None)
        client.max_retries = 1
    # A click that fails for good answers the view with the error and shows the banner.
    emu.faults = Faults(rate=1.0, kinds=("drop",), seed=1)
    views = chat.send
    assert isinstance(views, Views)
    front_end(chat, {"type": "send", "request_id": "x", "content": "Are you there?"})
    ack = views.ack("x")
    assert ack["ok"] is False and "Could not reach" in ack["error"]
    assert chat.banner is not None and chat.banner["level"] == "error"
    assert failures.raised and all(isinstance(e, NeoError) for e in failures.raised)
    emu.faults = None
    wait_for(lambda: chat.banner is None)


# -- history and export -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded() -> Iterator[NeoEmulator]:
    with NeoEmulator(history=200, seed=11) as emu:
        yield emu


@pytest.fixture(scope="module")
def clean_events(seeded: NeoEmulator) -> dict[str, list[str]]:
    """Each task's event ids, read without faults."""
    with make_client(seeded) as client:
        history = client.history(workers=8, progress=False)
    assert not history.failures and len(history.tasks) == 200
    by_task: dict[str, list[str]] = {}
    for task_id, event_id in zip(history.events.task_id, history.events.event_id, strict=True):
        by_task.setdefault(str(task_id), []).append(str(event_id))
    return by_task


def test_history_of_200_tasks_under_faults_matches_the_clean_read(
    seeded: NeoEmulator, clean_events: dict[str, list[str]]
) -> None:
    with make_client(seeded, max_retries=6) as client:
        seeded.faults = faults(seed=77)
        try:
            history = client.history(workers=8, progress=False)
        finally:
            seeded.faults = None
        retries = client.retries
    failed = set(history.failures)
    assert all(isinstance(e, NeoError) for e in history.failures.values())
    read: dict[str, list[str]] = {}
    for task_id, event_id in zip(history.events.task_id, history.events.event_id, strict=True):
        read.setdefault(str(task_id), []).append(str(event_id))
    assert not failed & set(read)
    assert failed | set(read) == set(clean_events)
    assert {t: clean_events[t] for t in read} == read  # same events, same order, no repeats
    assert history.tasks.task_id.is_unique and len(history.tasks) == 200
    assert len(history.events) == sum(len(clean_events[t]) for t in read)
    assert len(failed) <= 2, history.failures  # six retries at 20%: failures are rare
    assert retries >= 20


def test_export_under_faults_writes_each_event_once(
    seeded: NeoEmulator, clean_events: dict[str, list[str]], tmp_path: Path
) -> None:
    with make_client(seeded, max_retries=6) as client:
        seeded.faults = faults(seed=78)
        try:
            summary = client.export(str(tmp_path), workers=8)
        finally:
            seeded.faults = None
    assert all(isinstance(e, NeoError) for e in summary.failures.values())
    written = {str(t): clean_events[str(t)] for t in set(clean_events) - set(summary.failures)}
    events = pq.read_table(
        sorted((tmp_path / "events").rglob("*.parquet")), columns=["task_id", "event_id"]
    ).to_pylist()
    keys = [(e["task_id"], e["event_id"]) for e in events]
    assert len(keys) == len(set(keys))  # no duplicates
    read: dict[str, list[str]] = {}
    for task_id, event_id in keys:
        read.setdefault(task_id, []).append(event_id)
    assert read == written
    assert summary.tasks == len(written) == len(list((tmp_path / "tasks").rglob("*.parquet")))
    assert summary.events == sum(len(ids) for ids in written.values())
    assert len(summary.failures) <= 2, summary.failures


# -- timeouts ---------------------------------------------------------------------------------


def test_a_server_that_never_answers_hangs_nothing() -> None:
    timeout, retries = 0.3, 1
    bound = (retries + 1) * timeout + 1.5  # every attempt, plus slack for a busy CI machine
    with NeoEmulator(seed=1) as emu, make_client(emu) as client:
        task = client.create_task("What is in my stack?")
        assert emu.agent_done(task.id)
        chat = NeoChat(client, task.id, poll_interval=0.02, idle_interval=0.05)
        chat.send = Views()  # type: ignore[method-assign]
        client.timeout, client.max_retries = timeout, retries
        emu.faults = Faults(rate=1.0, kinds=("hang",), seed=1)
        try:
            started = time.monotonic()
            with pytest.raises(NeoTimeoutError, match="did not answer"):
                client.get_task(task.id)
            assert time.monotonic() - started < bound

            started = time.monotonic()
            with pytest.raises(NeoTimeoutError, match="may still have acted") as info:
                client.send_message(task.id, "hello?")
            assert info.value.maybe_acted
            # the POST once (never repeated blind), then the read-back with its retries
            assert time.monotonic() - started < timeout + bound

            started = time.monotonic()
            assert chat.refresh() == []
            assert time.monotonic() - started < 2 * bound  # the task, then its events
            assert chat.banner and chat.banner["title"].startswith("Cannot reach")

            started = time.monotonic()
            with pytest.raises(NeoTimeoutError):
                chat.wait(60)
            assert time.monotonic() - started < 2 * bound
        finally:
            close(chat)
        assert emu.stats.faults["hang"] >= 2 * (retries + 1)
        assert [b["type"] for _, b in emu.posted] == ["user_message"]


# -- concurrency ------------------------------------------------------------------------------


def view_of(chat: NeoChat, views: Views) -> int:
    """A view opens: it asks for everything; returns where its messages start."""
    with views.lock:
        start = len(views.messages)
    front_end(chat, {"type": "sync", "after": -1})
    return start


def approve_twice_at_once(emu: NeoEmulator, client: NeoClient, injected: Faults | None) -> None:
    """A `%%neo`-style ``client.approve`` and a panel click on one request, at the same time,
    with two views open on the panel."""
    task = client.create_task(CHANGE)
    assert emu.agent_done(task.id)
    chat = NeoChat(client, task.id, poll_interval=0.02, idle_interval=0.05)
    views = Views()
    chat.send = views  # type: ignore[method-assign]
    failures = Failures(chat)
    try:
        first_view = view_of(chat, views)
        pending = chat.pending_approval
        assert pending and pending.id
        emu.faults = injected
        barrier = threading.Barrier(2)
        magic: dict[str, Any] = {}

        def from_the_magic() -> None:
            barrier.wait()
            try:
                magic["result"] = client.approve(task.id, pending.id)
            except Exception as exc:
                magic["result"] = exc

        thread = threading.Thread(target=from_the_magic)
        thread.start()
        barrier.wait()
        front_end(chat, {"type": "approve", "request_id": "p", "approval_request_id": pending.id})
        thread.join(30)
        assert not thread.is_alive()
        panel = views.ack("p")
        second_view = view_of(chat, views)
        wait_for(
            lambda: (
                chat.status == "idle" and any(e["type"] == "pull_request" for e in chat.entities)
            )
        )
        emu.faults = None
        assert emu.agent_done(task.id)
        wait_for(lambda: refreshed(chat).status == "idle")

        confirmations = [
            b for t, b in emu.posted if t == task.id and b["type"] == "user_confirmation"
        ]
        assert len(confirmations) == 1
        magic_ok = magic["result"] == pending.id
        assert magic_ok or isinstance(magic["result"], NeoError), magic["result"]
        assert all(isinstance(e, NeoError) for e in failures.raised), failures.raised
        assert panel["ok"] or failures.raised, panel
        # One wins; under faults the winner may not learn it did (its answer was lost).
        assert int(magic_ok) + int(panel["ok"]) == 1 or (
            injected is not None and not magic_ok and not panel["ok"]
        )
        stored = server_events(emu, task.id)
        assert [e.id for e in chat.events] == stored
        assert views.replay(first_view) == views.replay(second_view) == stored
        assert chat.approvals == {pending.id: "approved"}
        assert chat.pending_approval is None and chat.banner is None
        assert client.pending_approval(task.id) is None
    finally:
        close(chat)


@pytest.mark.parametrize("with_faults", [False, True], ids=["clean", "faults"])
def test_two_approvals_of_one_request_at_once_send_one_confirmation(with_faults: bool) -> None:
    with NeoEmulator(seed=4) as emu, make_client(emu, max_retries=6) as client:
        for round_ in range(3):
            approve_twice_at_once(emu, client, faults(seed=round_) if with_faults else None)


# -- an event tail that fails part way ----------------------------------------------------------


def test_a_tail_poll_that_fails_part_way_loses_no_event() -> None:
    """A poll that reads some pages and then fails for good must not mark their events seen:
    the next poll has to return them."""
    with NeoEmulator(seed=6) as emu, make_client(emu, max_retries=0) as client:
        task = client.create_task("What is in my stack?")
        assert emu.agent_done(task.id)
        for i in range(20):
            emu.inject_event(
                task.id,
                {
                    "type": "agentResponse",
                    "eventBody": {"type": "assistant_message", "content": f"note {i}"},
                },
            )
        stored = server_events(emu, task.id)
        tail = client.tail(task.id)
        tail.page_size = 2
        emu.faults = Faults(rate=0.2, kinds=("500", "drop"), seed=9)
        got: list[Event] = []
        errors = 0
        for _ in range(200):
            try:
                got += tail.poll()
            except NeoError:
                errors += 1
                continue
            if len(got) >= len(stored):
                break
        emu.faults = None
        got += tail.poll()
        ids = [e.id for e in got]
        assert errors > 0
        assert len(ids) == len(set(ids))
        assert ids == stored, f"{len(set(stored) - set(ids))} events lost"


# -- an answer cut short ------------------------------------------------------------------------


class CuttingServer(ThreadingHTTPServer):
    """Serves one task whose answers are cut short (headers, then part of the body, then the
    connection closes) while ``cut`` is above 0, as a proxy or a server that dies mid-answer
    would; answers whole afterwards."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CuttingHandler)
        self.cut = 0
        self.requests = 0


class CuttingHandler(BaseHTTPRequestHandler):
    server: CuttingServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.requests += 1
        if self.path.split("?")[0].endswith("/events"):
            body: Any = {"events": [{"id": "e1", "type": "userInput", "eventBody": {}}]}
        else:
            body = {"id": "task_1", "name": "cut", "status": "idle"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.server.cut > 0:
            self.server.cut -= 1
            self.wfile.write(data[:5])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def cutting() -> Iterator[CuttingServer]:
    with serving(CuttingServer()) as server:
        yield server


def test_an_answer_cut_short_is_retried_then_typed(cutting: CuttingServer) -> None:
    url = f"http://127.0.0.1:{cutting.server_port}"
    with NeoClient("acme", token="t", base_url=url, timeout=5, max_retries=3) as client:
        cutting.cut = 2  # a read is safe to repeat: two cut answers, then a whole one
        assert client.get_task("task_1").name == "cut"
        assert client.retries == 2
        cutting.cut = 10**6
        with pytest.raises(NeoConnectionError):
            client.get_task("task_1")


def test_an_answer_cut_short_is_a_banner_not_a_dead_poller(cutting: CuttingServer) -> None:
    url = f"http://127.0.0.1:{cutting.server_port}"
    with NeoClient("acme", token="t", base_url=url, timeout=5, max_retries=1) as client:
        chat = NeoChat(client, "task_1", poll_interval=0.02, idle_interval=0.02)
        chat.send = Views()  # type: ignore[method-assign]
        try:
            cutting.cut = 10**6
            assert chat.refresh() == []  # errors become the banner, never an exception
            assert chat.banner is not None and chat.banner["title"].startswith("Cannot reach")
        finally:
            close(chat)
