"""Driving NeoChat without a browser: record what the kernel sends to the views, answer as
a view would, and wait for what happens on the chat's threads."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from neo_notebook import NeoChat


class Views:
    """What the kernel sends to the front-end, recorded; a view replays it like js/src/store.ts."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.messages.append(json.loads(json.dumps(message)))  # must be JSON-able

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["type"] == kind]

    def seqs(self) -> list[int]:
        """Every sequence number sent, in order."""
        return [item["seq"] for m in self.of_type("events") for item in m["events"]]

    def ack(self, request_id: str, timeout: float = 30) -> dict[str, Any]:
        def answered() -> dict[str, Any] | None:
            acks = [m for m in self.of_type("ack") if m["request_id"] == request_id]
            return next((m for m in acks if m["ok"] is not None), None)

        result: dict[str, Any] = wait_for(answered, timeout)
        return result

    def replay(self, start: int = 0) -> list[str]:
        """The event ids a view holds after reading the messages from ``start`` on: a reset
        replaces what it holds, a live item must carry the next sequence number."""
        held: list[dict[str, Any]] = []
        with self.lock:
            messages = self.messages[start:]
        for message in messages:
            if message["type"] != "events":
                continue
            if message["reset"]:
                held = list(message["events"])
                continue
            for item in message["events"]:
                assert item["seq"] <= len(held), f"a view missed events before seq {item['seq']}"
                if item["seq"] == len(held):
                    held.append(item)
                else:  # resent after a sync: must be the very same event
                    assert held[item["seq"]]["id"] == item["id"]
        assert [item["seq"] for item in held] == list(range(len(held)))
        return [item["id"] for item in held]


def wait_for(probe: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {probe}")


def front_end(chat: NeoChat, message: dict[str, Any]) -> None:
    chat._on_front_end_message(chat, message, [])


def close(chat: NeoChat) -> None:
    """Close a panel and wait for its poller to finish the request it may be making, so no
    request is still in flight when the emulator stops."""
    chat.close()
    if chat.session is not None:
        chat.session.stop(join=30)
