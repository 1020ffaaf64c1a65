"""How fast and how lean are Neo's local tools? Ratios against the tools a person would use.

1. ``filesystem__grep`` over a generated tree of 20,000 files against GNU ``grep -rn`` on the
   same tree (goal: at most 3x), with ripgrep and with the pure-Python fallback.
2. Peak memory of ``shell__shell_execute`` running a command that prints 100 MB: RSS growth
   above the baseline, measured in a fresh interpreter (goal: under 8 MiB above the 1 MiB cap).
3. Secret redaction of 1 MiB of command output (the cost every tool result may pay).
4. The runner loop's own cost per call, from the ``cli`` call visible (the session has read
   it) to its result posted, less the tool's own run time, against one POST round trip to the
   same emulator with the same latency (goal: at most 2x). A batch of k calls needs k
   ``exec_tool_call`` posts and one ``tool_result``, so (k + 1) / k round trips is the floor.

Run ``python benchmarks/local_tools.py`` (about a minute) or ``--quick`` (seconds: 2,000 files).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neo_notebook._local_tools import MAX_OUTPUT_BYTES, Workspace, _grep, run_tool
from neo_notebook._redaction import redact_text

GREP_GOAL = 3.0
MEMORY_GOAL = MAX_OUTPUT_BYTES + 8 * 2**20
WORDS = [
    *("alpha", "beta", "gamma", "delta", "config", "bucket"),
    *("region", "stack", "deploy", "update", "value", "item"),
]


def make_tree(root: Path, files: int) -> None:
    """`files` source-like files in 100 per directory, a few lines of each matching."""
    rng = random.Random(7)
    for i in range(files):
        directory = root / f"pkg{i // 100:03d}"
        directory.mkdir(exist_ok=True)
        lines = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
            for _ in range(rng.randint(10, 40))
        ]
        if i % 7 == 0:
            lines[rng.randrange(len(lines))] += "  # TODO: fix the region lookup"
        (directory / f"mod{i:05d}.py").write_text("\n".join(lines) + "\n")
    hidden = root / ".git"
    hidden.mkdir()
    (hidden / "skipped.txt").write_text("TODO: in a hidden directory\n")


def best(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_grep(files: int, runs: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="neo-bench-grep-") as tmp:
        root = Path(tmp)
        make_tree(root, files)
        ws = Workspace(root)
        args = {"pattern": r"TODO: fix the \w+", "path": "."}
        gnu = shutil.which("grep")
        assert gnu is not None, "GNU grep is needed for the baseline"
        command = [gnu, "-rn", "--exclude-dir=.*", "-E", r"TODO: fix the \w+", str(root)]
        t_grep = best(runs, lambda: subprocess.run(command, capture_output=True, check=True))
        outcome = run_tool(ws, "filesystem__grep", args)
        found = str(outcome.content).split(" matches")[0]
        expected = subprocess.run(command, capture_output=True, check=True).stdout.count(b"\n")
        assert found.endswith(f"Found {expected}"), (found, expected)
        t_rg = best(runs, lambda: run_tool(ws, "filesystem__grep", args))
        original = _grep.ripgrep_path
        _grep.ripgrep_path = lambda: None  # type: ignore[assignment]
        try:
            t_py = best(1, lambda: run_tool(ws, "filesystem__grep", args))
            assert run_tool(ws, "filesystem__grep", args).content == outcome.content
        finally:
            _grep.ripgrep_path = original  # type: ignore[assignment]
    ratio = t_rg / t_grep
    print(f"grep over {files:,} files, {expected:,} matches (best of {runs}):")
    print(f"  GNU grep -rn           {t_grep * 1000:8.1f} ms")
    print(
        f"  filesystem__grep (rg)  {t_rg * 1000:8.1f} ms   {ratio:5.2f}x  (target <= {GREP_GOAL}x)"
    )
    print(f"  pure-Python fallback   {t_py * 1000:8.1f} ms   {t_py / t_grep:5.2f}x  (no target)")
    return ratio <= GREP_GOAL


def bench_memory(megabytes: int) -> bool:
    script = textwrap.dedent(
        f"""
        import sys, tempfile
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from neo_notebook._local_tools import Workspace, run_tool
        ws = Workspace(tempfile.gettempdir(), allow=("shell",))
        run_tool(ws, "shell__shell_execute", {{"command": "true"}})  # warm up
        def status(field):
            with open("/proc/self/status") as f:
                return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field))
        # Reset the peak (VmHWM) to the current RSS: the imports' own peak must not hide ours.
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status("VmRSS:")
        out = run_tool(ws, "shell__shell_execute",
                       {{"command": "head -c {megabytes * 10**6} /dev/zero | tr '\\\\0' x"}})
        after = status("VmHWM:")
        assert out.content["truncated"] is True
        print(after - before)
        """
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - start
    growth = int(done.stdout.strip())
    print(f"shell printing {megabytes} MB: peak RSS +{growth / 2**20:.1f} MiB in {elapsed:.1f} s")
    print(f"  target: under {MEMORY_GOAL / 2**20:.0f} MiB (the 1 MiB cap + 8 MiB)")
    return growth < MEMORY_GOAL


def bench_redaction(runs: int) -> bool:
    rng = random.Random(3)
    lines = []
    while sum(len(line) + 1 for line in lines) < 2**20:
        lines.append(
            f"2024-05-01T12:{rng.randrange(60):02d}:00Z INFO "
            + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))
            + f" id={rng.getrandbits(64):016x}"
        )
    text = "\n".join(lines)[: 2**20]
    plain = best(runs, lambda: redact_text(text))
    with_known = best(runs, lambda: redact_text(text, known=["hunter2-but-longer"]))
    print(f"redaction of 1 MiB of output (best of {runs}):")
    print(f"  redact_text            {plain * 1000:8.1f} ms")
    print(f"  with a known secret    {with_known * 1000:8.1f} ms")
    return plain < 1.0


LOOP_GOAL = 2.0
WEBAPP = Path(__file__).resolve().parents[1] / "notebooks" / "webapp"


def bench_loop(turns: int, latency: float = 0.01) -> bool:
    """The realistic CLI turn of the emulator, driven by the runner, ``turns`` times."""
    import requests

    from neo_notebook import NeoClient
    from neo_notebook._local_tools import _runner
    from neo_notebook.emulator import Faults, NeoEmulator

    tool_time = 0.0
    real_run_tool = _runner.run_tool

    def timed(*args: object, **kwargs: object) -> object:
        nonlocal tool_time
        start = time.perf_counter()
        try:
            return real_run_tool(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            tool_time += time.perf_counter() - start

    _runner.run_tool = timed  # type: ignore[assignment]
    loop, calls, batches, posts = 0.0, 0, 0, []
    try:
        with (
            NeoEmulator(api="current", faults=Faults(latency=latency)) as emu,
            NeoClient(emu.org, token=emu.token, base_url=emu.url) as client,
            tempfile.TemporaryDirectory(prefix="neo-bench-loop-") as tmp,
        ):
            for turn in range(turns):
                root = Path(tmp) / f"turn{turn}"
                shutil.copytree(WEBAPP, root / "webapp")
                ws = Workspace(root, allow=("read", "write", "preview"))
                task = client.create_task(
                    "Right-size web-server in this program",
                    tool_execution_mode="cli",
                    approval_mode="auto",
                )
                session = client.session(task.id)
                runner = client.runner(task.id, ws)
                while True:
                    session.refresh(raise_errors=True)
                    if session.waiting_tool_calls:
                        tool_time, start = 0.0, time.perf_counter()
                        ran = runner.run_pending()
                        loop += time.perf_counter() - start - tool_time
                        calls += len(ran)
                        batches += 1
                    elif session.status not in ("running", "awaiting_tools"):
                        break
                    else:
                        time.sleep(0.005)
                session.stop()
            # One POST round trip: a message to a parked task, which the service refuses
            # (409) without doing anything else.
            parked = client.create_task("What is in this program?", tool_execution_mode="cli")
            emu.agent_done(parked.id)
            url = emu.url + client.transport.path("tasks", parked.id)
            headers = {"Authorization": f"token {emu.token}"}
            body = {"event": {"type": "user_message", "content": "hi", "timestamp": "x"}}
            with requests.Session() as http:
                for _ in range(calls):
                    start = time.perf_counter()
                    assert http.post(url, json=body, headers=headers).status_code in (400, 409)
                    posts.append(time.perf_counter() - start)
    finally:
        _runner.run_tool = real_run_tool  # type: ignore[assignment]
    per_call = loop / calls
    round_trip = sorted(posts)[len(posts) // 2]
    ratio = per_call / round_trip
    print(f"runner loop: {turns} realistic turns, {calls} calls, {latency * 1000:.0f} ms latency")
    print(f"  one POST round trip    {round_trip * 1000:8.1f} ms (median)")
    print(
        f"  loop cost per call     {per_call * 1000:8.1f} ms   {ratio:5.2f}x  "
        f"(target <= {LOOP_GOAL}x; the protocol's floor here is "
        f"{(calls + batches) / calls:.2f}x: {calls + batches} posts for {calls} calls)"
    )
    return ratio <= LOOP_GOAL


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    files, runs = (2_000, 3) if args.quick else (20_000, 5)
    results = {
        "grep": bench_grep(files, runs),
        "memory": bench_memory(100),
        "redaction": bench_redaction(runs),
        "loop": bench_loop(2 if args.quick else 10),
    }
    failed = [name for name, ok in results.items() if not ok]
    if failed:
        sys.exit(f"targets missed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
