"""`api="current"`: task fields, create and PATCH settings, `null` as "not given", list filters."""

from __future__ import annotations

from typing import Any

import pytest

from neo_notebook.emulator import NeoEmulator

from .conftest import CHANGE, QUESTION, Http

AGENT_TASK_FIELDS = {
    "id",
    "name",
    "status",
    "createdAt",
    "entities",
    "isShared",
    "sharedAt",
    "createdBy",
    "approvalMode",
    "planMode",
    "taskType",
    "asyncTriggerType",
    "permissionMode",
    "role",
    "roleName",
    "runtimePhase",
    "lastHeartbeat",
    "contextUsedTokens",
    "contextWindowTokens",
    "contextCompactionThresholdPercent",
    "tokensUsed",
    "toolExecutionMode",
    "source",
    "sourceAutomationID",
    "agentDefinitionId",
    "pendingInputCount",
    "vcsProvider",
}
SDK_CREATE = {
    # What pulumi-cloud-sdk sends for a create request with only a message set.
    "message": {
        "timestamp": "2026-01-01T00:00:00+00:00",
        "entity_diff": None,
        "pageContext": None,
        "content": QUESTION,
        "commands": None,
        "type": "user_message",
    },
    "approvalMode": None,
    "planMode": False,
    "permissionMode": None,
    "role": None,
    "agentDefinitionId": None,
    "toolExecutionMode": None,
    "enabledIntegrations": None,
    "source": None,
    "cliIntegrations": None,
}


def test_a_task_carries_every_agent_task_field(current: NeoEmulator, chttp: Http) -> None:
    current.pace = 0.05
    task_id = chttp.create(QUESTION, wait=False)
    running = chttp.task(task_id)
    assert set(running) == AGENT_TASK_FIELDS
    assert running["runtimePhase"] in ("booting", "running")
    assert current.agent_done(task_id)
    task = chttp.task(task_id)
    assert task["taskType"] == "sync" and task["asyncTriggerType"] is None
    assert task["runtimePhase"] == "ready" and task["lastHeartbeat"].endswith("Z")
    assert task["contextWindowTokens"] == 200_000
    assert task["contextCompactionThresholdPercent"] == 80
    assert task["toolExecutionMode"] == "cloud" and task["source"] == "api"
    assert task["pendingInputCount"] == 0 and task["vcsProvider"] == "github"
    assert task["role"] is None and task["roleName"] is None


def test_the_sdks_create_body_with_nulls_is_accepted(current: NeoEmulator, chttp: Http) -> None:
    r = chttp.post("tasks", json=SDK_CREATE)
    assert r.status_code == 201, r.text
    task_id = r.json()["taskId"]
    assert current.agent_done(task_id)
    task = chttp.task(task_id)
    assert task["approvalMode"] == "manual" and task["permissionMode"] == "default"
    assert task["source"] == "api" and "enabledIntegrations" not in task
    user_message = chttp.bodies(task_id)[0]
    assert "entity_diff" not in user_message and "commands" not in user_message


def test_null_is_not_given_in_respond_patch_cancel_and_entities(
    current: NeoEmulator, chttp: Http
) -> None:
    stack = {"type": "stack", "name": "prod", "project": "web", "extra": None}
    repo = {"type": "repository", "name": "web", "org": "acme", "forge": None, "host": None}
    task_id = chttp.create(CHANGE, message={"entity_diff": {"add": [stack, repo], "remove": None}})
    assert {"type": "repository", "name": "web", "org": "acme"} in chttp.task(task_id)["entities"]
    request = chttp.bodies(task_id)[-3]
    confirmation = {
        "type": "user_confirmation",
        "approval_request_id": request["id"],
        "ok": True,
        "instructions": None,
        "entity_diff": None,
        "pageContext": None,
    }
    assert chttp.send(task_id, confirmation).status_code == 202
    assert current.agent_done(task_id)
    patch = {"name": "Renamed", "isShared": None, "approvalMode": None, "role": None}
    r = chttp.patch(f"tasks/{task_id}", json=patch)
    assert r.status_code == 200 and r.json()["approvalMode"] == "manual"
    assert r.json()["name"] == "Renamed" and r.json()["isShared"] is False
    assert chttp.post(f"tasks/{task_id}/cancel", json={"force": None}).status_code == 204


