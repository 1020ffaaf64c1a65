"""Wire shapes of Neo events and entities, in both dialects the emulator speaks.

The seed's contract (shared/neo-api.md) and the live service (shared/neo-api-current.md: the
models of Pulumi's generated SDK `pulumi-cloud-sdk` 2026.10.26) disagree on a few shapes; clients
must read both, so the emulator can speak either (`api="seed"`, the default, or `api="current"`).
Every place that builds an event body goes through this module, so the scripted agent and the
seeded history can never drift apart:

- tool call: seed `{id, type: "function", function: {name, arguments: "<json>"}}`; current
  `{id, name, args, execution_mode}`.
- approval: seed, an `approval_request` tool call on an `assistant_message`; current, a
  `user_approval_request` (`approval_type`, `sensitivity`, `source`, `buttons`, `context`),
  then `awaiting_approvals`.
- `assistant_message`: current adds `is_final` and `token_usage` (four counters per model).
- `exec_tool_call`: current adds `execution_mode` and `args`; `tool_response`: content is text
  in the seed, an object in the current shape, which adds `is_error`.
- console event: seed has `isSynthetic` on `userInput` only; current has it on every event,
  `actor` on `userInput`, and `triggerUserInput` events with `triggerEvents`.
- pull request entity: its repository is under `repository` (seed) or `repo` (current).

Only the current shape has `exec_tool_call_progress`, `provide_pulumi_access_token`,
`context_compression_event` (`compressing`, then `compressed` with `context_summary` and
`tail_length`), `awaiting_approvals`, and the CLI executor's user events `exec_tool_call` and
`tool_result`. `ContextMeter` keeps the token accounting of the current shape: every model call
reads the context so far from the cache and writes what is new, so `contextUsedTokens` grows until
it passes the task's compaction threshold and the agent compresses it.
"""

from __future__ import annotations

import base64
import json
import random
import time
from typing import Any, Literal

Json = dict[str, Any]
ApiShape = Literal["seed", "current"]

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Go's zero time: what the service sends as `sharedAt` for a task never shared."""

MODEL = "claude-sonnet-4-5"
"""The model name keyed in `token_usage` (current shape)."""
HELPER_MODEL = "claude-haiku-4-5"
"""The small model some messages also used (summaries, titles): a second `token_usage` key."""
CONTEXT_WINDOW = 200_000
COMPACTION_THRESHOLD_PERCENT = 80
BASE_CONTEXT_TOKENS = 21_000
"""What the first model call of a task reads: system prompt and tool schemas."""
APPROVAL_BUTTONS = {
    "general": ["Approve", "Reject"],
    "tool_permission": ["Approve", "Reject"],
    "plan_exit": ["Approve plan", "Keep planning"],
}

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def rfc3339(epoch: float) -> str:
    """`epoch` seconds as RFC 3339 UTC with a `Z`, to the second, like the contract's examples."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON: the one encoding every stored event and response body uses."""
    return _ENCODER.encode(value).encode()


