"""Bad input gets a 400 (or 413) with a useful message, never a 500 or a dead thread."""

from __future__ import annotations

import json
import random
import socket
from typing import Any

import pytest

from neo_notebook.emulator import NeoEmulator

from .conftest import Http

MSG = {"type": "user_message", "content": "hi"}
STACK = {"type": "stack", "name": "dev", "project": "app"}

BAD_CREATE: list[tuple[Any, str]] = [
    ({}, "prompt is required"),
    ({"message": "hi"}, "must be a JSON object"),
    ({"message": {"type": "user_confirmation", "approval_request_id": "r"}}, "user_message"),
    ({"message": {"type": "user_message"}}, "content is required"),
    ({"message": {"type": "user_message", "content": 5}}, "content is required"),
    ({"message": {"type": "user_message", "content": "   "}}, "must not be empty"),
    ({"message": {**MSG, "timestamp": 17}}, "timestamp"),
    ({"message": {**MSG, "entity_diff": []}}, "entity_diff"),
    ({"message": {**MSG, "entity_diff": {"add": {}}}}, "add must be a list"),
    ({"message": {**MSG, "entity_diff": {"add": ["app/dev"]}}}, "invalid entities"),
    ({"message": {**MSG, "entity_diff": {"add": [{"type": "stack", "name": "dev"}]}}}, "project"),
    ({"message": {**MSG, "entity_diff": {"add": [{"type": "galaxy"}]}}}, "type must be one of"),
    (
        {
            "message": {
                **MSG,
                "entity_diff": {
                    "add": [{"type": "repository", "name": "r", "org": "o", "forge": "sourceforge"}]
                },
            }
        },
        "forge",
    ),
    (
        {
            "message": {
                **MSG,
                "entity_diff": {
                    "add": [
                        {
                            "type": "pull_request",
                            "number": 1,
                            "merged": False,
                            "repository": {"name": "r", "org": "o"},
                        }
                    ]
                },
            }
        },
        "pull_request",
    ),
    (
        {"message": {**MSG, "entity_diff": {"remove": [{"type": "pull_request", "number": 1}]}}},
        "pull_request",
    ),
    ({"message": MSG, "approvalMode": "yolo"}, "approvalMode"),
    ({"message": MSG, "planMode": "yes"}, "planMode"),
]


