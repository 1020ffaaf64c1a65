"""CLI tool-execution mode over HTTP: the realistic workspace session and the protocol's rules.

The tests play the client by hand: they read the events, post `exec_tool_call` and `tool_result`
in the contract's shapes (shared/neo-cli-mode.md) and run nothing real; results come from the
files of notebooks/webapp held in memory (`Workspace`), or are handcrafted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from neo_notebook.emulator import NeoEmulator
from neo_notebook.emulator._cli_tools import LOCAL_TOOLS, Workspace, pulumi_result

from .conftest import Http

WEBAPP = Path(__file__).resolve().parents[2] / "notebooks" / "webapp"
ROOT = "/home/ada/work"
RIGHT_SIZE = "Right-size web-server in this program"
BUSY = "cannot respond while a request is still ongoing"


def workspace(**kwargs: Any) -> Workspace:
    files = {f"webapp/{p.name}": p.read_text() for p in sorted(WEBAPP.iterdir()) if p.is_file()}
    return Workspace(ROOT, files, **kwargs)


def cli_calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in body.get("tool_calls", []) if c.get("execution_mode") == "cli"]


def run_batch(
    http: Http, task_id: str, ws: Workspace, calls: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What a client does with one batch: exec_tool_call each, then one tool_result."""
    items = []
    for call in calls:
        started = {"type": "exec_tool_call", "tool_call_id": call["id"], "name": call["name"]}
        assert http.send(task_id, started).status_code == 202
        content, is_error = ws.run(call["name"], call["args"])
        items.append(
            {
                "tool_call_id": call["id"],
                "name": call["name"],
                "content": content,
                "is_error": is_error,
            }
        )
    r = http.send(task_id, {"type": "tool_result", "tool_results": items})
    assert r.status_code == 202, r.text
    return items


def drive(
    emu: NeoEmulator, http: Http, task_id: str, ws: Workspace, *, approve: bool = True
) -> list[list[dict[str, Any]]]:
    """Answer every batch (and approval) until the agent's final answer; returns the batches."""
    batches = []
    for _ in range(12):
        assert emu.agent_done(task_id)
        bodies = http.bodies(task_id)
        last = bodies[-1]
        if last["type"] == "awaiting_approvals":
            request = next(b for b in reversed(bodies) if b["type"] == "user_approval_request")
            assert http.confirm(task_id, request["id"], ok=approve).status_code == 202
            continue
        calls = cli_calls(last)
        if not calls:
            return batches
        batches.append(calls)
        run_batch(http, task_id, ws, calls)
    raise AssertionError("the session did not end")


def parked_call(emu: NeoEmulator, http: Http, task_id: str) -> dict[str, Any]:
    assert emu.agent_done(task_id)
    (call,) = cli_calls(http.bodies(task_id)[-1])
    return call


def test_right_sizing_plays_the_real_tools_in_order(current: NeoEmulator, chttp: Http) -> None:
    ws = workspace()
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    batches = drive(current, chttp, task_id, ws)
    names = [[c["name"] for c in batch] for batch in batches]
    assert names == [
        ["filesystem__directory_tree"],
        ["filesystem__read", "filesystem__read"],
        ["filesystem__grep"],
        ["filesystem__edit"],
        ["pulumi__pulumi_preview"],
    ]
    args = [[c["args"] for c in batch] for batch in batches]
    assert args[0] == [{"path": ".", "depth": 2}]
    assert args[1] == [{"file_path": "webapp/Pulumi.yaml"}, {"file_path": "webapp/index.ts"}]
    assert args[2] == [
        {"pattern": "instanceType|instance_type", "path": "webapp", "include": "*.ts"}
    ]
    assert args[3] == [
        {
            "file_path": "webapp/index.ts",
            "old_string": '    instanceType: "t3.xlarge",',
            "new_string": '    instanceType: "t3.large",',
        }
    ]
    assert args[4] == [{"stack_name": "dev", "local_pulumi_dir": f"{ROOT}/webapp"}]
    assert 'instanceType: "t3.large"' in ws.files["webapp/index.ts"]
    for batch in batches:
        for call in batch:
            tool = LOCAL_TOOLS[call["name"]]
            assert set(tool.required) <= set(call["args"]) <= set(tool.required + tool.optional)
    answer = chttp.bodies(task_id)[-1]
    assert answer["type"] == "assistant_message" and answer["is_final"] is True
    assert "t3.xlarge` → `t3.large" in answer["content"] and "1 to update" in answer["content"]
    assert chttp.task(task_id)["status"] == "idle"