def test_create_settings_are_reflected(chttp: Http) -> None:
    task_id = chttp.create(
        QUESTION,
        role="role-deployer",
        agentDefinitionId="agentdef-cost-reviewer",
        source="slack",
        enabledIntegrations=[],
        cliIntegrations=[{"catalogId": "AWS", "name": "aws-prod"}],
        permissionMode="read-only",
    )
    task = chttp.task(task_id)
    assert task["role"] == "role-deployer" and task["roleName"] == "Deployer"
    assert task["agentDefinitionId"] == "agentdef-cost-reviewer"
    assert task["source"] == "slack" and task["permissionMode"] == "read-only"
    assert task["enabledIntegrations"] == []
    assert task["cliIntegrations"] == [{"catalogId": "AWS", "name": "aws-prod"}]
    r = chttp.patch(f"tasks/{task_id}", json={"role": "role-infra-reader"})
    assert r.status_code == 200 and r.json()["roleName"] == "Infrastructure Reader"


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"toolExecutionMode": "laptop"}, 400, "toolExecutionMode must be one of cloud, cli"),
        ({"source": "email"}, 400, "source must be one of api, console"),
        ({"role": "role-root"}, 403, "you do not hold role 'role-root'"),
        ({"enabledIntegrations": [{"name": "x"}]}, 400, "enabledIntegrations[0].id is required"),
        ({"enabledIntegrations": {"id": "x"}}, 400, "enabledIntegrations must be a list"),
        ({"cliIntegrations": [{"catalogId": "nomad", "name": "n"}]}, 400, "not connected"),
        ({"cliIntegrations": [{"catalogId": "aws"}]}, 400, "cliIntegrations[0].name"),
        ({"agentDefinitionId": 7}, 400, "agentDefinitionId must be a string"),
    ],
)
def test_bad_create_settings(chttp: Http, fields: dict[str, Any], status: int, says: str) -> None:
    message = {"type": "user_message", "content": QUESTION}
    r = chttp.post("tasks", json={"message": message, **fields})
    assert r.status_code == status and says in r.json()["message"], r.text


def test_patch_refuses_a_role_the_user_lacks(chttp: Http) -> None:
    task_id = chttp.create()
    r = chttp.patch(f"tasks/{task_id}", json={"role": "role-root"})
    assert r.status_code == 403


# -- listing ----------------------------------------------------------------------------------


@pytest.fixture
def listed() -> Any:
    with NeoEmulator(org="acme", seed=4, api="current", history=40) as emulator:
        yield emulator


def names(http: Http, **params: Any) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    token = None
    while True:
        query = {"pageSize": 7, **params}
        if token:
            query["continuationToken"] = token
        r = http.get("tasks", params=query)
        assert r.status_code == 200, r.text
        tasks += r.json()["tasks"]
        token = r.json().get("continuationToken")
        if not token:
            return tasks


def test_list_filters_and_sorting(listed: NeoEmulator) -> None:
    http = Http(listed)
    every = names(http)
    assert len(every) == 40
    last = [t["lastHeartbeat"] for t in every]
    assert last == sorted(last, reverse=True)  # the default order: latest event first
    by_tokens = names(http, sortBy="tokensUsed", sortDirection="asc")
    assert [t["tokensUsed"] for t in by_tokens] == sorted(t["tokensUsed"] for t in every)
    by_name = names(http, sortBy="name")
    assert [t["name"].casefold() for t in by_name] == sorted(
        (t["name"].casefold() for t in every), reverse=True
    )
    created = names(http, sortBy="created", sortDirection="asc")
    assert [t["createdAt"] for t in created] == sorted(t["createdAt"] for t in every)
    asyncs = names(http, taskType="async")
    assert asyncs and all(t["taskType"] == "async" for t in asyncs)
    assert len(asyncs) + len(names(http, taskType="sync")) == 40
    kept = names(http, excludeSources=["schedule", "github"])
    assert kept and all(t["source"] not in ("schedule", "github") for t in kept)
    assert len(kept) == sum(t["source"] not in ("schedule", "github") for t in every)
    word = every[0]["name"].split()[0]
    found = names(http, query=word.upper())
    assert found and all(word.casefold() in t["name"].casefold() for t in found)
    assert names(http, status="running") == []
    http.close()


def test_list_by_policy_issue_and_agent_definition(current: NeoEmulator, chttp: Http) -> None:
    issue = {"type": "policy_issue", "id": "pi-123", "name": "Public bucket"}
    with_issue = chttp.create(QUESTION, message={"entity_diff": {"add": [issue]}})
    custom = chttp.create(QUESTION, agentDefinitionId="agentdef-1")
    chttp.create(QUESTION)
    assert [t["id"] for t in names(chttp, policyIssueId="pi-123")] == [with_issue]
    assert [t["id"] for t in names(chttp, agentDefinitionId="agentdef-1")] == [custom]
    running_first = names(chttp, sortBy="status", sortDirection="asc")
    assert len(running_first) == 3


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("sortBy", "size"),
        ("sortDirection", "up"),
        ("status", "done"),
        ("taskType", "batch"),
        ("excludeSources", "email"),
    ],
)
def test_bad_list_parameters_name_the_choices(chttp: Http, param: str, value: str) -> None:
    r = chttp.get("tasks", params={param: value})
    message = r.json()["message"]
    assert r.status_code == 400 and ("one of" in message or "among" in message)
    assert value in message


def test_a_continuation_token_is_bound_to_its_filters(listed: NeoEmulator) -> None:
    http = Http(listed)
    r = http.get("tasks", params={"pageSize": 5, "sortBy": "name"})
    token = r.json()["continuationToken"]
    same = http.get("tasks", params={"pageSize": 9, "sortBy": "name", "continuationToken": token})
    assert same.status_code == 200
    other = http.get("tasks", params={"sortBy": "created", "continuationToken": token})
    assert other.status_code == 400
    http.close()