@pytest.mark.parametrize(("body", "says"), BAD_CREATE)
def test_bad_create_bodies_are_400(emu: NeoEmulator, http: Http, body: Any, says: str) -> None:
    r = http.post("tasks", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == 400
    assert says in r.json()["message"]
    assert emu.task_ids == [] and emu.posted == []


BAD_EVENTS: list[tuple[Any, str]] = [
    ({}, "event field is required"),
    ({"event": None}, "event field is required"),
    ({"event": []}, "must be a JSON object"),
    ({"event": {"content": "no type"}}, "type must be one of"),
    ({"event": {"type": "tool_result", "tool_results": []}}, "type must be one of"),
    ({"event": {"type": "assistant_message", "content": "I am Neo"}}, "type must be one of"),
    ({"event": {"type": "user_message", "content": ""}}, "must not be empty"),
    ({"event": {"type": "user_confirmation"}}, "approval_request_id is required"),
    ({"event": {"type": "user_confirmation", "approval_request_id": 7}}, "approval_request_id"),
    ({"event": {"type": "user_confirmation", "approval_request_id": "r", "ok": "yes"}}, "ok"),
    (
        {"event": {"type": "user_confirmation", "approval_request_id": "r", "instructions": 3}},
        "instructions",
    ),
    ({"event": {"type": "user_confirmation", "approval_request_id": "req_x"}}, "unknown"),
    ({"event": {"type": "user_cancel", "entity_diff": {"add": [{"type": "stack"}]}}}, "invalid"),
]


@pytest.mark.parametrize(("body", "says"), BAD_EVENTS)
def test_bad_events_are_400(emu: NeoEmulator, http: Http, body: Any, says: str) -> None:
    task_id = http.create()
    before = http.events(task_id)
    r = http.post(f"tasks/{task_id}", json=body)
    assert r.status_code == 400, r.text
    assert says in r.json()["message"]
    assert http.events(task_id) == before
    assert len(emu.posted) == 1


@pytest.mark.parametrize(
    "raw", [b"", b"   ", b"not json", b"[1, 2]", b'"text"', b"42", b"null", b"\xff\xfe", b"{"]
)
def test_non_json_or_non_object_bodies_are_400(http: Http, raw: bytes) -> None:
    task_id = http.create()
    for path in ("tasks", f"tasks/{task_id}", f"tasks/{task_id}"):
        r = http.post(path, data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (path, raw, r.text)
        assert r.json()["code"] == 400
    r = http.patch(f"tasks/{task_id}", data=raw)
    assert r.status_code == 400


def test_deeply_nested_json_is_400(http: Http) -> None:
    r = http.post("tasks", data=b"[" * 100_000 + b"]" * 100_000)
    assert r.status_code == 400


def test_body_over_one_mebibyte_is_413(emu: NeoEmulator, http: Http) -> None:
    content = "x" * (1 << 20)
    r = http.post("tasks", json={"message": {"type": "user_message", "content": content}})
    assert r.status_code == 413
    assert "1 MiB" in r.json()["message"]
    assert emu.task_ids == []
    assert http.get("tasks").status_code == 200  # the server is fine afterwards


def _exchange(emu: NeoEmulator, request: bytes) -> bytes:
    """Send raw bytes; returns everything the server answers before closing."""
    host, port = emu.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_bad_content_length_is_refused_cleanly(emu: NeoEmulator) -> None:
    for length in (b"abc", b"-5"):
        reply = _exchange(
            emu,
            b"POST /api/preview/agents/acme/tasks HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: token " + emu.token.encode() + b"\r\n"
            b"Content-Length: " + length + b"\r\n\r\n{}",
        )
        assert reply.startswith(b"HTTP/1.1 400"), reply
        assert b"Content-Length" in reply


def test_garbage_request_line_gets_a_json_error(emu: NeoEmulator) -> None:
    reply = _exchange(emu, b"NONSENSE\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["code"] == 400


def test_entity_diff_adds_and_removes_entities(http: Http) -> None:
    repo = {"type": "repository", "name": "infra", "org": "acme", "forge": "github"}
    task_id = http.create(message={"entity_diff": {"add": [STACK, repo, STACK], "remove": []}})
    assert http.task(task_id)["entities"] == [STACK, repo]
    r = http.send(
        task_id,
        {
            "type": "user_message",
            "content": "drop the repo",
            "entity_diff": {"remove": [repo], "add": [{"type": "policy_issue", "id": "pi-1"}]},
        },
    )
    assert r.status_code == 202
    assert http.emu.agent_done(task_id)
    assert http.task(task_id)["entities"] == [STACK, {"type": "policy_issue", "id": "pi-1"}]


def _junk(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 3 else 5)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False, 0, -1, 1.5, 10**30])
    if pick == 2:
        return rng.choice(
            [
                "",
                "user_message",
                "user_confirmation",
                "user_cancel",
                "stack",
                "pull_request",
                "\u0000",
                "req_x",
                "é" * 20,
            ]
        )
    if pick in (3, 4):
        return rng.choice(["x", " ", "2025-01-15T10:30:00Z"])
    if pick in (5, 6):
        keys = [
            "type",
            "content",
            "event",
            "message",
            "entity_diff",
            "add",
            "remove",
            "ok",
            "approval_request_id",
            "instructions",
            "name",
            "project",
            "org",
            "force",
            "isShared",
            "approvalMode",
            "timestamp",
            "number",
            "repository",
        ]
        return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]


def test_a_loop_of_junk_never_gets_a_500(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    rng = random.Random(1234)
    statuses: set[int] = set()
    for i in range(400):
        body = _junk(rng)
        if i % 3 == 0:
            body = {"event": body}
        elif i % 3 == 1:
            body = {"message": body}
        path = rng.choice(["tasks", f"tasks/{task_id}", f"tasks/{task_id}/cancel"])
        method = rng.choice(["POST", "POST", "PATCH"])
        r = http.request(method, path, json=body)
        statuses.add(r.status_code)
        assert r.status_code < 500, (method, path, body, r.text)
        if r.status_code >= 400:
            assert r.json()["code"] == r.status_code
        emu.agent_done(task_id)
        for other in emu.task_ids:
            emu.agent_done(other)
    assert 400 in statuses
    assert http.get("tasks").status_code == 200
