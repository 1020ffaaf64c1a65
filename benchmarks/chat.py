"""Does a new event cost the chat the same however long the conversation is?

For histories of 100, 1,000 and 10,000 events (read over HTTP from the emulator), the chat
takes 1,000 more events one at a time, as it does while Neo streams: each is read, folded
into the task's state (approvals, tool runs, status), turned into the panel's item, and sent
to the views. The cost per new event at each size is reported against the 100-event
history in the same run; flat means the ratio stays near 1 (the target is at most 1.5x).

The new events are a realistic mix in today's shape: messages with token usage, tool calls
with their start, progress and result, and an approval request answered now and then.

    python benchmarks/chat.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neo_notebook import Event, NeoChat, NeoClient
from neo_notebook.emulator import NeoEmulator

SIZES = (100, 1_000, 10_000)
TARGET = 1.5


def new_events(count: int, offset: int) -> list[Event]:
    """``count`` events of a working Neo, with ids that no history holds."""
    events: list[dict[str, Any]] = []
    stamp = "2026-12-03T10:00:00Z"
    n = offset
    while len(events) < count:
        n += 1
        call = f"call_bench_{n}"
        events += [
            {
                "id": f"bench-{n}-a",
                "type": "agentResponse",
                "eventBody": {
                    "type": "assistant_message",
                    "content": f"Checking **step {n}** of the plan.",
                    "timestamp": stamp,
                    "tool_calls": [{"id": call, "name": "pulumi_preview", "args": {"n": n}}],
                    "token_usage": {"claude": {"input_tokens": 900, "output_tokens": 40}},
                },
            },
            {
                "id": f"bench-{n}-b",
                "type": "agentResponse",
                "eventBody": {
                    "type": "exec_tool_call",
                    "tool_call_id": call,
                    "name": "pulumi_preview",
                    "execution_mode": "cloud",
                    "timestamp": stamp,
                },
            },
            {
                "id": f"bench-{n}-c",
                "type": "agentResponse",
                "eventBody": {
                    "type": "exec_tool_call_progress",
                    "tool_call_id": call,
                    "status": "running",
                    "metadata": {"completed": 3, "total": 12},
                    "timestamp": stamp,
                },
            },
            {
                "id": f"bench-{n}-d",
                "type": "agentResponse",
                "eventBody": {
                    "type": "tool_response",
                    "tool_call_id": call,
                    "name": "pulumi_preview",
                    "content": {"output": "12 unchanged", "exit_code": 0},
                    "timestamp": stamp,
                },
            },
        ]
        if n % 25 == 0:
            events += [
                {
                    "id": f"bench-{n}-r",
                    "type": "agentResponse",
                    "eventBody": {
                        "type": "user_approval_request",
                        "id": f"req_bench_{n}",
                        "message": "Apply the change?",
                        "approval_type": "general",
                        "timestamp": stamp,
                    },
                },
                {
                    "id": f"bench-{n}-y",
                    "type": "userInput",
                    "eventBody": {
                        "type": "user_confirmation",
                        "approval_request_id": f"req_bench_{n}",
                        "ok": True,
                        "timestamp": stamp,
                    },
                },
            ]
    return [Event.from_json(e) for e in events[:count]]


def cost_per_event(size: int, count: int, runs: int) -> float:
    """Median seconds per new event for a chat holding ``size`` events of history."""
    with (
        NeoEmulator(history=1, events_per_task=size, seed=1, api="current") as emu,
        NeoClient(emu.org, token=emu.token, base_url=emu.url) as client,
    ):
        task_id = emu.task_ids[0]
        timings = []
        for run in range(runs):
            chat = NeoChat(client, task_id)
            chat.send = lambda message: None  # type: ignore[method-assign]  # no view open
            assert chat.event_count >= size
            task = client.get_task(task_id)
            events = new_events(count, offset=run * count)
            session = chat.session
            assert session is not None
            gc.collect()
            started = time.perf_counter()
            for event in events:  # as the session's follower applies what it reads
                with session._apply_lock:
                    session._apply(task, [event])
            timings.append((time.perf_counter() - started) / count)
            chat.close()
        return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    runs, count = (3, 300) if args.quick else (5, 1_000)
    costs = {size: cost_per_event(size, count, runs) for size in SIZES}
    base = costs[SIZES[0]]
    print(f"{'history (events)':>18} {'µs per new event':>18} {'ratio to 100':>14}")
    for size, cost in costs.items():
        print(f"{size:>18,} {cost * 1e6:>18.1f} {cost / base:>13.2f}x")
    worst = costs[SIZES[-1]] / base
    print(f"target: 10,000 / 100 at most {TARGET}x ({'met' if worst <= TARGET else 'MISSED'})")


if __name__ == "__main__":
    main()
