"""A person supervising Neo's tools on this machine, over real HTTP against the emulator: the
runner asks (and blocks) until answered once, a grant lasts the task, a rejection's reason
reaches Neo, an edit is shown before it touches the file, Stop ends a question or a command,
and the live tail is coalesced and redacted."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chat_helpers import Views, front_end, wait_for

from neo_notebook import NeoChat, NeoClient, Workspace
from neo_notebook._local_tools import LiveRun, ToolRunner, _runner, plain_text
from neo_notebook._widget import chat_for
from neo_notebook.emulator import NeoEmulator

WEBAPP = Path(__file__).resolve().parents[1] / "notebooks" / "webapp"


@pytest.fixture
def api() -> str:
    return "current"


@pytest.fixture(autouse=True)
def fresh_ledger() -> None:
    """Each test's emulator has the same seed, so the same task and call ids: the once-only
    ledger (process-wide, by design) would take them for calls already claimed."""
    _runner._LEDGER.clear()


def results(emulator: NeoEmulator, task_id: str) -> list[dict[str, Any]]:
    return [
        item
        for task, body in emulator.posted
        if task == task_id and body["type"] == "tool_result"
        for item in body["tool_results"]
    ]


def supervised(
    client: NeoClient, message: str, ws: Workspace, **options: Any
) -> tuple[str, ToolRunner]:
    """A CLI-mode task whose runner asks a person (as a panel makes it)."""
    task = client.create_task(message, tool_execution_mode="cli", **options)
    runner = client.runner(task.id, ws)
    runner.ask = runner.ask_person
    runner.start()
    return task.id, runner


def first_ask(runner: ToolRunner, timeout: float = 15) -> Any:
    return wait_for(lambda: next(iter(runner.asks.pending), None), timeout)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    yield Workspace(tmp_path)


def test_allow_runs_the_command_once_and_its_tail_is_live(
    client: NeoClient, emulator: NeoEmulator, ws: Workspace
) -> None:
    secret = emulator.token
    command = f"echo start; echo {secret}; printf '\\033[31m 10%%\\r100%%\\n'; echo err >&2"
    task_id, runner = supervised(client, f"run: {command}", ws)
    lives: list[dict[str, Any]] = []
    runner.on_live(lambda live: lives.append(live.as_dict()))
    ask = first_ask(runner)
    assert ask.name == "shell__shell_execute" and ask.kind == "shell"
    assert ask.details == {"command": command, "cwd": str(ws.root), "timeout": 120.0}
    assert results(emulator, task_id) == []  # nothing ran or was posted before the answer
    assert runner.answer(ask.call_id, allow=True)
    assert not runner.answer(ask.call_id, allow=False, reason="too late")  # one decision
    assert client.session(task_id).wait(20)
    (item,) = results(emulator, task_id)
    assert item["is_error"] is False and item["content"]["exit_code"] == 0
    assert secret not in str(item)  # redacted on the way out ...
    final = lives[-1]
    assert final["state"] == "done" and final["exit_code"] == 0
    shown = "".join(text for _, text in final["tail"])
    assert secret not in shown and "[redacted" in shown  # ... and in what the panel shows
    assert "100%\n" in shown and "\x1b" not in shown and "\r" not in shown
    assert ["stderr", "err\n"] in final["tail"]
    runner.stop()


def test_allow_for_this_task_grants_the_kind(
    client: NeoClient, emulator: NeoEmulator, ws: Workspace
) -> None:
    task_id, runner = supervised(client, "run: echo one", ws)
    ask = first_ask(runner)
    assert runner.answer(ask.call_id, allow=True, grant=True)
    session = client.session(task_id)
    assert session.wait(20) and runner.granted == {"shell"}
    asked = len(runner.asks.answers)
    session.send_message("run: echo two")
    assert session.wait(20)
    assert len(runner.asks.answers) == asked  # not asked again
    assert [r["content"]["stdout"] for r in results(emulator, task_id)] == ["one\n", "two\n"]
    runner.stop()


def test_reject_with_a_reason_reaches_neo(
    client: NeoClient, emulator: NeoEmulator, ws: Workspace
) -> None:
    task_id, runner = supervised(client, "run: rm -rf build", ws)
    ask = first_ask(runner)
    assert runner.answer(ask.call_id, allow=False, reason=" use make clean ")
    assert client.session(task_id).wait(20)
    (item,) = results(emulator, task_id)
    assert item["is_error"] is True
    assert item["content"] == {
        "error": "shell__shell_execute was not run: the user declined: use make clean"
    }
    assert runner.live[ask.call_id].state == "declined"
    runner.stop()


def test_an_edit_shows_its_diff_and_touches_nothing_until_allowed(
    client: NeoClient, emulator: NeoEmulator, tmp_path: Path
) -> None:
    shutil.copytree(WEBAPP, tmp_path / "webapp")
    ws = Workspace(tmp_path, allow="read")
    index = tmp_path / "webapp" / "index.ts"
    before = index.read_text()
    _, runner = supervised(
        client, "Right-size web-server in this program", ws, approval_mode="auto"
    )
    ask = first_ask(runner, 30)
    assert ask.name == "filesystem__edit" and ask.kind == "write"
    assert ask.details["file"] == "webapp/index.ts"
    diff = ask.details["diff"]
    assert '-    instanceType: "t3.xlarge",' in diff and '+    instanceType: "t3.large",' in diff
    time.sleep(0.3)
    assert index.read_text() == before  # asked, not applied
    runner.answer(ask.call_id, allow=True)
    wait_for(lambda: 't3.large"' in index.read_text(), 15)
    runner.stop()


def test_stop_answers_a_pending_question_as_cancelled(
    client: NeoClient, emulator: NeoEmulator, ws: Workspace
) -> None:
    task_id, runner = supervised(client, "run: echo never", ws)
    ask = first_ask(runner)
    client.session(task_id).cancel(sleep=lambda _: time.sleep(0.05))
    (item,) = wait_for(lambda: results(emulator, task_id) or None, 10)
    assert item["content"] == {"error": "shell__shell_execute was not run: cancelled by the user"}
    assert runner.asks.answers[ask.call_id].cancelled
    assert runner.live[ask.call_id].state == "stopped"
    assert not runner.answer(ask.call_id, allow=True)  # too late: decided
    runner.stop()


def test_stop_kills_a_running_command_within_a_second(
    client: NeoClient, emulator: NeoEmulator, tmp_path: Path
) -> None:
    ws = Workspace(tmp_path, allow="shell")
    task_id, runner = supervised(client, "run: echo going; sleep 30", ws)
    session = client.session(task_id)
    wait_for(lambda: (runner.live and next(iter(runner.live.values())).tail) or None, 15)
    started = time.monotonic()
    stopper = threading.Thread(target=session.cancel, kwargs={"sleep": lambda _: None})
    stopper.start()
    (item,) = wait_for(lambda: results(emulator, task_id) or None, 10)
    assert time.monotonic() - started < 1.5
    assert item["is_error"] is True and item["content"]["error"] == "cancelled by the user"
    assert item["content"]["stdout"] == "going\n"
    (live,) = runner.live.values()
    assert live.state == "stopped"
    stopper.join(10)
    runner.stop()


def test_the_live_tail_is_coalesced() -> None:
    published: list[float] = []
    live = LiveRun("c", "shell__shell_execute", lambda _: published.append(time.monotonic()))
    for i in range(2000):
        live.output("stdout", f"line {i}\n")
    time.sleep(0.4)
    live.finish("done", 0)
    assert 2 <= len(published) <= 4  # the first chunk, one coalesced flush, the end
    text = "".join(t for _, t in live.tail)
    assert text.endswith("line 1999\n") and len(text) <= 4000
    assert text.startswith("line ")  # the tail starts on a whole line


def test_plain_text_keeps_text_and_drops_terminal_controls() -> None:
    assert plain_text("a\x1b[1;32mb\x1b[0m\x07c") == "abc"
    assert plain_text("x\r\ny") == "x\ny"
    assert plain_text("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"


def panel(client: NeoClient, message: str, ws: Workspace) -> tuple[str, NeoChat, Views]:
    """A CLI-mode task shown in a panel with a workspace (``client.chat(task, workspace=)``),
    its messages to the views recorded."""
    task = client.create_task(message, tool_execution_mode="cli")
    chat = chat_for(client, task.id)
    views = Views()
    chat.send = views  # type: ignore[method-assign]
    assert client.chat(task.id, workspace=ws) is chat
    return task.id, chat, views


def test_the_panel_asks_and_one_decision_holds_across_views(
    client: NeoClient, emulator: NeoEmulator, ws: Workspace
) -> None:
    task_id, chat, views = panel(client, "run: echo from-the-panel", ws)
    assert chat.workspace == {
        "path": str(ws.root),
        "allow": ["read"],
        "granted": [],
        "kinds": ["read", "write", "shell", "preview", "up"],
    }
    (call_id,) = wait_for(lambda: list(chat.local_asks), 15)
    card = chat.local_asks[call_id]
    assert card["name"] == "shell__shell_execute" and card["kind"] == "shell"
    assert card["details"]["command"] == "echo from-the-panel"
    allow = {"type": "allow", "request_id": "a-1", "call_id": call_id, "grant": True}
    front_end(chat, allow)
    front_end(chat, {"type": "reject", "request_id": "a-2", "call_id": call_id})  # other view
    assert views.ack("a-1")["ok"] is True
    assert views.ack("a-2")["ok"] is False
    assert chat.local_decisions[call_id] == {
        "allow": True,
        "grant": True,
        "reason": "",
        "cancelled": False,
    }
    assert list(chat.local_asks) == [call_id]  # still drawn, with its decision
    assert chat.workspace["granted"] == ["shell"]
    assert chat.wait(20)
    lives = [run for m in views.of_type("live") for run in m["runs"]]
    assert lives[-1]["state"] == "done" and lives[-1]["exit_code"] == 0
    assert ["stdout", "from-the-panel\n"] in lives[-1]["tail"]
    # A view that opens later gets the runs with its snapshot.
    start = len(views.messages)
    front_end(chat, {"type": "sync", "after": -1})
    wait_for(lambda: any(m["type"] == "live" for m in views.messages[start:]), 5)
    # Revoking the grant from the header: the next command asks again.
    front_end(chat, {"type": "grant", "request_id": "g-1", "kind": "shell", "allowed": False})
    assert views.ack("g-1")["ok"] is True and chat.workspace["granted"] == []
    chat.close()
    assert chat.runner is None and client.runner(task_id, ws).ask is None  # headless again


def test_without_a_panel_a_call_not_allowed_is_refused(
    client: NeoClient, emulator: NeoEmulator, ws: Workspace
) -> None:
    task = client.create_task("run: echo headless", workspace=ws)
    assert client.session(task.id).wait(20)
    (item,) = results(emulator, task.id)
    assert item["is_error"] and "'shell' kind is not allowed" in item["content"]["error"]


def test_the_transcript_has_each_local_run_with_its_decision(
    client: NeoClient, emulator: NeoEmulator, ws: Workspace
) -> None:
    _, chat, _ = panel(client, "run: echo kept-in-the-transcript", ws)
    (call_id,) = wait_for(lambda: list(chat.local_asks), 15)
    assert chat.runner is not None and chat.runner.answer(call_id, allow=False, reason="not now")
    assert chat.wait(20)
    text = chat.transcript()
    assert "echo kept-in-the-transcript" in text  # what was asked to run
    assert "*Rejected (not now) by you:* `shell__shell_execute`" in text
    assert "the user declined: not now" in text  # the result Neo got
    chat.close()
