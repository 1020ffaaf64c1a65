"""One reading of events: every kind of today's API, read once, means the same everywhere.

The kinds and fields are those of shared/neo-api-current.md (Pulumi's generated SDK). Each
test checks a meaning where it shows: the record, the folded state, the frames, the
transcript and what the chat panel is sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from neo_notebook import Event, EventLog, events_frame, tool_calls_frame
from neo_notebook._chat_items import event_item
from neo_notebook._events import FileDiff, TokenUsage, read_event
from neo_notebook._transcript import transcript_markdown

SECRET = "c2VjcmV0LWVuY3J5cHRlZC1wdWx1bWktdG9rZW4tdmFsdWU="
T0 = "2026-12-01T10:00:00Z"


def agent(event_id: str, body: dict[str, Any], **outer: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "agentResponse",
        "isSynthetic": False,
        "eventBody": {"timestamp": T0, **body},
        **outer,
    }


def user(event_id: str, body: dict[str, Any], **outer: Any) -> dict[str, Any]:
    return {"id": event_id, "type": "userInput", "eventBody": {"timestamp": T0, **body}, **outer}


def at(seconds: int) -> str:
    return f"2026-12-01T10:00:{seconds:02d}Z"


#: A CLI-mode tool run: Neo asks, starts it on the client, reports progress, the client starts
#: and reports it, Neo answers. Five events, one call id, one run.
CLI_RUN = [
    agent(
        "a1",
        {
            "type": "assistant_message",
            "content": "I'll run the preview on your machine.",
            "tool_calls": [
                {"id": "call_1", "name": "pulumi_preview", "args": {"stack": "dev"}},
            ],
            "token_usage": {
                "claude-sonnet": {
                    "input_tokens": 1000,
                    "output_tokens": 50,
                    "cache_creation_input_tokens": 10,
                    "cache_read_input_tokens": 900,
                },
                "claude-haiku": {"input_tokens": 5, "output_tokens": 1},
            },
        },
    ),
    agent(
        "a2",
        {
            "type": "exec_tool_call",
            "tool_call_id": "call_1",
            "name": "pulumi_preview",
            "execution_mode": "cli",
            "args": {"stack": "dev"},
            "timestamp": at(1),
        },
    ),
    agent(
        "a3",
        {
            "type": "exec_tool_call_progress",
            "tool_call_id": "call_1",
            "status": "running",
            "metadata": {"completed": 3, "total": 12},
            "timestamp": at(2),
        },
    ),
    user(
        "u1",
        {
            "type": "exec_tool_call",
            "tool_call_id": "call_1",
            "name": "pulumi_preview",
            "timestamp": at(3),
        },
    ),
    user(
        "u2",
        {
            "type": "tool_result",
            "tool_results": [
                {
                    "tool_call_id": "call_1",
                    "name": "pulumi_preview",
                    "content": "12 to update",
                    "is_error": False,
                    "workspace_reset": False,
                }
            ],
            "timestamp": at(7),
        },
    ),
    agent(
        "a4",
        {
            "type": "tool_response",
            "tool_call_id": "call_1",
            "name": "pulumi_preview",
            "content": "12 to update",
            "is_error": False,
            "timestamp": at(8),
        },
    ),
]


def test_a_tool_the_client_ran_is_one_run_everywhere() -> None:
    log = EventLog("t")
    changed = [log.add(Event.from_json(raw, "t")) for raw in CLI_RUN]
    (run,) = log.tool_runs
    assert run.call_id == "call_1" and run.runner == "client" and run.execution_mode == "cli"
    assert run.state == "done" and run.result == "12 to update" and run.is_error is False
    # It ended when the client reported its result (7), not when Neo read it (8).
    assert run.duration is not None and run.duration.total_seconds() == 6
    assert all(runs == [run] for runs in changed)  # every event of the call changes the one run
    frame = tool_calls_frame(CLI_RUN, task_id="t")
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row.runner, row.execution_mode, row.state, row.result) == (
        "client",
        "cli",
        "done",
        "12 to update",
    )
    assert row.duration.total_seconds() == 6 and not row.is_error
    # The panel gets the same run, with the same key, at every step; progress while it runs.
    log = EventLog("t")
    items = []
    for seq, raw in enumerate(CLI_RUN):
        event = Event.from_json(raw, "t")
        items.append(event_item(seq, event, log.add(event), log))
    tools = [p["tool"] for item in items for p in item["parts"] if p["view"] == "tool"]
    assert {t["key"] for t in tools} == {"call_1"}
    assert [t["state"] for t in tools] == [
        "requested",
        "running",
        "running",
        "running",
        "done",
        "done",
    ]
    assert tools[2]["progress"] == "running (3/12)" and tools[-1]["progress"] is None
    assert tools[-1]["runner"] == "client" and tools[-1]["duration_ms"] == 6000


@pytest.mark.parametrize(
    ("content", "is_error", "expected"),
    [
        ({"output": "boom", "exit_code": 1}, None, True),
        ({"output": "fine", "exit_code": 0}, None, False),
        ({"error": "no credentials"}, None, True),
        ("plain text", None, False),
        ({"output": "x", "exit_code": 1}, False, False),  # the flag, when given, decides
        ("failed", True, True),
    ],
)
def test_a_tool_error_means_the_same_in_the_frame_the_panel_and_the_record(
    content: Any, is_error: bool | None, expected: bool
) -> None:
    body: dict[str, Any] = {
        "type": "tool_response",
        "tool_call_id": "c",
        "name": "run",
        "content": content,
    }
    if is_error is not None:
        body["is_error"] = is_error
    raw = [agent("e1", body)]
    event = Event.from_json(raw[0])
    assert event.is_error is expected
    assert tool_calls_frame(raw).is_error.tolist() == [expected]
    log = EventLog()
    item = event_item(0, event, log.add(event), log)
    (tool,) = [p["tool"] for p in item["parts"]]
    assert tool["state"] == ("error" if expected else "done") and tool["is_error"] is expected


def test_token_usage_is_summed_over_models_and_kept_per_event() -> None:
    frame = events_frame(CLI_RUN, task_id="t")
    first = frame.iloc[0]
    assert (first.input_tokens, first.output_tokens) == (1005, 51)
    assert (first.cache_creation_tokens, first.cache_read_tokens) == (10, 900)
    assert first.models == "claude-sonnet,claude-haiku"
    assert frame.input_tokens.isna().tolist()[1:] == [True] * 5
    usage = Event.from_json(CLI_RUN[0]).usage
    assert usage is not None and usage.total == 1056


def test_events_read_by_the_client_carry_their_task(seeded_current: Any) -> None:
    emu, client = seeded_current
    first, second = emu.task_ids[:2]
    events = [*client.events(first), *client.events(second)]
    assert {e.task_id for e in events} == {first, second}
    frame = events_frame(events)
    assert set(frame.task_id) == {first, second} and frame.task_id.notna().all()
    # seq counts within each task, however the events were put together.
    for task_id, rows in frame.groupby("task_id", observed=True):
        assert rows.seq.tolist() == list(range(len(rows))), task_id


def test_the_access_token_handoff_never_shows() -> None:
    raw = agent(
        "e1",
        {"type": "provide_pulumi_access_token", "encrypted_pulumi_access_token": SECRET},
    )
    event = Event.from_json(raw)
    log = EventLog()
    item = event_item(0, event, log.add(event), log)
    shown = [
        repr(event),
        json.dumps(dict(event.body)),
        json.dumps(dict(event.raw)),
        events_frame([raw], raw=True).to_json(date_format="iso"),
        transcript_markdown([event]),
        json.dumps(item),
    ]
    assert all(SECRET not in text for text in shown)
    assert item["parts"] == []
    assert raw["eventBody"]["encrypted_pulumi_access_token"] == SECRET  # the input is not changed


def test_unknown_kinds_and_fields_stay_visible_as_data() -> None:
    raw = agent("e1", {"type": "neo_future_event", "detail": {"x": 1}}, newField="kept")
    event = Event.from_json(raw)
    frame = events_frame([raw], raw=True)
    assert frame.type.tolist() == ["neo_future_event"]
    assert json.loads(frame.raw.iloc[0])["newField"] == "kept"
    log = EventLog()
    (part,) = event_item(0, event, log.add(event), log)["parts"]
    assert part["view"] == "unknown" and json.loads(part["json"])["detail"] == {"x": 1}
    assert "neo_future_event" in transcript_markdown([event])


APPROVAL = agent(
    "r1",
    {
        "type": "user_approval_request",
        "id": "req_1",
        "message": "Open a pull request that right-sizes **web**?",
        "buttons": ["Ship it", "Not yet"],
        "source": "agent",
        "approval_type": "plan_exit",
        "sensitivity": "sensitive",
        "context": {
            "tool_call_id": "call_9",
            "tool_name": "create_pull_request",
            "plan_description": "1. Resize web\n2. Open a PR",
            "git_diff": {
                "infra/index.ts": "@@ -1,2 +1,2 @@\n-size: m5.4xlarge\n+size: m5.xlarge\n ok"
            },
            "last_approval_diff": {"infra/index.ts": "@@ -1 +1 @@\n-a\n+b"},
        },
    },
)


@pytest.mark.parametrize(
    ("patch", "added", "removed"),
    [
        ("--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n-a\n+b\n+c\n d\n", 2, 1),  # headers not counted
        ("+first line added\n-and one removed", 1, 1),  # no header, no final newline
        ("@@ -1 +1 @@\n--- a line of dashes removed\n-- two\n+++", 0, 1),
        ("", 0, 0),
    ],
)
def test_a_diff_counts_the_lines_it_adds_and_removes(patch: str, added: int, removed: int) -> None:
    (diff,) = FileDiff.all_from_json({"f.ts": patch})
    assert (diff.added, diff.removed) == (added, removed)


def test_an_approval_request_carries_what_a_reviewer_needs() -> None:
    event = Event.from_json(APPROVAL)
    (request,) = event.approval_requests
    assert (request.id, request.approval_type, request.sensitive) == ("req_1", "plan_exit", True)
    assert (
        request.buttons == ("Ship it", "Not yet") and request.plan == "1. Resize web\n2. Open a PR"
    )
    (diff,) = request.diff
    assert (diff.file, diff.added, diff.removed) == ("infra/index.ts", 1, 1)
    log = EventLog()
    parts = event_item(0, event, log.add(event), log)["parts"]
    (card,) = [p["approval"] for p in parts if p["view"] == "approval"]
    assert card["title"] == "Approve this plan" and card["sensitive"] is True
    assert card["diff"][0]["patch"].startswith("@@") and card["last_approval_diff"]
    text = transcript_markdown([event])
    assert "Resize web" in text and "```diff" in text and "+size: m5.xlarge" in text
    assert "sensitive" in text


def test_approval_state_is_kept_up_to_date_event_by_event() -> None:
    answer = user(
        "u1",
        {
            "type": "user_confirmation",
            "approval_request_id": "req_1",
            "ok": False,
            "instructions": "Smaller",
        },
    )
    log = EventLog()
    log.add(Event.from_json(APPROVAL))
    assert [a.state for a in log.pending_approvals] == ["pending"]
    before = log.approvals_version
    log.add(Event.from_json(agent("x", {"type": "awaiting_approvals"})))
    assert log.awaiting and log.approvals_version == before  # a marker changes no approval
    log.add(Event.from_json(answer))
    assert log.pending_approvals == [] and log.approval("req_1").state == "declined"  # type: ignore[union-attr]
    assert log.approvals_version == before + 1
    item = event_item(2, Event.from_json(answer), [], log)
    assert item["parts"] == [
        {
            "view": "answer",
            "approval_request_id": "req_1",
            "ok": False,
            "instructions": "Smaller",
            "synthetic": False,
        }
    ]


def test_a_trigger_reads_as_what_started_the_task() -> None:
    raw = {
        "id": "t1",
        "type": "triggerUserInput",
        "eventBody": {"type": "user_message", "content": "Investigate", "timestamp": T0},
        "triggerEvents": [
            {
                "id": "tr1",
                "provider": "pulumi-deployments",
                "receivedAt": T0,
                "payload": "{}",
                "title": "Deployment failed: infra/prod",
                "reference": "update #42",
                "badgeLabel": "failed",
                "badgeTone": "error",
                "sourceUrl": "https://app.pulumi.com/acme/infra/prod/updates/42",
                "details": [{"label": "Stack", "value": "infra/prod"}],
                "omittedItemCount": 2,
            }
        ],
        "triggerInstructions": "Find why it failed and propose a fix.",
    }
    event = Event.from_json(raw)
    (trigger,) = event.triggers
    assert trigger.title == "Deployment failed: infra/prod" and trigger.omitted == 2
    log = EventLog()
    (part,) = event_item(0, event, log.add(event), log)["parts"]
    assert part["view"] == "trigger" and part["instructions"].startswith("Find why")
    assert part["triggers"][0]["url"].startswith("https://") and part["text"] == "Investigate"
    text = transcript_markdown([event])
    assert "Deployment failed: infra/prod" in text and "Find why it failed" in text
    # A trigger starts a new turn: a pending approval from before is superseded.
    log = EventLog()
    log.add(Event.from_json(APPROVAL))
    log.add(event)
    assert log.approval("req_1").state == "superseded"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "view", "text"),
    [
        ({"type": "cancelled", "operation_was_running": True}, "divider", "Cancelled while"),
        (
            {"type": "context_compression_event", "status": "compressed", "context_summary": "S"},
            "divider",
            "Context compressed",
        ),
        ({"type": "warning", "message": "careful"}, "note", "careful"),
        ({"type": "error", "message": "broke"}, "note", "broke"),
        ({"type": "set_task_name", "name": "Fix drift"}, "note", "Fix drift"),
        (
            {
                "type": "change_entities",
                "changes": {
                    "add": [
                        {
                            "type": "pull_request",
                            "number": 240,
                            "repo": {"name": "infra", "org": "acme", "forge": "github"},
                        }
                    ],
                    "remove": [],
                },
            },
            "entities",
            "Neo opened pull request #240",
        ),
    ],
)
def test_every_kind_is_sent_to_the_panel_with_its_meaning(
    body: dict[str, Any], view: str, text: str
) -> None:
    event = Event.from_json(agent("e", body))
    log = EventLog()
    (part,) = event_item(0, event, log.add(event), log)["parts"]
    assert part["view"] == view and text in part["text"]


def test_a_marker_shows_nothing_but_sets_the_status() -> None:
    event = Event.from_json(agent("e", {"type": "awaiting_approvals"}))
    log = EventLog()
    assert event_item(0, event, log.add(event), log)["parts"] == []


def test_any_field_may_be_null() -> None:
    nulls = agent(
        "e",
        {
            "type": "user_approval_request",
            "id": "req",
            "message": None,
            "buttons": None,
            "context": None,
            "sensitivity": None,
        },
    )
    (request,) = Event.from_json(nulls).approval_requests
    assert request.malformed and request.id is None and request.diff == ()
    usage = Event.from_json(agent("u", {"type": "assistant_message", "token_usage": {"m": None}}))
    assert usage.usage is not None and usage.usage.total == 0
    frame = events_frame([agent("z", {"type": "exec_tool_call_progress", "metadata": None})])
    assert frame.type.tolist() == ["exec_tool_call_progress"]


def test_the_seeds_approval_call_is_not_shown_as_a_tool() -> None:
    raw = agent(
        "a",
        {
            "type": "assistant_message",
            "content": "May I?",
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {
                        "name": "approval_request",
                        "arguments": json.dumps(
                            {"approval_request_id": "req_9", "description": "Open a PR"}
                        ),
                    },
                }
            ],
        },
    )
    event = Event.from_json(raw)
    log = EventLog()
    parts = event_item(0, event, log.add(event), log)["parts"]
    assert [p["view"] for p in parts] == ["message", "approval"]
    card = parts[1]["approval"]
    assert card["id"] == "req_9" and card["tool_name"] is None and card["message"] == "Open a PR"


def test_calls_without_ids_in_events_without_ids_are_runs_of_their_own() -> None:
    raws = [{"eventBody": {"tool_calls": [{}]}}, {"eventBody": {"tool_calls": [{}, {}]}}]
    log = EventLog()
    for raw in raws:
        log.add(Event.from_json(raw))
    assert len(log.tool_runs) == 3 and len({run.key for run in log.tool_runs}) == 3
    assert len(tool_calls_frame(raws)) == 3


def test_every_field_of_a_reading_lands_where_its_name_says() -> None:
    # Every field distinct, so two fields of one type swapped anywhere would show.
    data = {
        "id": "ev-1",
        "type": "agentResponse",
        "isSynthetic": True,
        "eventBody": {
            "type": "assistant_message",
            "content": "the content",
            "timestamp": "2026-03-04T05:06:07Z",
            "name": "the name",
            "tool_call_id": "the call",
            "is_final": False,
            "tool_calls": [
                {"id": "c1", "name": "approval_request", "args": {"approval_request_id": "ap-9"}},
                {"id": "c2", "name": "read_file", "args": {}},
            ],
            "token_usage": {
                "model-a": {
                    "input_tokens": 11,
                    "output_tokens": 22,
                    "cache_creation_input_tokens": 33,
                    "cache_read_input_tokens": 44,
                }
            },
        },
    }
    reading = read_event(data)
    assert reading._asdict() == {
        "id": "ev-1",
        "kind": "agentResponse",
        "type": "assistant_message",
        "content": "the content",
        "timestamp_text": "2026-03-04T05:06:07Z",
        "usage": TokenUsage(11, 22, 33, 44, ("model-a",)),
        "body": data["eventBody"],
        "raw": data,
        "name": "the name",
        "tool_call_id": "the call",
        "n_tool_calls": 2,
        "approval_request_id": "ap-9",
        "final": False,
        "synthetic": True,
    }
    usage = reading.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (11, 22)
    assert (usage.cache_creation_tokens, usage.cache_read_tokens) == (33, 44)
    row = events_frame([data], task_id="t-1", raw=True).iloc[0]
    assert {name: row[name] for name in row.index if name not in ("timestamp", "raw")} == {
        "task_id": "t-1",
        "seq": 0,
        "event_id": "ev-1",
        "kind": "agentResponse",
        "type": "assistant_message",
        "content": "the content",
        "name": "the name",
        "tool_call_id": "the call",
        "n_tool_calls": 2,
        "approval_request_id": "ap-9",
        "is_final": False,
        "synthetic": True,
        "input_tokens": 11,
        "output_tokens": 22,
        "cache_creation_tokens": 33,
        "cache_read_tokens": 44,
        "models": "model-a",
    }
    assert str(row["timestamp"]) == "2026-03-04 05:06:07+00:00"
    assert json.loads(row["raw"]) == data
