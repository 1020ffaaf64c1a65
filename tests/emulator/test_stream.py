"""The server-sent-events stream: framing, replay, Last-Event-ID resume, heartbeats, closing."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests

from neo_notebook.emulator import NeoEmulator

from .conftest import CHANGE, QUESTION, Http

Frame = tuple[str | None, dict[str, Any] | None, list[str]]
"""(id, data parsed as JSON, comment lines) of one frame."""


def read_frames(r: requests.Response) -> Iterator[Frame]:
    event_id: str | None = None
    data: list[str] = []
    comments: list[str] = []
    for raw in r.iter_lines(chunk_size=None):
        line = raw.decode()
        if line == "":
            yield event_id, json.loads("\n".join(data)) if data else None, comments
            event_id, data, comments = None, [], []
        elif line.startswith(":"):
            comments.append(line)
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])
        else:
            raise AssertionError(f"unexpected line {line!r}")


def stream(http: Http, task_id: str, **headers: str) -> requests.Response:
    r = http.get(
        f"tasks/{task_id}/events/stream",
        stream=True,
        headers={"Accept": "text/event-stream", **headers},
    )
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/event-stream"
    return r


def test_an_idle_task_replays_every_event_then_closes(http: Http) -> None:
    task_id = http.create(CHANGE)
    listed = http.events(task_id)
    started = time.monotonic()
    with stream(http, task_id) as r:
        frames = [f for f in read_frames(r) if f[1] is not None]
    assert time.monotonic() - started < 2
    assert [f[0] for f in frames] == [e["id"] for e in listed]
    assert [f[1] for f in frames] == listed


def test_last_event_id_resumes_after_that_event(http: Http) -> None:
    task_id = http.create(QUESTION)
    listed = http.events(task_id)
    with stream(http, task_id, **{"Last-Event-ID": listed[2]["id"]}) as r:
        ids = [f[0] for f in read_frames(r) if f[1] is not None]
    assert ids == [e["id"] for e in listed[3:]]
    with stream(http, task_id, **{"Last-Event-ID": listed[-1]["id"]}) as r:
        assert [f for f in read_frames(r) if f[1] is not None] == []
    with stream(http, task_id, **{"Last-Event-ID": "not-an-event"}) as r:
        assert len([f for f in read_frames(r) if f[1] is not None]) == len(listed)


def test_a_running_turn_streams_live_and_closes_when_idle(emu: NeoEmulator, http: Http) -> None:
    emu.pace = 0.05
    task_id = http.create(QUESTION, wait=False)
    arrivals: list[float] = []
    with stream(http, task_id) as r:
        ids = []
        for event_id, data, _ in read_frames(r):
            if data is not None:
                ids.append(event_id)
                arrivals.append(time.monotonic())
    assert http.task(task_id)["status"] == "idle"
    assert ids == [e["id"] for e in http.events(task_id)]
    assert arrivals[-1] - arrivals[1] > 0.15  # they came one by one, not in one batch


def test_heartbeats_while_nothing_happens() -> None:
    with NeoEmulator(heartbeat=0.1) as emu:
        http = Http(emu)
        try:
            task_id = http.create(QUESTION)
            count = len(http.events(task_id))
            emu.set_status(task_id, "running")
            threading.Timer(0.6, emu.set_status, (task_id, "idle")).start()
            with stream(http, task_id) as r:
                frames = list(read_frames(r))
        finally:
            http.close()
    heartbeats = [f for f in frames if f[2] == [": heartbeat"]]
    assert 2 <= len(heartbeats) <= 8
    assert len([f for f in frames if f[1] is not None]) == count


def test_the_stream_is_bounded_in_time() -> None:
    with NeoEmulator(heartbeat=0.1, stream_timeout=0.4) as emu:
        http = Http(emu)
        try:
            task_id = http.create(QUESTION)
            emu.set_status(task_id, "running")
            started = time.monotonic()
            with stream(http, task_id) as r:
                list(read_frames(r))
            assert 0.3 < time.monotonic() - started < 2
        finally:
            http.close()


def test_raw_framing_is_chunked_sse(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create(QUESTION)
    first = http.events(task_id)[0]
    host, port = emu.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(
            f"GET /api/preview/agents/acme/tasks/{task_id}/events/stream HTTP/1.1\r\n"
            f"Host: x\r\nAuthorization: token {emu.token}\r\n\r\n".encode()
        )
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Cache-Control: no-cache" in head
    _, _, rest = body.partition(b"\r\n")
    expected = f"id: {first['id']}\ndata: ".encode()
    assert rest.startswith(expected)
    assert json.loads(rest[len(expected) :].split(b"\n", 1)[0]) == first
    assert body.endswith(b"\r\n0\r\n\r\n")


def test_stop_is_quick_with_a_stream_open() -> None:
    emu = NeoEmulator(heartbeat=0.1).start()
    http = Http(emu)
    task_id = http.create(QUESTION)
    emu.set_status(task_id, "running")
    seen: list[Frame] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with stream(http, task_id) as r:
                seen.extend(read_frames(r))
        except requests.RequestException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 1.5
    reader.join(timeout=5)
    http.close()
    assert not reader.is_alive()
    assert seen or errors
