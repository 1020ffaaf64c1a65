"""Wire shapes of Neo events and entities, in both dialects the emulator speaks.

The seed's contract (shared/neo-api.md) and Pulumi's current OpenAPI spec disagree on a few
shapes; clients must read both, so the emulator can speak either (`api="seed"`, the default, or
`api="current"`). Every place that builds an event body goes through this module, so the scripted
agent and the seeded history can never drift apart:

| thing | seed | current |
|---|---|---|
| tool call | `{id, type: "function", function: {name, arguments: "<json>"}}` | `{id, name, args}` |
| approval | an `approval_request` tool call on an `assistant_message` | `user_approval_request` |
| `assistant_message` | `content`, `tool_calls?` | adds `is_final`, `token_usage` |
| console event | `isSynthetic` on `userInput` only | `isSynthetic` on every event |
| pull request entity | `repository` | `repo` |
"""

from __future__ import annotations

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
    api: ApiShape, kind: str, event_id: str, body: Json, *, synthetic: bool = False
) -> Json:
    """Wrap an event body as the console event the list and stream endpoints return."""
    if kind == "userInput" or api == "current":
        return {"type": kind, "id": event_id, "isSynthetic": synthetic, "eventBody": body}
    return {"type": kind, "id": event_id, "eventBody": body}


def tool_call(api: ApiShape, call_id: str, name: str, args: Json | str) -> Json:
    """A tool call; `args` given as a string is sent verbatim (how malformed calls are made)."""
    if api == "current":
        return {"id": call_id, "name": name, "args": args}
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def assistant_message(
    api: ApiShape,
    content: str,
    *,
    tool_calls: list[Json] | None = None,
    is_final: bool = False,
) -> Json:
    """An `assistant_message` body (without `timestamp`, which is stamped when it is emitted)."""
    body: Json = {"type": "assistant_message", "content": content}
    if tool_calls:
        body["tool_calls"] = tool_calls
    if api == "current":
        body["is_final"] = is_final
        body["token_usage"] = {
            MODEL: {
                "input_tokens": 1800 + 3 * len(content),
                "output_tokens": 40 + len(content) // 4,
            }
        }
    return body


def approval_bodies(
    api: ApiShape,
    *,
    approval_id: str,
    call_id: str,
    description: str,
    malformed: bool = False,
) -> list[Json]:
    """The agent events that ask for approval `approval_id`, in order.

    Seed: one `assistant_message` with an `approval_request` tool call whose `arguments` is a
    JSON string (`malformed` cuts that string short). Current: a `user_approval_request` event,
    then the turn's final `assistant_message` saying what it waits for (`malformed` drops the
    approval's `message`).
    """
    waiting = f"{description}. I need your approval before I go ahead."
    if api == "current":
        request: Json = {
            "type": "user_approval_request",
            "id": approval_id,
            "message": description,
            "approval_type": "general",
            "source": "agent",
        }
        if malformed:
            del request["message"]
        return [request, assistant_message(api, waiting, is_final=True)]
    args: Json | str = {"approval_request_id": approval_id, "description": description}
    if malformed:
        args = '{"approval_request_id": "' + approval_id + '", "description": "' + description[:12]
    call = tool_call(api, call_id, "approval_request", args)
    return [assistant_message(api, waiting, tool_calls=[call])]


def exec_tool_call(call_id: str, name: str) -> Json:
    """The event saying a tool started."""
    return {"type": "exec_tool_call", "tool_call_id": call_id, "name": name}


def tool_response(api: ApiShape, call_id: str, name: str, output: str) -> Json:
    """A tool's result: plain text in the seed shape, an object in the current one."""
    content: Json | str = output if api == "seed" else {"output": output, "exit_code": 0}
    return {"type": "tool_response", "tool_call_id": call_id, "name": name, "content": content}


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
