"""The live event stream: SSE framing, resuming, and the panel preferring it to polling."""

from __future__ import annotations

import time

import pytest

from neo_notebook import NeoClient, NotFoundError
from neo_notebook._stream import iter_sse
from neo_notebook.emulator import NeoEmulator


@pytest.mark.parametrize(
    ("lines", "frames"),
    [
        (
            [": heartbeat", 'data: {"type":"agentResponse"}', ""],
            [(None, '{"type":"agentResponse"}')],
        ),
        (["id: 42", "data: a", ""], [("42", "a")]),
        (["id: 1\r", "data: x\r", "\r"], [("1", "x")]),  # CRLF line ends
        (["data: a", "data: b", ""], [(None, "a\nb")]),  # multi-line data
        (["data:no-space", ""], [(None, "no-space")]),
        (["id: 9", ""], []),  # a frame without data is not an event
        (["event: message", "data: z", "retry: 10", ""], [(None, "z")]),
        ([b"id: 3", b"data: bytes", b""], [("3", "bytes")]),
        (["data: unterminated"], [(None, "unterminated")]),
    ],
)
def test_sse_framing(lines: list[str], frames: list[tuple[str | None, str]]) -> None:
    assert list(iter_sse(lines)) == frames


def test_stream_replays_then_follows_and_resumes(client: NeoClient, emulator: NeoEmulator) -> None:
    emulator.pace = 0.02
    task = client.create_task("What is in my stack?")
    streamed = [e.id for e in client.stream(task.id)]  # until the turn ends and it closes
    stored = [e.id for e in client.events(task.id)]
    assert streamed == stored and len(stored) > 3
    resumed = [e.id for e in client.stream(task.id, last_event_id=stored[2])]
    assert resumed == stored[3:]


def test_stream_text_is_utf8(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task("What is in my stack?")
    emulator.agent_done(task.id)
    text = "t3.large → t3.medium, café, 東京, 🚀"
    emulator.inject_event(
        task.id,
        {"type": "agentResponse", "eventBody": {"type": "assistant_message", "content": text}},
    )
    streamed = [e.content for e in client.stream(task.id)]
    assert streamed[-1] == text
    assert streamed == [e.content for e in client.events(task.id)]


def test_tail_and_stream_never_repeat_an_event(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task("What is in my stack?")
    emulator.agent_done(task.id)
    tail = client.tail(task.id)
    first = tail.poll()
    assert list(tail.follow()) == []  # everything was seen by the poll
    client.send_message(task.id, "And the cost?")
    followed = list(tail.follow())
    assert followed and tail.poll() == []
    assert tail.count == len(first) + len(followed) == len(list(client.events(task.id)))


def test_no_stream_is_a_not_found(client: NeoClient) -> None:
    with pytest.raises(NotFoundError):
        client.stream("task_missing")


def test_the_panel_follows_the_stream(client: NeoClient, emulator: NeoEmulator) -> None:
    emulator.pace = 0.05
    chat = client.chat()
    chat.poll_interval = 5.0  # polling this slowly could not finish the turn in time
    sent: list[dict[str, object]] = []
    chat.send = sent.append  # type: ignore[method-assign]
    try:
        chat.send_message("What is in my stack?")
        for _ in range(60):
            if chat.status == "idle":
                break
            time.sleep(0.1)
        assert chat.status == "idle" and chat.session is not None and chat.session.streams is True
        seqs = [i["seq"] for m in sent if m["type"] == "events" for i in m["events"]]  # type: ignore[union-attr]
        assert seqs == list(range(chat.event_count))
    finally:
        chat.close()
