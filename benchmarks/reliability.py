"""Does anything get lost or sent twice when the network misbehaves? Counts, in one run.

The scenario of tests/test_reliability.py at a larger size, against the emulator with faults
on a fraction of requests (``--rate``, default 20%): 429 with ``Retry-After: 0``, 500, 502,
503, dropped connections, and ``500-after``/``drop-after`` where the request acts and its
answer is lost; plus latency spikes on 10% of requests. The client keeps its real retry
schedule (backoff from 0.5 s), as a user's would.

1. Conversations through the chat panel, several at once on one client: a change request
   sent from the panel, Neo's tool calls, an approval clicked in the panel, the pull request.
   Each conversation's events are compared with the emulator's, read without faults after.
2. ``client.history()`` of a seeded org, compared with a read without faults.
3. ``client.export()`` of the same org, the Parquet files read back and compared.

"lost" counts events the reader does not have (or user events acknowledged but not stored),
"duplicated" events or user events held or stored twice; both must be 0. Operations that
fail for good after the retries are counted as "failed (typed)" when they raised a NeoError;
any other exception fails the run.

Run ``python benchmarks/reliability.py`` (about a minute) or ``--quick`` (seconds); ``--seed``
reproduces a run's faults (thread timing still varies the order in which requests meet them).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neo_notebook import NeoChat, NeoClient, NeoError
from neo_notebook.emulator import Faults, NeoEmulator

KINDS = ("429", "500", "502", "503", "drop", "500-after", "drop-after")
CHANGE = "Please fix the drift in infra/prod and open a pull request, be thorough"


def faults(rate: float, seed: int) -> Faults:
    return Faults(
        rate=rate, kinds=KINDS, spike_rate=0.1, spike_latency=0.05, retry_after=0, seed=seed
    )


@dataclass
class Row:
    scenario: str
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    operations: int = 0
    completed: int = 0
    failed: int = 0
    lost: int = 0
    duplicated: int = 0
    untyped: list[str] = field(default_factory=list)
    early: int = 0


def wait_for(probe: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    return None


def close(chat: NeoChat) -> None:
    """Close a panel and wait for its poller to finish the request it may be making, so no
    request is still in flight when the emulator stops."""
    chat.close()
    if chat.session is not None:
        chat.session.stop(join=30)


class Panel:
    """A chat panel driven as its front-end would: clicks with request ids, acks back."""

    def __init__(self, client: NeoClient) -> None:
        self.chat = NeoChat(client, poll_interval=0.05, idle_interval=0.2)
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.chat.send = self._receive  # type: ignore[method-assign]
        self.raised: list[BaseException] = []
        for name in ("send_message", "approve"):
            setattr(self.chat, name, self._spy(getattr(self.chat, name)))

    def _receive(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.messages.append(json.loads(json.dumps(message)))

    def _spy(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def spied(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except BaseException as exc:
                self.raised.append(exc)
                raise

        return spied

    def click(self, message: dict[str, Any], timeout: float = 120) -> bool:
        """Send a click (twice, as a reconnecting view may) and return whether it worked."""
        self.chat._on_front_end_message(self.chat, message, [])
        self.chat._on_front_end_message(self.chat, message, [])

        def ack() -> dict[str, Any] | None:
            with self.lock:
                return next(
                    (
                        m
                        for m in self.messages
                        if m["type"] == "ack"
                        and m["request_id"] == message["request_id"]
                        and m["ok"] is not None
                    ),
                    None,
                )

        answer = wait_for(ack, timeout)
        return bool(answer and answer["ok"])

    def shown(self) -> list[str]:
        """The event ids a view holds after replaying what it was sent."""
        held: list[str] = []
        with self.lock:
            messages = list(self.messages)
        for message in messages:
            if message["type"] == "events":
                if message["reset"]:
                    held = []
                for item in message["events"]:
                    if item["seq"] == len(held):
                        held.append(item["id"])
        return held


@dataclass
class Outcome:
    task_id: str | None
    message: str
    approval_id: str | None
    operations: int
    completed: int
    seen: list[str]
    shown: list[str]
    raised: list[BaseException]
    early: bool  # the panel showed the turn finished before holding all its events


def converse(emu: NeoEmulator, client: NeoClient, number: int) -> Outcome:
    panel = Panel(client)
    chat = panel.chat
    message = f"{CHANGE} (conversation {number})"
    operations = completed = 0
    approval_id: str | None = None
    at_finish: int | None = None  # events held when the panel first showed the PR, idle
    try:
        chat._on_front_end_message(chat, {"type": "sync", "after": -1}, [])
        operations += 1
        if panel.click({"type": "send", "request_id": "send", "content": message}):
            completed += 1
            pending = wait_for(
                lambda: chat.status == "awaiting_approval" and chat.pending_approval, 120
            )
            if pending:
                approval_id = pending.id
                operations += 1
                click = {"type": "approve", "request_id": "ok", "approval_request_id": approval_id}
                if panel.click(click):
                    completed += 1
                    wait_for(
                        lambda: (
                            chat.status == "idle"
                            and any(e["type"] == "pull_request" for e in chat.entities)
                        ),
                        120,
                    )
                    at_finish = chat.event_count
        early = False
        if chat.task_id:
            task_id = chat.task_id
            emu.agent_done(task_id, timeout=30)
            wait_for(lambda: chat.status != "running", 60)
            # The turn is over; the panel must now hold every event (or catch up soon).
            with NeoClient(emu.org, token=emu.token, base_url=emu.url, max_retries=20) as reader:
                total = len(list(reader.events(task_id)))
            early = at_finish is not None and at_finish < total
            wait_for(lambda: chat.event_count >= total, 60)
        return Outcome(
            chat.task_id,
            message,
            approval_id,
            operations,
            completed,
            [e.id for e in chat.events],
            panel.shown(),
            panel.raised,
            early,
        )
    finally:
        close(chat)


def bench_conversations(count: int, parallel: int, rate: float, seed: int) -> Row:
    row = Row(f"{count} conversations ({parallel} at once)")
    with (
        NeoEmulator(seed=seed, pace=0.01) as emu,
        NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as client,
    ):
        emu.faults = faults(rate, seed)
        with ThreadPoolExecutor(parallel) as pool:
            outcomes = list(pool.map(lambda n: converse(emu, client, n), range(count)))
        stats = emu.stats
        emu.faults = None
        row.requests, row.faults, row.retries = (
            stats.requests,
            Counter(stats.faults),
            client.retries,
        )
        posted = Counter(
            (task, body["type"], body.get("content") or body.get("approval_request_id"))
            for task, body in emu.posted
        )
        row.duplicated += sum(n - 1 for n in posted.values())
        with NeoClient(emu.org, token=emu.token, base_url=emu.url) as reader:
            for outcome in outcomes:
                row.operations += outcome.operations
                row.completed += outcome.completed
                row.failed += outcome.operations - outcome.completed
                row.untyped += [repr(e) for e in outcome.raised if not isinstance(e, NeoError)]
                row.early += outcome.early
                if outcome.task_id is None:
                    continue
                stored = [e.id for e in reader.events(outcome.task_id)]
                for held in (outcome.seen, outcome.shown):
                    row.lost += len(set(stored) - set(held))
                    row.duplicated += len(held) - len(set(held))
                # an acknowledged user event must be stored
                sent = [(outcome.task_id, "user_message", outcome.message)]
                if outcome.completed == 2:
                    sent.append((outcome.task_id, "user_confirmation", outcome.approval_id))
                row.lost += sum(1 for key in sent if posted[key] == 0)
    return row


WEBAPP = Path(__file__).resolve().parents[1] / "notebooks" / "webapp"


def bench_local_tools(count: int, parallel: int, rate: float, seed: int) -> Row:
    """CLI-mode tasks whose tools run here (``run_tools``): every batch must get exactly one
    recorded ``tool_result``, and no tool may run twice."""
    import tempfile

    from neo_notebook import Workspace
    from neo_notebook._local_tools import _runner

    row = Row(f"{count} tasks running tools here ({parallel} at once)")
    executions: Counter[str] = Counter()  # tool runs by (workspace, call arguments)
    real_run_tool = _runner.run_tool

    def counted(ws: Workspace, name: str, args: object, **kwargs: Any) -> Any:
        executions[f"{ws.root} {name} {sorted(dict(args).items())}"] += 1  # type: ignore[call-overload]
        return real_run_tool(ws, name, args, **kwargs)

    def one(number: int, tmp: str) -> str:
        root = Path(tmp) / f"task{number}"
        shutil.copytree(WEBAPP, root / "webapp")
        ws = Workspace(root, allow=("read", "write", "preview"))
        task_id: str | None = None
        for _ in range(5):  # what a person does after an error: run it again
            try:
                if task_id is None:
                    task_id = client.create_task(
                        "Right-size web-server in this program",
                        tool_execution_mode="cli",
                        approval_mode="auto",
                    ).id
                client.run_tools(task_id, ws, timeout=120)
                if client.session(task_id).status == "idle":
                    break
            except NeoError:
                continue
        return task_id or ""

    _runner.run_tool = counted  # type: ignore[assignment]
    try:
        with (
            NeoEmulator(api="current", seed=seed, pace=0.005) as emu,
            NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as client,
            tempfile.TemporaryDirectory(prefix="neo-reliability-") as tmp,
        ):
            emu.faults = faults(rate, seed)
            with ThreadPoolExecutor(parallel) as pool:
                task_ids = list(pool.map(lambda n: one(n, tmp), range(count)))
            stats = emu.stats
            emu.faults = None
            row.requests, row.faults, row.retries = (
                stats.requests,
                Counter(stats.faults),
                client.retries,
            )
            for task_id in task_ids:
                if not task_id:
                    row.failed += 1
                    continue
                events = [e.raw for e in client.events(task_id)]
                batches: list[set[str]] = []
                for e in events:
                    body = e["eventBody"]
                    if body.get("type") == "assistant_message" and e["type"] == "agentResponse":
                        ids = {
                            c["id"]
                            for c in body.get("tool_calls") or []
                            if c.get("execution_mode") == "cli"
                        }
                        if ids:
                            batches.append(ids)
                results = [
                    {i["tool_call_id"] for i in e["eventBody"]["tool_results"]}
                    for e in events
                    if e["type"] == "userInput" and e["eventBody"].get("type") == "tool_result"
                ]
                starts = Counter(
                    e["eventBody"]["tool_call_id"]
                    for e in events
                    if e["type"] == "userInput" and e["eventBody"].get("type") == "exec_tool_call"
                )
                row.operations += len(batches)
                row.completed += sum(1 for b in batches if results.count(b) == 1)
                row.lost += sum(1 for b in batches if b not in results)
                row.duplicated += sum(results.count(b) - 1 for b in batches if b in results)
                row.duplicated += sum(n - 1 for n in starts.values())
        row.duplicated += sum(n - 1 for n in executions.values())
    finally:
        _runner.run_tool = real_run_tool  # type: ignore[assignment]
    return row


def by_task(task_ids: Any, event_ids: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for task_id, event_id in zip(task_ids, event_ids, strict=True):
        found.setdefault(str(task_id), []).append(str(event_id))
    return found


def compare(row: Row, clean: dict[str, list[str]], read: dict[str, list[str]]) -> None:
    for task_id, ids in read.items():
        row.duplicated += len(ids) - len(set(ids))
        row.lost += len(set(clean.get(task_id, [])) - set(ids))


def bench_history(tasks: int, rate: float, seed: int) -> list[Row]:
    rows = []
    with NeoEmulator(history=tasks, seed=seed) as emu:
        with NeoClient(emu.org, token=emu.token, base_url=emu.url) as client:
            history = client.history(progress=False)
            assert not history.failures
            clean = by_task(history.events.task_id, history.events.event_id)
        for offset, what in enumerate(("history", "export"), start=1):
            row = Row(f"{what} of {tasks} tasks")
            with (
                NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as client,
                tempfile.TemporaryDirectory() as folder,
            ):
                before = emu.stats
                emu.faults = faults(rate, seed + offset)
                try:
                    if what == "history":
                        result: Any = client.history(progress=False)
                        read = by_task(result.events.task_id, result.events.event_id)
                    else:
                        result = client.export(folder)
                        files = sorted(Path(folder, "events").rglob("*.parquet"))
                        table = pq.read_table(files, columns=["task_id", "event_id"])
                        read = by_task(table["task_id"].to_pylist(), table["event_id"].to_pylist())
                finally:
                    after = emu.stats
                    emu.faults = None
                row.requests = after.requests - before.requests
                row.faults = Counter(after.faults) - Counter(before.faults)
                row.retries = client.retries
                row.operations = tasks
                row.failed = len(result.failures)
                row.completed = tasks - row.failed
                row.untyped += [
                    repr(e) for e in result.failures.values() if not isinstance(e, NeoError)
                ]
                compare(row, {t: v for t, v in clean.items() if t not in result.failures}, read)
                row.lost += len(set(clean) - set(result.failures) - set(read))
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--seed", type=int, default=2024, help="fixes the faults and the data")
    parser.add_argument("--rate", type=float, default=0.2, help="fraction of requests faulted")
    args = parser.parse_args(argv)
    conversations, parallel, tasks = (6, 3, 100) if args.quick else (24, 6, 500)
    started = time.perf_counter()
    rows = [bench_conversations(conversations, parallel, args.rate, args.seed)]
    rows.append(bench_local_tools(conversations, parallel, args.rate, args.seed))
    rows += bench_history(tasks, args.rate, args.seed)
    elapsed = time.perf_counter() - started

    header = (
        "scenario",
        "requests",
        "faults injected",
        "retried",
        "operations",
        "completed",
        "failed (typed)",
        "lost",
        "duplicated",
    )
    table = [
        (
            r.scenario,
            str(r.requests),
            str(sum(r.faults.values())),
            str(r.retries),
            str(r.operations),
            str(r.completed),
            str(r.failed),
            str(r.lost),
            str(r.duplicated),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in (header, *table)) for i in range(len(header))]
    for line in (header, *table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    kinds: Counter[str] = Counter()
    for r in rows:
        kinds.update(r.faults)
    print(f"\nfaults by kind: {dict(sorted(kinds.items()))}")
    print(
        f"panels that showed a turn finished before all its events arrived: {rows[0].early} "
        f"of {conversations} (they caught up; see "
        "test_the_panel_never_shows_a_finished_turn_before_its_events)"
    )
    print(f"{elapsed:.1f} s, faults on {args.rate:.0%} of requests, seed {args.seed}")
    flags = " --quick" if args.quick else ""
    print(
        f"reproduce: python benchmarks/reliability.py{flags} --seed {args.seed} --rate {args.rate}"
    )
    untyped = [u for r in rows for u in r.untyped]
    bad = sum(r.lost + r.duplicated for r in rows)
    if untyped:
        print(f"UNTYPED errors: {untyped[:5]}", file=sys.stderr)
    if bad or untyped:
        print(f"FAILED: {bad} events lost or duplicated", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
