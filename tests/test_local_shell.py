"""shell__shell_execute: the CLI's result shape, timeouts and cancels that kill the whole
process tree, output capped while it streams, live chunks, invalid UTF-8."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from neo_notebook._local_tools import MAX_OUTPUT_BYTES, Workspace, _paths, run_tool


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setattr(_paths, "temp_dirs", lambda: [])
    (tmp_path / "sub").mkdir()
    return Workspace(tmp_path, allow=("read", "shell"))


def shell(ws: Workspace, **args: object) -> tuple[dict[str, object], bool]:
    outcome = run_tool(ws, "shell__shell_execute", args)
    assert isinstance(outcome.content, dict)
    return outcome.content, outcome.is_error


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie left for init to reap is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_result_shape_env_cwd_and_non_zero_exit(ws: Workspace) -> None:
    content, is_error = shell(ws, command="echo $AI_AGENT; pwd; echo oops >&2; exit 3", cwd="sub")
    assert content == {"stdout": f"neo\n{ws.root}/sub\n", "stderr": "oops\n", "exit_code": 3}
    assert not is_error  # a non-zero exit is not an error


def test_invalid_utf8_is_replaced(ws: Workspace) -> None:
    content, _ = shell(ws, command=r"printf 'ok \377\376 end'")
    assert content["stdout"] == "ok \ufffd\ufffd end"


def test_a_timeout_kills_the_whole_tree(ws: Workspace) -> None:
    pid_file = ws.root / "child.pid"
    start = time.monotonic()
    content, is_error = shell(
        ws, command=f"echo started; sleep 30 & echo $! > {pid_file}; wait", timeout=0.5
    )
    assert time.monotonic() - start < 3
    assert is_error
    assert content == {"stdout": "started\n", "stderr": "", "exit_code": -1, "timed_out": True}
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "the backgrounded sleep survived the timeout"


def test_cancel_kills_within_a_second(ws: Workspace) -> None:
    cancel = threading.Event()
    chunks: list[tuple[str, str]] = []
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    outcome = run_tool(
        ws,
        "shell__shell_execute",
        {"command": "echo before; sleep 30"},
        cancel=cancel,
        on_output=lambda stream, text: chunks.append((stream, text)),
    )
    elapsed = time.monotonic() - start
    assert elapsed < 1.3, f"cancel took {elapsed:.2f} s"
    assert outcome.is_error and outcome.cancelled
    assert outcome.content == {
        "stdout": "before\n",
        "stderr": "",
        "exit_code": -1,
        "error": "cancelled by the user",
    }
    assert chunks == [("stdout", "before\n")]


def test_live_output_arrives_before_the_command_ends(ws: Workspace) -> None:
    seen: list[float] = []
    start = time.monotonic()
    run_tool(
        ws,
        "shell__shell_execute",
        {"command": "echo one; sleep 0.5; echo two >&2"},
        on_output=lambda stream, text: seen.append(time.monotonic() - start),
    )
    assert len(seen) == 2 and seen[0] < 0.4 <= seen[1]


def test_each_stream_is_capped_at_one_mebibyte(ws: Workspace) -> None:
    content, is_error = shell(
        ws, command="head -c 3000000 /dev/zero | tr '\\0' a; head -c 10 /dev/zero | tr '\\0' b >&2"
    )
    assert not is_error and content["truncated"] is True
    assert content["stdout"] == "a" * MAX_OUTPUT_BYTES
    assert content["stderr"] == "b" * 10


def test_a_background_grandchild_holding_the_pipe_does_not_hang_forever(ws: Workspace) -> None:
    start = time.monotonic()
    content, _ = shell(ws, command="(sleep 30 &) ; echo done")
    assert content["stdout"] == "done\n"
    assert time.monotonic() - start < 7  # the CLI's five-second WaitDelay, then give up


def test_printing_100_mb_keeps_memory_bounded(tmp_path: Path) -> None:
    # Measured in a fresh interpreter so nothing else in this test run moves the numbers.
    script = textwrap.dedent(
        f"""
        from neo_notebook._local_tools import Workspace, run_tool
        ws = Workspace({str(tmp_path)!r}, allow=("shell",))
        run_tool(ws, "shell__shell_execute", {{"command": "true"}})
        def status(field):
            with open("/proc/self/status") as f:
                return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field))
        # Reset the peak (VmHWM) to the current RSS: the imports' own peak must not hide ours.
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status("VmRSS:")
        out = run_tool(ws, "shell__shell_execute",
                       {{"command": "head -c 100000000 /dev/zero | tr '\\\\0' x"}})
        after = status("VmHWM:")
        assert out.content["truncated"] and len(out.content["stdout"]) == 1 << 20
        print(after - before)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    growth = int(done.stdout.strip())
    assert growth < MAX_OUTPUT_BYTES + 8 * 2**20, f"peak RSS grew {growth / 2**20:.1f} MiB"
