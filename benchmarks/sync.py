"""Does a nightly sync cost what changed, not what the org holds? Ratios in one run.

An org of 2,000 tasks x 100 events in today's API shape, served by the emulator from a
process of its own with 20 ms of latency per request (as ``history.py``):

1. The first ``client.sync(path)`` against ``client.export(path)`` of the same org.
2. 1% of the tasks get new events (a tool call started and answered, a message); then a
   nightly ``client.sync`` against a full re-export: requests and time (goal: at least
   20x fewer requests and 10x less time).

Every row of the tables is checked against the API afterwards: each event once.

    python benchmarks/sync.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history import LATENCY

from neo_notebook import NeoClient
from neo_notebook.emulator import NeoEmulator

HISTORY_END = 1_767_225_600.0  # 2026-01-01: the seeded history is older than any sync


def _serve(conn: Connection, options: dict[str, Any]) -> None:
    """The emulator in its own process; it takes commands to add events between syncs."""
    with NeoEmulator(**options) as emu:
        conn.send((emu.url, emu.org, emu.token))
        while True:
            command = conn.recv()
            if command == "stop":
                return
            if command == "requests":
                conn.send(emu.stats.requests)
                continue
            _, count = command
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            for n, task_id in enumerate(emu.task_ids[::-1][:count]):
                for event in nightly_events(f"call_nightly_{n}", stamp):
                    emu.inject_event(task_id, event)
            conn.send(count)


def nightly_events(call_id: str, stamp: str) -> list[dict[str, Any]]:
    """What a day adds to a task: a question, a tool call and its answer, a reply."""
    return [
        {
            "type": "userInput",
            "eventBody": {"type": "user_message", "content": "And today?", "timestamp": stamp},
        },
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "assistant_message",
                "content": "Checking.",
                "timestamp": stamp,
                "tool_calls": [{"id": call_id, "name": "pulumi_preview", "args": {}}],
            },
        },
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "tool_response",
                "tool_call_id": call_id,
                "name": "pulumi_preview",
                "content": "no changes",
                "timestamp": stamp,
            },
        },
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "assistant_message",
                "content": "Nothing changed.",
                "is_final": True,
                "timestamp": stamp,
            },
        },
    ]


def timed(function: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> None:
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 tasks x 50 events")
    args = parser.parse_args(argv)
    tasks, events = (200, 50) if args.quick else (2000, 100)
    changed = max(1, tasks // 100)
    options = dict(
        api="current",
        history=tasks,
        events_per_task=events,
        history_end=HISTORY_END,
        latency=LATENCY,
        seed=0,
    )
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child, options), daemon=True)
    server.start()
    url, org, token = parent.recv()
    work = Path(tempfile.mkdtemp(prefix="neo-sync-bench-"))
    rows: list[tuple[str, str, str]] = []
    try:
        with NeoClient(org, token=token, base_url=url, timeout=60) as client:
            t_export, _ = timed(lambda: client.export(work / "export", progress=False))
            export_requests = client.transport.requests
            t_first, first = timed(lambda: client.sync(work / "delta", progress=False))
            assert first.events_new == tasks * events and not first.failures, first
            parent.send(("add", changed))
            parent.recv()
            before = client.transport.requests
            t_again, _ = timed(lambda: client.export(work / "export", progress=False))
            reexport_requests = client.transport.requests - before
            t_nightly, nightly = timed(lambda: client.sync(work / "delta", progress=False))
            assert nightly.events_new == changed * 4, nightly
            assert nightly.tool_calls_new == changed, nightly
            check_every_event_once(client, work / "delta", tasks * events + changed * 4)
        label = f"{tasks:,} tasks x {events} events"
        rows += [
            (label, "export() (Parquet, every task)", f"{t_export:.2f} s, {export_requests:,} req"),
            (label, "first sync()", f"{t_first:.2f} s, {first.requests:,} requests"),
            (label, "first sync vs export (time)", f"{t_first / t_export:.2f}x"),
        ]
        label = f"{changed} tasks changed (1%)"
        rows += [
            (label, "full re-export", f"{t_again:.2f} s, {reexport_requests:,} requests"),
            (label, "nightly sync()", f"{t_nightly:.2f} s, {nightly.requests:,} requests"),
            (
                label,
                "fewer requests (target >= 20x)",
                f"{reexport_requests / nightly.requests:.1f}x",
            ),
            (label, "less time (target >= 10x)", f"{t_again / t_nightly:.1f}x"),
        ]
    finally:
        parent.send("stop")
        server.join(30)
        shutil.rmtree(work, ignore_errors=True)
    print(f"sync against export; the emulator serves in its own process, {LATENCY * 1000:.0f} ms")
    width = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    print(f"{'case':<{width[0]}}  {'measure':<{width[1]}}  value")
    for case, measure, value in rows:
        print(f"{case:<{width[0]}}  {measure:<{width[1]}}  {value}")


def check_every_event_once(client: NeoClient, path: Path, expected: int) -> None:
    """The events table holds each (task, event) of the API once."""
    from deltalake import DeltaTable

    table = DeltaTable(str(path / "events")).to_pyarrow_table(columns=["task_id", "event_id"])
    pairs = set(zip(*(table.column(c).to_pylist() for c in ("task_id", "event_id")), strict=True))
    assert table.num_rows == len(pairs) == expected, (table.num_rows, len(pairs), expected)


if __name__ == "__main__":
    main()
