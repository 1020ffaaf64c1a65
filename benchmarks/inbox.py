"""How the inbox keeps up with a big org: an org of 5,000 tasks, 20 of them waiting for approval.

1. Time to first paint after the first page arrives: from the listing's answer reaching the
   kernel to the rows message leaving for the front-end (goal: under 1 s). The rows come from
   the listing at once; the followed sessions fill in what needs you just after.
2. Requests per quiet poll cycle: one list request plus one per followed task (goal), the
   followed tasks read concurrently; the benchmark counts them at the emulator.
3. Bytes sent to the front-end per change: the message of one row that changed, and the
   biggest such message over the run (goal: under 4 KB).

The emulator serves with 20 ms of latency per request. ``--quick`` uses 500 tasks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neo_notebook import NeoClient
from neo_notebook._inbox import Inbox
from neo_notebook._session import all_sessions
from neo_notebook.emulator import Faults, NeoEmulator

PAINT_GOAL = 1.0
CHANGE_GOAL = 4096
WAITING = 20


def make_waiting(emu: NeoEmulator, client: NeoClient, count: int) -> list[str]:
    """Make ``count`` tasks wait for approval: the seeded history has two; the others get a
    copy of their request (new ids), as Neo would send it."""
    template = [e.raw for e in client.events(emu.task_ids[0])]
    request = next(e for e in template if e["eventBody"]["type"] == "user_approval_request")
    waiting = list(emu.task_ids[:2])
    for number, task_id in enumerate(emu.task_ids[2 : 2 + count - 2]):
        body = {
            **request["eventBody"],
            "id": f"req_bench_{number}",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        emu.inject_event(task_id, {"type": "agentResponse", "eventBody": body})
        waiting.append(task_id)
    return waiting


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 tasks, for a smoke run")
    args = parser.parse_args(argv)
    tasks = 500 if args.quick else 5_000
    with (
        NeoEmulator(api="current", history=tasks, seed=3) as emu,
        NeoClient(emu.org, token=emu.token, base_url=emu.url) as client,
    ):
        waiting = make_waiting(emu, client, WAITING)
        emu.faults = Faults(latency=0.02)
        inbox = Inbox(client, follow_cap=50, page_size=100)
        messages: list[tuple[float, dict[str, Any]]] = []
        inbox.subscribe(
            lambda changed, removed, reset: messages.append(
                (time.perf_counter(), {"type": "rows", "rows": changed, "reset": reset})
            )
        )
        # When the first page arrives: the transport's first listing answer.
        arrived: list[float] = []
        real_get = client.transport.get_json

        def timed_get(path: str, *a: Any, **k: Any) -> Any:
            data = real_get(path, *a, **k)
            if path.endswith("/tasks") and not arrived:
                arrived.append(time.perf_counter())
            return data

        client.transport.get_json = timed_get  # type: ignore[method-assign]
        started = time.perf_counter()
        inbox.poll(reset=True)
        first_paint = messages[0][0] - arrived[0]
        complete = time.perf_counter() - started
        needs = [r["id"] for r in inbox.rows if r["section"] == "needs_you"]
        # The followed tasks are the 50 most recently active; the waiting ones are among them.
        assert set(waiting) <= set(needs), (len(needs), len(waiting))

        before = emu.stats.requests
        polls = 3
        quiet_started = time.perf_counter()
        for _ in range(polls):
            inbox.poll()
        per_poll = (emu.stats.requests - before) / polls
        quiet_seconds = (time.perf_counter() - quiet_started) / polls
        expected = 1 + inbox.following

        # One change: an answer to a waiting task shows on its row at once.
        messages.clear()
        row = next(r for r in inbox.rows if r["section"] == "needs_you")
        inbox.approve(row["id"], row["request"]["id"])
        sizes = [len(json.dumps(m).encode()) for _, m in messages]
        inbox.poll()
        sizes += [len(json.dumps(m).encode()) for _, m in messages[len(sizes) :]]
        change = max(sizes) if sizes else 0
        following = inbox.following
        inbox.stop()
        for session in all_sessions(client):
            session.stop()
        emu.faults = None

    print(f"inbox over an org of {tasks:,} tasks, {len(waiting)} waiting, 20 ms latency:")
    print(
        f"  first paint after the first page  {first_paint * 1000:8.1f} ms   "
        f"(target < {PAINT_GOAL * 1000:.0f} ms); all {following} followed read in "
        f"{complete:.2f} s; {len(needs)} need you"
    )
    print(
        f"  requests per quiet poll           {per_poll:8.1f}      "
        f"(target {expected}: 1 list + {following} followed), {quiet_seconds * 1000:.0f} ms each"
    )
    print(
        f"  bytes per change                  {change:8,}      (target < {CHANGE_GOAL:,}); "
        f"{len(sizes)} message(s)"
    )
    ok = first_paint < PAINT_GOAL and per_poll <= expected and 0 < change < CHANGE_GOAL
    if not ok:
        sys.exit("targets missed")


if __name__ == "__main__":
    main()
