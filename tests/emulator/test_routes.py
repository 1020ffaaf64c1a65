"""Every route and status of the Neo agent API, over real HTTP."""

from __future__ import annotations

import pytest
import requests

from neo_notebook.emulator import NeoEmulator

from .conftest import CHANGE, QUESTION, Http


def error(r: requests.Response, status: int) -> str:
    """Assert `r` is a JSON error with `status`; returns its message."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    message: str = body["message"]
    return message


def test_create_returns_201_and_a_task_id(http: Http) -> None:
    r = http.post("tasks", json={"message": {"type": "user_message", "content": QUESTION}})
    assert r.status_code == 201
    assert set(r.json()) == {"taskId"}
    assert http.emu.agent_done(r.json()["taskId"])


def test_task_json_has_every_contract_field(http: Http) -> None:
    task = http.task(http.create(QUESTION))
    assert list(task)[:8] == [
        "id",
        "name",
        "status",
        "createdAt",
        "entities",
        "isShared",
        "sharedAt",
        "createdBy",
    ]
    assert task["status"] == "idle"
    assert task["name"] == "What is running in my stack"
    assert task["createdAt"].endswith("Z") and len(task["createdAt"]) == 20
    assert task["isShared"] is False and task["sharedAt"] == "0001-01-01T00:00:00Z"
    assert set(task["createdBy"]) == {"name", "githubLogin", "avatarUrl"}
    assert task["approvalMode"] == "manual" and task["planMode"] is False
    assert task["entities"] == []


def test_create_passes_settings_and_unknown_fields_through(http: Http) -> None:
    task_id = http.create(
        QUESTION,
        approvalMode="balanced",
        planMode=True,
        source="api",
        toolExecutionMode="cloud",
        somethingNew={"nested": [1, 2]},
    )
    task = http.task(task_id)
    assert task["approvalMode"] == "balanced" and task["planMode"] is True
    assert task["source"] == "api" and task["toolExecutionMode"] == "cloud"
    assert task["somethingNew"] == {"nested": [1, 2]}
    assert task["id"] == task_id  # an extra field never overrides a core one


def test_respond_returns_202_with_no_body(http: Http) -> None:
    task_id = http.create()
    r = http.send(task_id, {"type": "user_message", "content": "And the staging stack?"})
    assert r.status_code == 202 and r.content == b""
    assert http.emu.agent_done(task_id)
    assert http.bodies(task_id)[-1]["type"] == "assistant_message"


def test_list_tasks_newest_first(http: Http) -> None:
    ids = [http.create(f"question {i}") for i in range(3)]
    r = http.get("tasks")
    assert r.status_code == 200
    data = r.json()
    assert [t["id"] for t in data["tasks"]] == ids[::-1]
    assert not data.get("continuationToken")
    assert {"id", "name", "status", "createdAt"} <= set(data["tasks"][0])


def test_force_cancel_returns_204_and_idles_the_task(emu: NeoEmulator, http: Http) -> None:
    emu.pace = 0.2
    task_id = http.create(CHANGE, wait=False)
    assert http.task(task_id)["status"] == "running"
    r = http.post(f"tasks/{task_id}/cancel", json={"force": True})
    assert r.status_code == 204 and r.content == b""
    assert emu.agent_done(task_id, timeout=1)
    assert http.task(task_id)["status"] == "idle"
    count = len(http.events(task_id))
    emu.pace = 0.0
    # The turn is over for good: nothing more arrives.
    assert http.post(f"tasks/{task_id}/cancel").status_code == 204  # empty body is accepted
    assert len(http.events(task_id)) == count


def test_force_cancel_refuses_force_false(http: Http) -> None:
    task_id = http.create()
    message = error(http.post(f"tasks/{task_id}/cancel", json={"force": False}), 400)
    assert "force must be true" in message
    error(http.post(f"tasks/{task_id}/cancel", data=b"[1]"), 400)


def test_patch_shares_and_sets_modes(http: Http) -> None:
    task_id = http.create()
    r = http.patch(f"tasks/{task_id}", json={"isShared": True, "approvalMode": "auto"})
    assert r.status_code == 200
    task = r.json()
    assert task["isShared"] is True and task["sharedAt"] != "0001-01-01T00:00:00Z"
    assert task["approvalMode"] == "auto"
    assert http.task(task_id) == task
    renamed = http.patch(f"tasks/{task_id}", json={"name": "  Renamed  ", "planMode": None})
    assert renamed.json()["name"] == "Renamed" and renamed.json()["planMode"] is False
    unshared = http.patch(f"tasks/{task_id}", json={"isShared": False}).json()
    assert unshared["sharedAt"] == "0001-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "body",
    [{"isShared": "yes"}, {"approvalMode": "sometimes"}, {"name": ""}, {"name": "x" * 256}],
)
def test_patch_rejects_bad_values(http: Http, body: dict[str, object]) -> None:
    task_id = http.create()
    error(http.patch(f"tasks/{task_id}", json=body), 400)


@pytest.mark.parametrize(
    "header", [None, "", "token", "token ", "Bearer x", "token wrong", "pul-123"]
)
def test_missing_or_invalid_token_is_401(emu: NeoEmulator, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    with requests.Session() as s:
        for method, path in [("GET", "tasks"), ("POST", "tasks"), ("GET", "tasks/x/events")]:
            r = s.request(
                method,
                f"{emu.url}/api/preview/agents/acme/{path}",
                headers=headers,
                json={},
                timeout=10,
            )
            error(r, 401)


def test_readonly_token_reads_but_cannot_write(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    reader = Http(emu, token=emu.readonly_token)
    try:
        assert reader.task(task_id)["id"] == task_id
        assert len(reader.events(task_id)) == len(http.events(task_id))
        writes = [
            reader.post("tasks", json={"message": {"type": "user_message", "content": "x"}}),
            reader.send(task_id, {"type": "user_message", "content": "x"}),
            reader.patch(f"tasks/{task_id}", json={"isShared": True}),
            reader.post(f"tasks/{task_id}/cancel", json={"force": True}),
        ]
        for r in writes:
            assert "permission" in error(r, 403)
    finally:
        reader.close()
    assert len(emu.posted) == 1


def test_unknown_org_is_404(emu: NeoEmulator, http: Http) -> None:
    r = http.get(f"{emu.url}/api/preview/agents/globex/tasks")
    assert "globex" in error(r, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "tasks/nope"),
        ("POST", "tasks/nope"),
        ("PATCH", "tasks/nope"),
        ("GET", "tasks/nope/events"),
        ("GET", "tasks/nope/events/stream"),
        ("POST", "tasks/nope/cancel"),
    ],
)
def test_unknown_task_is_404(http: Http, method: str, path: str) -> None:
    event = {"event": {"type": "user_message", "content": "hi"}}
    r = http.request(method, path, json=event if method == "POST" else {"isShared": True})
    assert "task" in error(r, 404)


def test_unknown_routes_and_methods(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    error(http.get(f"{emu.url}/api/other"), 404)
    error(http.get("nothing-here"), 404)
    error(http.get(f"tasks/{task_id}/events/stream/more"), 404)
    r = http.request("DELETE", f"tasks/{task_id}")
    assert "DELETE" in error(r, 405)
    assert r.headers["Allow"] == "GET, POST, PATCH"
    assert error(http.request("PUT", "tasks"), 405)
    error(http.get(f"tasks/{task_id}/cancel"), 405)


def test_409_while_running_but_cancel_is_accepted(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create(CHANGE)
    emu.set_status(task_id, "running")
    before = list(emu.posted)
    r = http.send(task_id, {"type": "user_message", "content": "hello?"})
    assert r.json() == {"code": 409, "message": "cannot respond while a request is still ongoing"}
    assert r.status_code == 409
    error(http.confirm(task_id, "req_whatever"), 409)
    assert emu.posted == before
    assert http.send(task_id, {"type": "user_cancel"}).status_code == 202
    assert http.task(task_id)["status"] == "idle"
    assert emu.posted[-1].event == {"type": "user_cancel"}


def test_responses_carry_a_request_id(http: Http) -> None:
    first = http.get("tasks").headers["X-Pulumi-Request-ID"]
    second = http.get("tasks").headers["X-Pulumi-Request-ID"]
    assert first != second and first.startswith("neo-emulator-")


def test_trailing_slash_and_encoded_org_are_understood(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    r = http.get(f"{emu.url}/api/preview/agents/%61cme/tasks/{task_id}/")
    assert r.status_code == 200 and r.json()["id"] == task_id
