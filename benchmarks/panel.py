"""How the chat panel scales with a long conversation.

1. Paint: a task of 5,000 events in today's shape, 50 of them approval requests carrying
   200-line diffs, from ``render`` to the conversation laid out in Chromium, against the
   same for a task of 10 events (the baseline) in the same run. Target: under 1 s.
2. Update: the bytes sent to the front-end when one event is added to that task, against the
   bytes a trait-based design would resend (the whole history, as traitlets do for lists).
   Target: under 2 KB.

The page runs the real bundle (neo_notebook/static/widget.js) with a stand-in model that
answers the view's ``sync`` with the kernel's own snapshot message, captured from a NeoChat
over HTTP against the emulator.

    python benchmarks/panel.py [--quick]
"""

from __future__ import annotations

import argparse
import http.server
import json
import statistics
import tempfile
import threading
from pathlib import Path
from typing import Any

from neo_notebook import NeoChat, NeoClient
from neo_notebook.emulator import NeoEmulator

APPROVALS = 50
DIFF_LINES = 200

STATIC = Path(__file__).resolve().parents[1] / "neo_notebook" / "static"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE = """<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="widget.css">
<div id="host" style="width: 900px"></div>
<script type="module">
import widget from "./widget.js";
window.paint = async (name) => {
  const snapshot = await (await fetch(name)).json();
  const state = {task_id: "t", task_name: "bench", status: "idle", entities: [], approvals: {},
                 answers: {}, banner: null, busy_reason: "", event_count: 0,
                 approval_mode: "manual", plan_mode: false, permission_mode: "default",
                 context: {used: 41000, window: 200000, threshold_percent: 80},
                 tokens_used: 500000, console_url: null};
  const handlers = {};
  const model = {
    get: (k) => state[k], set() {}, save_changes() {}, off() {},
    on: (name, fn) => { (handlers[name] ||= []).push(fn); },
    send: (msg) => {
      if (msg.type === "sync") for (const fn of handlers["msg:custom"] || []) fn(snapshot, []);
    },
  };
  const host = document.getElementById("host");
  host.replaceChildren();
  const start = performance.now();
  const cleanup = widget.render({ model, el: host });
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  host.getBoundingClientRect();
  const took = performance.now() - start;
  const rows = host.querySelectorAll(
    "[data-testid=neo-message], [data-testid=neo-tool], [data-testid=neo-approval]").length;
  cleanup();
  return [took, rows];
};
</script>"""


Message = dict[str, Any]


def snapshot_of(emu: NeoEmulator, task_id: str) -> tuple[Message, NeoChat, list[Message]]:
    """The kernel's answer to a new view's sync, and the chat that made it."""
    client = NeoClient(emu.org, token=emu.token, base_url=emu.url)
    chat = NeoChat(client, task_id=task_id)
    sent: list[dict[str, Any]] = []
    chat.send = sent.append  # type: ignore[method-assign]
    chat._on_front_end_message(chat, {"type": "sync", "after": -1}, [])
    return sent[-1], chat, sent


def add_approvals(emu: NeoEmulator, task_id: str) -> None:
    """Spread approval requests with long diffs over the task, each answered."""
    body = "\n".join(
        f"+  resource_{i} = aws.s3.BucketV2('logs-{i}', tags=tags)" for i in range(DIFF_LINES)
    )
    for n in range(APPROVALS):
        emu.inject_event(
            task_id,
            {
                "type": "agentResponse",
                "eventBody": {
                    "type": "user_approval_request",
                    "id": f"req_bench_{n}",
                    "message": f"Apply change {n}?",
                    "approval_type": "general",
                    "sensitivity": "regular",
                    "context": {
                        "git_diff": {
                            f"infra/change_{n}.py": f"@@ -0,0 +1,{DIFF_LINES} @@\n{body}",
                            "Pulumi.prod.yaml": "@@ -1 +1 @@\n-replicas: 2\n+replicas: 3",
                        },
                        "plan_description": "1. Add the buckets\n2. Open a pull request",
                    },
                },
            },
        )
        emu.inject_event(
            task_id,
            {
                "type": "userInput",
                "eventBody": {
                    "type": "user_confirmation",
                    "approval_request_id": f"req_bench_{n}",
                    "ok": True,
                },
            },
        )


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    from playwright.sync_api import sync_playwright

    with (
        NeoEmulator(
            history=2, events_per_task=args.events - 2 * APPROVALS, seed=1, api="current"
        ) as big,
        NeoEmulator(history=1, events_per_task=10, seed=1, api="current") as small,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        for name in ("widget.js", "widget.css"):
            (folder / name).write_bytes((STATIC / name).read_bytes())
        (folder / "index.html").write_text(PAGE)
        big_task, small_task = big.task_ids[0], small.task_ids[0]
        add_approvals(big, big_task)
        snapshot, chat, sent = snapshot_of(big, big_task)
        (folder / "big.json").write_text(json.dumps(snapshot))
        (folder / "small.json").write_text(json.dumps(snapshot_of(small, small_task)[0]))
        server, url = serve(folder)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                page = browser.new_page()
                page.goto(f"{url}/index.html")
                page.wait_for_function("() => typeof window.paint === 'function'")
                page.evaluate("paint('small.json')")  # warm up the JIT and the styles
                timings: dict[str, list[float]] = {"small.json": [], "big.json": []}
                rows: dict[str, int] = {}
                for _ in range(runs):
                    for name in timings:
                        took, count = page.evaluate(f"paint('{name}')")
                        timings[name].append(took)
                        rows[name] = count
                browser.close()
        finally:
            server.shutdown()

        # One more event: what goes to the front-end, against resending the whole history.
        before = len(sent)
        big.inject_event(
            big_task,
            {
                "type": "agentResponse",
                "eventBody": {
                    "type": "assistant_message",
                    "content": "One more thing: the bucket is public.",
                },
            },
        )
        chat.refresh()
        update = [m for m in sent[before:] if m["type"] == "events"]
        update_bytes = sum(len(json.dumps(m)) for m in update)
        history_bytes = len(json.dumps(snapshot["events"]))
        chat.close()

    small_ms = statistics.median(timings["small.json"])
    big_ms = statistics.median(timings["big.json"])
    print(f"{'measure':<52} {'value':>12}")
    print(f"{'paint, 10 events (baseline), median ms':<52} {small_ms:>12.1f}")
    print(f"{f'paint, {args.events:,} events, median ms':<52} {big_ms:>12.1f}")
    print(f"{'paint ratio, long / baseline':<52} {big_ms / small_ms:>12.1f}x")
    print(f"{'rows laid out (long task)':<52} {rows['big.json']:>12,}")
    print(f"{'events in the long task':<52} {len(snapshot['events']):>12,}")
    print(f"{'bytes sent for one new event':<52} {update_bytes:>12,}")
    print(f"{'bytes a whole-history trait would resend':<52} {history_bytes:>12,}")
    print(f"{'update / whole history':<52} {update_bytes / history_bytes:>12.5f}")
    print(
        f"targets: paint < 1000 ms ({'met' if big_ms < 1000 else 'MISSED'}), "
        f"update < 2048 bytes ({'met' if update_bytes < 2048 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
