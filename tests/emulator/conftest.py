"""Fixtures for the emulator's own tests: a fresh emulator and a plain `requests` helper.

The helper is deliberately not neo_notebook's client: these tests pin the wire behaviour the
client is built against, so they speak HTTP directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from neo_notebook.emulator import NeoEmulator

QUESTION = "What is running in my stack?"
CHANGE = "Please optimize the instance sizes and open a pull request"
TIMEOUT = 10


class Http:
    """`requests` against one emulator, with its auth header and a timeout on every call."""

    def __init__(self, emu: NeoEmulator, token: str | None = None) -> None:
        self.emu = emu
        self.base = f"{emu.url}/api/preview/agents/{emu.org}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token or emu.token}"

    def close(self) -> None:
        self.session.close()

    def emu_user(self) -> dict[str, Any]:
        """Who the emulator's token belongs to: the `actor` of the user's input."""
        from neo_notebook.emulator._emulator import USER

        return dict(USER)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        url = path if path.startswith("http") else f"{self.base}/{path.lstrip('/')}"
        return self.session.request(method, url, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def create(self, content: str = QUESTION, *, wait: bool = True, **fields: Any) -> str:
        """Create a task; waits for its first turn unless `wait` is false."""
        message = {
            "type": "user_message",
            "content": content,
            "timestamp": "2025-01-15T10:30:00Z",
            **fields.pop("message", {}),
        }
        r = self.post("tasks", json={"message": message, **fields})
        assert r.status_code == 201, r.text
        task_id: str = r.json()["taskId"]
        if wait:
            assert self.emu.agent_done(task_id)
        return task_id

    def send(self, task_id: str, event: dict[str, Any]) -> requests.Response:
        return self.post(f"tasks/{task_id}", json={"event": event})

    def message(self, task_id: str, content: str, *, wait: bool = True) -> None:
        r = self.send(task_id, {"type": "user_message", "content": content})
        assert r.status_code == 202, r.text
        if wait:
            assert self.emu.agent_done(task_id)

    def confirm(self, task_id: str, approval_id: str, **fields: Any) -> requests.Response:
        event = {"type": "user_confirmation", "approval_request_id": approval_id, **fields}
        return self.send(task_id, event)

    def task(self, task_id: str) -> dict[str, Any]:
        r = self.get(f"tasks/{task_id}")
        assert r.status_code == 200, r.text
        task: dict[str, Any] = r.json()
        return task

    def events(self, task_id: str, page_size: int = 1000) -> list[dict[str, Any]]:
        """Every event of the task, following continuation tokens."""
        events: list[dict[str, Any]] = []
        token = None
        while True:
            params: dict[str, Any] = {"pageSize": page_size}
            if token:
                params["continuationToken"] = token
            r = self.get(f"tasks/{task_id}/events", params=params)
            assert r.status_code == 200, r.text
            data = r.json()
            events.extend(data["events"])
            token = data.get("continuationToken")
            if not token:
                return events

    def bodies(self, task_id: str) -> list[dict[str, Any]]:
        return [e["eventBody"] for e in self.events(task_id)]


def pending_approval_id(bodies: list[dict[str, Any]]) -> str:
    """The id of the newest approval request, in either shape."""
    for body in reversed(bodies):
        if body["type"] == "user_approval_request":
            approval_id: str = body["id"]
            return approval_id
        for call in body.get("tool_calls", []):
            if call.get("function", {}).get("name") == "approval_request":
                approval_id = json.loads(call["function"]["arguments"])["approval_request_id"]
                return approval_id
    raise AssertionError("no approval request")


@pytest.fixture
def emu() -> Iterator[NeoEmulator]:
    with NeoEmulator(org="acme", seed=0) as emulator:
        yield emulator


@pytest.fixture
def http(emu: NeoEmulator) -> Iterator[Http]:
    client = Http(emu)
    yield client
    client.close()


@pytest.fixture
def current() -> Iterator[NeoEmulator]:
    with NeoEmulator(org="acme", seed=0, api="current") as emulator:
        yield emulator


@pytest.fixture
def chttp(current: NeoEmulator) -> Iterator[Http]:
    client = Http(current)
    yield client
    client.close()
