"""Neo's calls run in the kernel, over real HTTP against the emulator's CLI mode: the protocol
(exec_tool_call before each run, one tool_result per batch, nothing for Neo's own calls), the
once-only rules (again, re-read, two followers, a restarted kernel, lost answers), who may run
what, and secrets kept out of results."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neo_notebook import ConfigurationError, NeoClient, NeoConnectionError, Workspace
from neo_notebook._session import all_sessions
from neo_notebook.emulator import Faults, NeoEmulator

WEBAPP = Path(__file__).resolve().parents[1] / "notebooks" / "webapp"
RIGHT_SIZE = "Right-size web-server in this program"
LOOK = "What is in this program?"


@pytest.fixture
def emu() -> Iterator[NeoEmulator]:
    with NeoEmulator(api="current", seed=3) as emulator:
        yield emulator


def make_client(emu: NeoEmulator, **options: Any) -> NeoClient:
    return NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10, **options)


@pytest.fixture
def client(emu: NeoEmulator) -> Iterator[NeoClient]:
    with make_client(emu) as c:
        yield c
        for session in all_sessions(c):
            session.stop(join=10)


@pytest.fixture
def program(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    shutil.copytree(WEBAPP, root / "webapp")
    return root


def raw_events(client: NeoClient, task_id: str) -> list[dict[str, Any]]:
    return [dict(e.raw) for e in client.events(task_id)]


def bodies(client: NeoClient, task_id: str, outer: str, kind: str) -> list[dict[str, Any]]:
    return [
        dict(e["eventBody"])
        for e in raw_events(client, task_id)
        if e["type"] == outer and e["eventBody"].get("type") == kind
    ]


def test_a_cli_turn_follows_the_protocol_end_to_end(client: NeoClient, program: Path) -> None:
    ws = Workspace(program, allow=("read", "write", "preview"))
    task = client.create_task(RIGHT_SIZE, tool_execution_mode="cli", approval_mode="auto")
    runs = client.run_tools(task.id, ws, timeout=60)

    names = [r.name for r in runs]
    assert names[:2] == ["filesystem__directory_tree", "filesystem__read"]
    assert "filesystem__edit" in names and names[-1] == "pulumi__pulumi_preview"
    assert "t3.large" in (program / "webapp" / "index.ts").read_text()  # the edit landed
    # Without the Pulumi CLI the preview is an error result saying how to install it.
    assert runs[-1].is_error and runs[-1].content["status"] == "failed"  # type: ignore[index]
    assert "pulumi.com/docs/install" in runs[-1].content["logs"]  # type: ignore[index]

    events = raw_events(client, task.id)
    asked: dict[str, str] = {}  # call id -> execution mode, from the assistant messages
    batches: list[set[str]] = []
    for e in events:
        body = e["eventBody"]
        if e["type"] == "agentResponse" and body.get("type") == "assistant_message":
            calls = body.get("tool_calls") or []
            asked.update({c["id"]: c.get("execution_mode") for c in calls})
            if any(c.get("execution_mode") == "cli" for c in calls):
                batches.append({c["id"] for c in calls if c.get("execution_mode") == "cli"})
    started: list[str] = []
    answered: list[set[str]] = []
    for e in events:
        body = e["eventBody"]
        if e["type"] != "userInput":
            continue
        if body["type"] == "exec_tool_call":
            # Only cli calls are started here, each once, and before its batch is answered.
            assert asked[body["tool_call_id"]] == "cli"
            assert body["tool_call_id"] not in {i for batch in answered for i in batch}
            started.append(body["tool_call_id"])
        elif body["type"] == "tool_result":
            answered.append({item["tool_call_id"] for item in body["tool_results"]})
    assert answered == batches  # one tool_result per batch, covering every cli call of it
    assert sorted(started) == sorted(i for batch in batches for i in batch)
    assert any(mode == "cloud" for mode in asked.values())  # Neo's to-do list: not ours
    assert client.session(task.id).status == "idle"
    final = bodies(client, task.id, "agentResponse", "assistant_message")[-1]
    assert "t3.xlarge" in final["content"] and "t3.large" in final["content"]


def test_run_tools_again_and_a_fresh_reader_run_nothing(
    emu: NeoEmulator, client: NeoClient, program: Path
) -> None:
    ws = Workspace(program, allow=("read",))
    task = client.create_task(LOOK, tool_execution_mode="cli", approval_mode="auto")
    first = client.run_tools(task.id, ws, timeout=60)
    assert first and all(not r.is_error for r in first if r.name != "pulumi__pulumi_preview")
    before = len(raw_events(client, task.id))
    assert client.run_tools(task.id, ws, timeout=5) == []
    with make_client(emu) as other:  # a new process reading the history from the start
        assert other.run_tools(task.id, ws, timeout=5) == []
        for session in all_sessions(other):
            session.stop(join=10)
    assert len(raw_events(client, task.id)) == before  # nothing was posted


def test_two_followers_run_each_call_once(
    emu: NeoEmulator, client: NeoClient, program: Path
) -> None:
    """A panel's runner (its own thread) and run_tools, and a second client, all at once.
    (Everything the turn calls is allowed: the panel would ask about the rest.)"""
    ws = Workspace(program, allow=("read", "write", "preview"))
    task = client.create_task(RIGHT_SIZE, tool_execution_mode="cli", approval_mode="auto")
    client.chat(task.id, workspace=ws)
    with make_client(emu) as other:
        results: list[Any] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(client.run_tools(task.id, ws, timeout=60))
            ),
            threading.Thread(
                target=lambda: results.append(other.run_tools(task.id, ws, timeout=60))
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        for session in all_sessions(other):
            session.stop(join=10)
    started = [b["tool_call_id"] for b in bodies(client, task.id, "userInput", "exec_tool_call")]
    items = [
        item["tool_call_id"]
        for b in bodies(client, task.id, "userInput", "tool_result")
        for item in b["tool_results"]
    ]
    assert started and len(started) == len(set(started))
    assert sorted(items) == sorted(set(items)) and set(started) <= set(items)
    assert (program / "webapp" / "index.ts").read_text().count("t3.large") == 1


def test_a_call_left_by_a_restarted_kernel_is_answered_not_rerun(
    client: NeoClient, emu: NeoEmulator, program: Path
) -> None:
    ws = Workspace(program, allow=("read",))
    task = client.create_task(LOOK, tool_execution_mode="cli", approval_mode="auto")
    assert emu.agent_done(task.id)
    session = client.session(task.id)
    session.refresh()
    (call,) = session.log.waiting_tool_calls
    # The kernel that was running it said so, then died before it answered.
    client.start_tool_call(task.id, str(call.call_id), str(call.name))
    with make_client(emu) as restarted:
        runs = restarted.run_tools(task.id, ws, timeout=60)
        for s in all_sessions(restarted):
            s.stop(join=10)
    assert runs[0].call_id == call.call_id and runs[0].verdict == "interrupted"
    assert runs[0].is_error and "interrupted" in runs[0].content["error"]  # type: ignore[index]
    started = [b["tool_call_id"] for b in bodies(client, task.id, "userInput", "exec_tool_call")]
    assert started.count(call.call_id) == 1  # not started again


def test_a_call_the_workspace_does_not_allow_is_refused_and_touches_nothing(
    client: NeoClient, program: Path
) -> None:
    ws = Workspace(program, allow=("read",))
    before = (program / "webapp" / "index.ts").read_text()
    task = client.create_task(RIGHT_SIZE, tool_execution_mode="cli", approval_mode="auto")
    runs = client.run_tools(task.id, ws, timeout=60)
    (edit,) = [r for r in runs if r.name == "filesystem__edit"]
    assert edit.verdict == "refused" and edit.is_error
    assert "--allow read,write" in edit.content["error"]  # type: ignore[index]
    assert (program / "webapp" / "index.ts").read_text() == before
    started = {b["tool_call_id"] for b in bodies(client, task.id, "userInput", "exec_tool_call")}
    assert edit.call_id not in started  # a refused call is answered, never started


def test_a_read_only_task_refuses_writes_whatever_allow_says(
    client: NeoClient, program: Path
) -> None:
    ws = Workspace(program, allow=("read", "write", "shell", "preview", "up"))
    before = (program / "webapp" / "index.ts").read_text()
    task = client.create_task(
        RIGHT_SIZE, tool_execution_mode="cli", approval_mode="auto", permission_mode="read-only"
    )
    runs = client.run_tools(task.id, ws, timeout=60)
    (edit,) = [r for r in runs if r.name == "filesystem__edit"]
    assert edit.verdict == "refused" and "read-only" in edit.content["error"]  # type: ignore[index]
    assert (program / "webapp" / "index.ts").read_text() == before


def test_a_start_that_cannot_be_reported_means_the_tool_is_not_run(
    client: NeoClient, program: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(program, allow=("read", "write"))
    before = (program / "webapp" / "index.ts").read_text()
    real = NeoClient.start_tool_call

    def failing(self: NeoClient, task_id: str, call_id: str, name: str) -> None:
        if name == "filesystem__edit":  # the network fails for this one post
            raise NeoConnectionError("connection reset")
        real(self, task_id, call_id, name)

    monkeypatch.setattr(NeoClient, "start_tool_call", failing)
    task = client.create_task(RIGHT_SIZE, tool_execution_mode="cli", approval_mode="auto")
    runs = client.run_tools(task.id, ws, timeout=60)
    (edit,) = [r for r in runs if r.name == "filesystem__edit"]
    assert edit.verdict == "not run" and "could not be reported" in edit.content["error"]  # type: ignore[index]
    assert (program / "webapp" / "index.ts").read_text() == before


@pytest.mark.parametrize("kind", ["500-after", "drop-after", "500", "drop", "429"])
def test_every_batch_is_answered_once_under_faults(
    emu: NeoEmulator, client: NeoClient, program: Path, kind: str
) -> None:
    ws = Workspace(program, allow=("read", "write"))
    task = client.create_task(RIGHT_SIZE, tool_execution_mode="cli", approval_mode="auto")
    assert emu.agent_done(task.id)
    emu.faults = Faults(rate=0.3, kinds=(kind,), seed=5)
    try:
        client.run_tools(task.id, ws, timeout=60)
    finally:
        emu.faults = None
    started = [b["tool_call_id"] for b in bodies(client, task.id, "userInput", "exec_tool_call")]
    items = [
        i["tool_call_id"]
        for b in bodies(client, task.id, "userInput", "tool_result")
        for i in b["tool_results"]
    ]
    assert len(started) == len(set(started)) and len(items) == len(set(items))
    assert set(started) <= set(items)
    assert (program / "webapp" / "index.ts").read_text().count("t3.large") == 1
    assert client.session(task.id).status == "idle"


def test_the_token_never_leaves_in_a_result(
    emu: NeoEmulator, client: NeoClient, program: Path
) -> None:
    readme = program / "webapp" / "Pulumi.yaml"
    readme.write_text(readme.read_text() + f"# token: {emu.token}\n# github: ghp_{'a1B2' * 9}\n")
    ws = Workspace(program, allow=("read",))
    task = client.create_task(LOOK, tool_execution_mode="cli", approval_mode="auto")
    client.run_tools(task.id, ws, timeout=60)
    results = str(bodies(client, task.id, "userInput", "tool_result"))
    assert "name: webapp" in results  # the file was read and sent ...
    assert emu.token not in results and "ghp_" + "a1B2" * 9 not in results  # ... redacted


def test_workspace_and_mode_errors_are_clear_and_send_nothing(
    client: NeoClient, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        client.create_task("hi", workspace=tmp_path / "missing")
    with pytest.raises(ValueError, match="read, write, shell, preview, up"):
        Workspace(tmp_path, allow=("read", "everything"))
    with pytest.raises(ConfigurationError, match="tool_execution_mode='cli'"):
        client.create_task("hi", workspace=tmp_path, tool_execution_mode="cloud")
    assert list(client.list_tasks()) == []


def test_cancel_stops_a_running_command_posts_its_result_then_cancels(
    client: NeoClient, tmp_path: Path
) -> None:
    import subprocess
    import time

    marker = f"neo-cancel-{tmp_path.name}"
    ws = Workspace(tmp_path, allow=("shell",))
    # A tree: the shell starts a child sleep, which must die with it.
    task = client.create_task(f"run: sh -c 'sleep 30; echo {marker}'", workspace=ws)
    session = client.session(task.id)

    def running() -> bool:
        found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
        return bool(found.stdout.strip())

    deadline = time.monotonic() + 20
    while not running():
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.05)
    started = time.monotonic()
    session.cancel()
    took = time.monotonic() - started
    assert not running()  # the whole tree is gone
    assert took < 5, took  # killed at once, not after the 30 s (the 409s were retried)
    (result,) = bodies(client, task.id, "userInput", "tool_result")
    (item,) = result["tool_results"]
    assert item["is_error"] and item["content"]["error"] == "cancelled by the user"
    kinds = [b["type"] for b in (e["eventBody"] for e in raw_events(client, task.id))]
    assert kinds.index("tool_result") < kinds.index("user_cancel")  # the result first


def test_cancel_is_retried_while_the_service_answers_409() -> None:
    from neo_notebook import ConflictError
    from neo_notebook._session import CANCEL_BACKOFF, TaskSession

    class Parked:
        """A client whose cancel meets a parked task twice, then lands."""

        def __init__(self) -> None:
            self.cancels = 0

        def tail(self, task_id: str) -> Any:
            return None

        def cancel(self, task_id: str) -> None:
            self.cancels += 1
            if self.cancels <= 2:
                raise ConflictError(409, "cannot respond while a request is still ongoing")

    class Work:
        def interrupt(self) -> bool:
            return True

    parked = Parked()
    session = TaskSession(parked, "t")  # type: ignore[arg-type]
    session.attach(Work())
    slept: list[float] = []
    session.follow = lambda: None  # type: ignore[method-assign]  # no thread in a unit test
    session.cancel(sleep=slept.append)
    assert parked.cancels == 3 and slept == list(CANCEL_BACKOFF[:2])

    parked = Parked()
    plain = TaskSession(parked, "t")  # type: ignore[arg-type]
    with pytest.raises(ConflictError):  # nothing of ours is parked: a 409 is the answer
        plain.cancel(sleep=slept.append)
    assert parked.cancels == 1