def test_one_call_reads_as_the_service_records_it(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    call = parked_call(current, chttp, task_id)
    before = len(chttp.events(task_id))
    message = chttp.bodies(task_id)[-1]
    assert message["is_final"] is True and message["token_usage"]
    run_batch(chttp, task_id, workspace(), [call])
    assert current.agent_done(task_id)
    trail = [
        (e["type"], e["eventBody"]["type"])
        for e in chttp.events(task_id)[before:]
        if e["eventBody"].get("tool_call_id") == call["id"]
        or call["id"] in [r["tool_call_id"] for r in e["eventBody"].get("tool_results", [])]
    ]
    assert trail == [
        ("userInput", "exec_tool_call"),
        ("agentResponse", "exec_tool_call"),
        ("userInput", "tool_result"),
        ("agentResponse", "tool_response"),
    ]
    echo = chttp.bodies(task_id)[before + 1]
    assert echo == {
        "type": "exec_tool_call",
        "tool_call_id": call["id"],
        "name": "filesystem__directory_tree",
        "execution_mode": "cli",
        "args": {"path": ".", "depth": 2},
        "timestamp": echo["timestamp"],
    }


def test_neo_own_tools_stay_cloud(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    assert current.agent_done(task_id)
    calls = [c for b in chttp.bodies(task_id) for c in b.get("tool_calls", [])]
    todo = next(c for c in calls if c["name"] == "todo__TodoWrite")
    assert todo["execution_mode"] == "cloud" and todo["args"]["todos"][0]["status"]
    assert [c["name"] for c in calls if c["execution_mode"] == "cli"] == [
        "filesystem__directory_tree"
    ]


def test_while_parked_messages_and_cancels_are_409(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    call = parked_call(current, chttp, task_id)
    task = chttp.task(task_id)
    assert task["status"] == "idle" and task["pendingInputCount"] == 0
    for event in ({"type": "user_message", "content": "hello?"}, {"type": "user_cancel"}):
        r = chttp.send(task_id, event)
        assert r.status_code == 409 and r.json()["message"] == BUSY
    run_batch(chttp, task_id, workspace(), [call])
    assert current.agent_done(task_id)
    assert cli_calls(chttp.bodies(task_id)[-1])  # the next batch


def test_a_tool_result_must_cover_the_batch_and_only_it(current: NeoEmulator, chttp: Http) -> None:
    ws = workspace()
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    run_batch(chttp, task_id, ws, [parked_call(current, chttp, task_id)])
    assert current.agent_done(task_id)
    first, second = cli_calls(chttp.bodies(task_id)[-1])
    item = {"tool_call_id": first["id"], "name": first["name"], "content": {"content": "x"}}
    r = chttp.send(task_id, {"type": "tool_result", "tool_results": [item]})
    assert r.status_code == 400
    assert "must cover every waiting call" in r.json()["message"]
    assert second["id"] in r.json()["message"]
    stranger = {"tool_call_id": "call_nope", "name": "filesystem__read", "content": {}}
    r = chttp.send(task_id, {"type": "tool_result", "tool_results": [item, stranger]})
    assert r.status_code == 400 and "'call_nope' is not waiting" in r.json()["message"]
    started = {"type": "exec_tool_call", "tool_call_id": "call_nope", "name": "filesystem__read"}
    r = chttp.send(task_id, started)
    assert r.status_code == 400 and "is not waiting" in r.json()["message"]
    wrong = {"type": "exec_tool_call", "tool_call_id": first["id"], "name": "shell__shell_execute"}
    r = chttp.send(task_id, wrong)
    assert r.status_code == 400 and "is 'filesystem__read'" in r.json()["message"]
    twice = {"type": "tool_result", "tool_results": [item, item]}
    assert chttp.send(task_id, twice).status_code == 400
    run_batch(chttp, task_id, ws, [first, second])  # refused posts left no trace
    assert current.agent_done(task_id)


def test_cli_user_events_on_a_task_with_nothing_waiting_are_400(chttp: Http) -> None:
    task_id = chttp.create()
    event = {"type": "exec_tool_call", "tool_call_id": "call_x", "name": "shell__shell_execute"}
    r = chttp.send(task_id, event)
    assert r.status_code == 400 and "no call is waiting" in r.json()["message"]


def test_balanced_and_auto_preview_without_asking(current: NeoEmulator, chttp: Http) -> None:
    for mode in ("balanced", "auto"):
        task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli", approvalMode=mode)
        drive(current, chttp, task_id, workspace())
        kinds = [b["type"] for b in chttp.bodies(task_id)]
        assert "user_approval_request" not in kinds and "user_confirmation" not in kinds


def test_manual_mode_gates_the_preview(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    drive(current, chttp, task_id, workspace())
    bodies = chttp.bodies(task_id)
    i = next(i for i, b in enumerate(bodies) if b["type"] == "user_approval_request")
    request = bodies[i]
    assert request["approval_type"] == "tool_permission" and request["sensitivity"] == "regular"
    assert request["context"]["tool_name"] == "pulumi__pulumi_preview"
    assert [b["type"] for b in bodies[i + 1 : i + 4]] == [
        "assistant_message",
        "awaiting_approvals",
        "user_confirmation",
    ]
    assert "tool_calls" not in bodies[i + 1]  # nothing runs before the approval
    assert cli_calls(bodies[i + 4])[0]["name"] == "pulumi__pulumi_preview"


def test_a_declined_preview_ends_the_session(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    batches = drive(current, chttp, task_id, workspace(), approve=False)
    assert batches[-1][0]["name"] == "filesystem__edit"
    answer = chttp.bodies(task_id)[-1]["content"]
    assert "didn't run the preview" in answer and "t3.large" in answer


def test_a_failed_preview_is_reported_honestly(current: NeoEmulator, chttp: Http) -> None:
    failed = pulumi_result(
        status="failed",
        logs='error: exec: "pulumi": executable file not found in $PATH',
        project="webapp",
        stack="dev",
    )
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli", approvalMode="auto")
    drive(current, chttp, task_id, workspace(preview=(failed, True)))
    answer = chttp.bodies(task_id)[-1]["content"]
    assert "the Pulumi CLI is not installed" in answer and "t3.large" in answer


def test_the_stack_entity_names_the_preview_stack(current: NeoEmulator, chttp: Http) -> None:
    stack = {"type": "stack", "name": "prod", "project": "webapp"}
    message = {"entity_diff": {"add": [stack], "remove": []}}
    task_id = chttp.create(
        RIGHT_SIZE, toolExecutionMode="cli", approvalMode="auto", message=message
    )
    batches = drive(current, chttp, task_id, workspace())
    assert batches[-1][0]["args"]["stack_name"] == "prod"


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ({"README.md": "hi"}, "no Pulumi program"),
        (
            {"webapp/Pulumi.yaml": "name: webapp\nruntime: nodejs\n", "webapp/index.ts": "x"},
            "no instance size",
        ),
        (
            {"Pulumi.yaml": "name: w\nruntime: nodejs\n", "index.ts": 'instanceType: "t3.nano",'},
            "already the smallest",
        ),
    ],
)
def test_empty_findings_end_with_a_sensible_answer(
    current: NeoEmulator, chttp: Http, files: dict[str, str], says: str
) -> None:
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    drive(current, chttp, task_id, Workspace(ROOT, files))
    last = chttp.bodies(task_id)[-1]
    assert last["is_final"] is True and says in last["content"]
    assert chttp.task(task_id)["status"] == "idle"
    assert chttp.send(task_id, {"type": "user_message", "content": "ok"}).status_code == 202


def test_an_error_result_ends_the_session(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    call = parked_call(current, chttp, task_id)
    item = {
        "tool_call_id": call["id"],
        "name": call["name"],
        "content": {"error": 'path "/" is outside the allowed roots [/home/ada/work]'},
        "is_error": True,
    }
    assert chttp.send(task_id, {"type": "tool_result", "tool_results": [item]}).status_code == 202
    assert current.agent_done(task_id)
    bodies = chttp.bodies(task_id)
    assert bodies[-2]["is_error"] is True
    assert "outside the allowed roots" in bodies[-1]["content"] and bodies[-1]["is_final"]


def test_a_question_previews_without_editing(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(
        "Which resources does this program declare?", toolExecutionMode="cli", approvalMode="auto"
    )
    batches = drive(current, chttp, task_id, workspace())
    names = [batch[0]["name"] for batch in batches]
    assert "filesystem__edit" not in names and names[-1] == "pulumi__pulumi_preview"
    answer = chttp.bodies(task_id)[-1]["content"]
    assert "`web-server` (`aws.ec2.Instance`)" in answer


def test_force_cancel_unparks(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(RIGHT_SIZE, toolExecutionMode="cli")
    call = parked_call(current, chttp, task_id)
    assert chttp.post(f"tasks/{task_id}/cancel").status_code == 204
    item = {"tool_call_id": call["id"], "name": call["name"], "content": {"entries": []}}
    assert chttp.send(task_id, {"type": "tool_result", "tool_results": [item]}).status_code == 400
    assert chttp.send(task_id, {"type": "user_message", "content": "again"}).status_code == 202


def test_run_prefix_asks_for_one_shell_command_and_reports_it(
    current: NeoEmulator, chttp: Http
) -> None:
    task_id = chttp.create("run: echo hi; exit 3", toolExecutionMode="cli")
    call = parked_call(current, chttp, task_id)
    assert call["name"] == "shell__shell_execute"
    assert call["args"] == {"command": "echo hi; exit 3"}
    item = {
        "tool_call_id": call["id"],
        "name": call["name"],
        "content": {"stdout": "hi\n", "stderr": "", "exit_code": 3},
        "is_error": False,
    }
    chttp.send(
        task_id, {"type": "exec_tool_call", "tool_call_id": call["id"], "name": call["name"]}
    )
    assert chttp.send(task_id, {"type": "tool_result", "tool_results": [item]}).status_code == 202
    assert current.agent_done(task_id)
    answer = chttp.bodies(task_id)[-1]
    assert answer["type"] == "assistant_message" and answer["is_final"] is True
    assert "exited with code 3" in answer["content"] and "hi" in answer["content"]


def test_run_prefix_reports_a_stopped_command(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create("Run: sleep 30", toolExecutionMode="cli")
    call = parked_call(current, chttp, task_id)
    item = {
        "tool_call_id": call["id"],
        "name": call["name"],
        "content": {"stdout": "", "stderr": "", "exit_code": -1, "error": "cancelled by the user"},
        "is_error": True,
    }
    assert chttp.send(task_id, {"type": "tool_result", "tool_results": [item]}).status_code == 202
    assert current.agent_done(task_id)
    assert "did not finish: cancelled by the user" in chttp.bodies(task_id)[-1]["content"]