def new_uuid(rng: random.Random) -> str:
    """A UUID-shaped id drawn from `rng`, so ids are reproducible under a seed."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def new_token(rng: random.Random, prefix: str) -> str:
    """A short prefixed id such as `req_...` or `call_...` drawn from `rng`."""
    return f"{prefix}{rng.getrandbits(96):024x}"


def console_event(
    api: ApiShape,
    kind: str,
    event_id: str,
    body: Json,
    *,
    synthetic: bool = False,
    actor: Json | None = None,
    trigger_events: list[Json] | None = None,
    trigger_instructions: str | None = None,
) -> Json:
    """Wrap an event body as the console event the list and stream endpoints return.

    Current shape only: `actor` (who typed a `userInput`), and for `kind="triggerUserInput"`
    the automation's `trigger_events` and `trigger_instructions`.
    """
    if kind != "userInput" and api != "current":
        return {"type": kind, "id": event_id, "eventBody": body}
    event: Json = {"type": kind, "id": event_id, "isSynthetic": synthetic, "eventBody": body}
    if api == "current":
        if actor is not None:
            event["actor"] = dict(actor)
        if trigger_events is not None:
            event["triggerEvents"] = trigger_events
        if trigger_instructions is not None:
            event["triggerInstructions"] = trigger_instructions
    return event


def tool_call(
    api: ApiShape, call_id: str, name: str, args: Json | str, *, execution_mode: str | None = None
) -> Json:
    """A tool call; `args` given as a string is sent verbatim (how malformed calls are made)."""
    if api == "current":
        call: Json = {"id": call_id, "name": name, "args": args}
        if execution_mode is not None:
            call["execution_mode"] = execution_mode
        return call
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def assistant_message(
    api: ApiShape,
    content: str,
    *,
    tool_calls: list[Json] | None = None,
    is_final: bool = False,
    usage: Json | None = None,
) -> Json:
    """An `assistant_message` body (without `timestamp`, which is stamped when it is emitted).

    `usage` is its `token_usage` (current shape; see `ContextMeter`); without it, a usage
    derived from the text's length with no cache traffic.
    """
    body: Json = {"type": "assistant_message", "content": content}
    if tool_calls:
        body["tool_calls"] = tool_calls
    if api == "current":
        body["is_final"] = is_final
        body["token_usage"] = usage or token_usage(
            {MODEL: (1800 + 3 * len(content), 40 + len(content) // 4, 0, 0)}
        )
    return body


def token_usage(counts: dict[str, tuple[int, int, int, int]]) -> Json:
    """`token_usage`: model -> (input, output, cache creation, cache read) as the four counters."""
    return {
        model: {
            "input_tokens": i,
            "output_tokens": o,
            "cache_creation_input_tokens": cc,
            "cache_read_input_tokens": cr,
        }
        for model, (i, o, cc, cr) in counts.items()
    }


def tokens_billed(usage: Json) -> int:
    """What a message adds to `tokensUsed`: every counter of every model."""
    return sum(int(v) for per_model in usage.values() for v in per_model.values())


class ContextMeter:
    """The context of one task as its model calls grow it (current shape).

    Each call reads the context so far from the cache (`cache_read_input_tokens`), writes the
    new tokens to it (`cache_creation_input_tokens`) and answers (`output_tokens`); what it
    wrote and answered stays in the context. Past `threshold` the agent compresses: the context
    shrinks to the base prompt, a summary and the last few messages.
    """

    def __init__(self, rng: random.Random, used: int, threshold: int) -> None:
        self.rng, self.used, self.threshold = rng, used or BASE_CONTEXT_TOKENS, threshold

    def call(self, added: int, *, helper: bool = False) -> Json:
        """The `token_usage` of one message that adds `added` tokens (a tool's output, say)."""
        fresh, output = self.rng.randint(40, 400), self.rng.randint(60, 900)
        counts = {MODEL: (fresh, output, added, self.used)}
        if helper:
            counts[HELPER_MODEL] = (self.rng.randint(600, 2500), self.rng.randint(30, 250), 0, 0)
        self.used += fresh + added + output
        return token_usage(counts)

    @property
    def over(self) -> bool:
        """Whether the context passed the compaction threshold."""
        return self.used > self.threshold

    def compress(self, summary: str) -> list[Json]:
        """The `compressing` and `compressed` events; the context shrinks."""
        tail = self.rng.randint(4, 10)
        self.used = BASE_CONTEXT_TOKENS + len(summary) // 3 + tail * self.rng.randint(400, 900)
        return compression_events(summary, tail)


def compression_events(summary: str, tail_length: int) -> list[Json]:
    """`context_compression_event`s: `compressing`, then `compressed` with the summary kept."""
    return [
        {
            "type": "context_compression_event",
            "status": "compressing",
            "message": "The conversation is near the context limit: summarizing older turns",
        },
        {
            "type": "context_compression_event",
            "status": "compressed",
            "message": f"Summarized the conversation; kept the last {tail_length} messages",
            "context_summary": summary,
            "tail_length": tail_length,
        },
    ]


def approval_bodies(
    api: ApiShape,
    *,
    approval_id: str,
    call_id: str,
    description: str,
    malformed: bool = False,
    approval_type: str = "general",
    sensitivity: str = "regular",
    source: str = "agent",
    context: Json | None = None,
    usage: Json | None = None,
) -> list[Json]:
    """The agent events that ask for approval `approval_id`, in order.

    Seed: one `assistant_message` with an `approval_request` tool call whose `arguments` is a
    JSON string (`malformed` cuts that string short). Current: a `user_approval_request` event
    (`context` holds `tool_call_id`, `tool_name`, `git_diff`, `last_approval_diff` or
    `plan_description`), the turn's final `assistant_message` saying what it waits for, and the
    `awaiting_approvals` marker (`malformed` drops the approval's `message`). Auto-approval
    uses only the first event.
    """
    waiting = f"{description}. I need your approval before I go ahead."
    if api == "current":
        request: Json = {
            "type": "user_approval_request",
            "id": approval_id,
            "message": description,
            "approval_type": approval_type,
            "sensitivity": sensitivity,
            "source": source,
            "buttons": list(APPROVAL_BUTTONS[approval_type]),
        }
        if context:
            request["context"] = context
        if malformed:
            del request["message"]
        return [
            request,
            assistant_message(api, waiting, is_final=True, usage=usage),
            {"type": "awaiting_approvals"},
        ]
    args: Json | str = {"approval_request_id": approval_id, "description": description}
    if malformed:
        args = '{"approval_request_id": "' + approval_id + '", "description": "' + description[:12]
    call = tool_call(api, call_id, "approval_request", args)
    return [assistant_message(api, waiting, tool_calls=[call])]


def exec_tool_call(
    call_id: str, name: str, *, execution_mode: str | None = None, args: Json | None = None
) -> Json:
    """The event saying a tool started (the agent's, or a CLI executor's user event).

    The agent's carries `execution_mode` and `args` in the current shape.
    """
    body: Json = {"type": "exec_tool_call", "tool_call_id": call_id, "name": name}
    if execution_mode is not None:
        body["execution_mode"] = execution_mode
    if args is not None:
        body["args"] = args
    return body


def exec_tool_call_progress(call_id: str, status: str, metadata: Json) -> Json:
    """Progress of a long tool (current shape)."""
    return {
        "type": "exec_tool_call_progress",
        "tool_call_id": call_id,
        "status": status,
        "metadata": metadata,
    }


def tool_response(
    api: ApiShape, call_id: str, name: str, output: str | Json, *, is_error: bool = False
) -> Json:
    """A tool's result: plain text in the seed shape, an object (and `is_error`) in the current.

    An object `output` (what a CLI executor reported) is sent as it is in the current shape.
    """
    body: Json = {"type": "tool_response", "tool_call_id": call_id, "name": name}
    if api == "seed":
        body["content"] = output
        return body
    exit_code = 1 if is_error else 0
    body["content"] = (
        output if isinstance(output, dict) else {"output": output, "exit_code": exit_code}
    )
    body["is_error"] = is_error
    return body


def tool_result(results: list[Json]) -> Json:
    """A CLI executor's `tool_result` user event: `{tool_call_id, name, content, is_error,
    workspace_reset}` per call it ran."""
    return {"type": "tool_result", "tool_results": results}


def provide_pulumi_access_token(rng: random.Random) -> Json:
    """The credential hand-off before Neo's first Pulumi operation: an opaque encrypted blob."""
    blob = base64.b64encode(rng.getrandbits(8 * 240).to_bytes(240, "big")).decode()
    return {"type": "provide_pulumi_access_token", "encrypted_pulumi_access_token": blob}


def trigger_event(
    event_id: str,
    provider: str,
    received_at: str,
    payload: Json,
    **display: Any,
) -> Json:
    """One `triggerEvents` item of a `triggerUserInput` (`payload` is sent as a JSON string).

    `display` holds the optional fields: `title`, `eventType`, `reference`, `badgeLabel`,
    `badgeTone`, `sourceUrl`, `details` ([{label, value, kind}]), `omittedItemCount`.
    """
    event: Json = {"id": event_id, "provider": provider, "receivedAt": received_at}
    event.update({k: v for k, v in display.items() if v is not None})
    event["payload"] = json.dumps(payload, separators=(",", ":"))
    return event


def repository_entity(name: str, org: str, forge: str = "github") -> Json:
    """A `repository` entity."""
    return {"type": "repository", "name": name, "org": org, "forge": forge}


def stack_entity(project: str, name: str) -> Json:
    """A `stack` entity."""
    return {"type": "stack", "name": name, "project": project}


def pull_request_entity(api: ApiShape, number: int, repository: Json) -> Json:
    """A `pull_request` entity; its repository (without `type`) is under `repository` or `repo`."""
    repo = {k: v for k, v in repository.items() if k != "type"}
    key = "repo" if api == "current" else "repository"
    return {"type": "pull_request", "number": number, "merged": False, key: repo}


def pull_request_url(repository: Json, number: int) -> str:
    """Where the forge shows pull request `number` of `repository`."""
    org, name = repository.get("org", ""), repository.get("name", "")
    if repository.get("forge") == "gitlab":
        return f"https://gitlab.com/{org}/{name}/-/merge_requests/{number}"
    if repository.get("forge") == "bitbucket":
        return f"https://bitbucket.org/{org}/{name}/pull-requests/{number}"
    return f"https://github.com/{org}/{name}/pull/{number}"
