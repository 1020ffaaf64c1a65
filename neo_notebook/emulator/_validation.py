"""Checks on request bodies: every malformed body becomes a 400 with a message saying what is wrong.

The rules follow the contract and the current spec: a user event is one of `user_message`,
`user_confirmation` or `user_cancel` (and, in the current shape, the CLI executor's
`exec_tool_call` and `tool_result`); entities must have their required fields; `pull_request`
entities are read-only (Neo attaches them, the API refuses them in `entity_diff`). Fields the
emulator does not know are kept, never rejected, because the API is a preview.

`null` is "not given" everywhere, as the live service reads it (Pulumi's generated SDK sends every
unset optional field as `null`): a `null` field of a body, an event, an entity or an
`entity_diff` is dropped before any check, so `{"approvalMode": null}` means the default and
`{"enabledIntegrations": null}` inherits the organization's integrations (`[]` opts out).
"""

from __future__ import annotations

import json
from typing import Any

from ._errors import ApiError
from ._shapes import ApiShape, Json

MAX_BODY_BYTES = 1 << 20
USER_EVENT_TYPES = ("user_message", "user_confirmation", "user_cancel")
CLI_EVENT_TYPES = ("exec_tool_call", "tool_result")
"""User events only the current shape knows: a CLI executor reporting the tools it ran."""
APPROVAL_MODES = ("manual", "balanced", "auto")
PERMISSION_MODES = ("default", "read-only")
TOOL_EXECUTION_MODES = ("cloud", "cli", "worker")
SOURCES = ("api", "console", "cli", "slack", "schedule", "github", "code-review")
ROLES = {
    "role-platform-admin": "Platform Admin",
    "role-infra-reader": "Infrastructure Reader",
    "role-deployer": "Deployer",
}
"""RBAC roles the emulator's user holds (id -> name); a create or PATCH naming another is a 403."""
CLI_INTEGRATIONS = ("aws", "azure", "gcp", "kubernetes", "github", "datadog")
"""The CLI integrations connected in the emulated organization (`catalogId`, any case)."""
FORGES = ("github", "gitlab", "bitbucket")
_ENTITY_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (required string fields, optional string fields)
    "stack": (("name", "project"), ()),
    "repository": (("name", "org"), ("forge", "host")),
    "policy_issue": (("id",), ("name",)),
}


def json_object(body: bytes, *, what: str = "request body") -> Json:
    """`body` parsed as a JSON object."""
    if not body.strip():
        raise ApiError(400, f"{what} is required (a JSON object)")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, f"{what} must be a JSON object, not {_kind(value)}")
    return value


def create_request(body: Json, api: ApiShape) -> tuple[Json, Json]:
    """Check a create-task body; returns its message and the other top-level fields."""
    body = given(body)
    message = body.get("message")
    if message is None:
        raise ApiError(400, "prompt is required: the body needs a 'message' (a user_message)")
    message = user_event(message, api, where="message")
    if message["type"] != "user_message":
        raise ApiError(400, "message.type must be 'user_message'")
    settings = {k: v for k, v in body.items() if k != "message"}
    _optional_choice(settings, "approvalMode", APPROVAL_MODES)
    _optional_choice(settings, "permissionMode", PERMISSION_MODES)
    _optional_type(settings, "planMode", bool, "a boolean")
    _optional_choice(settings, "toolExecutionMode", TOOL_EXECUTION_MODES)
    _optional_choice(settings, "source", SOURCES)
    _optional_type(settings, "agentDefinitionId", str, "a string")
    _role(settings)
    _integration_list(settings, "enabledIntegrations", ("id",))
    _integration_list(settings, "cliIntegrations", ("catalogId", "name"))
    for i, item in enumerate(settings.get("cliIntegrations", [])):
        if item["catalogId"].lower() not in CLI_INTEGRATIONS:
            raise ApiError(
                400,
                f"cliIntegrations[{i}].catalogId {item['catalogId']!r} is not connected in this "
                f"organization (connected: {', '.join(CLI_INTEGRATIONS)})",
            )
    return message, settings


def respond_request(body: Json, api: ApiShape) -> Json:
    """Check a respond-to-task body; returns its event."""
    if body.get("event") is None:
        raise ApiError(400, "event field is required")
    return user_event(body["event"], api, where="event")


def given(obj: Json) -> Json:
    """`obj` without its `null` fields: what the live service reads as "not given"."""
    return {k: v for k, v in obj.items() if v is not None}


def user_event(raw: Any, api: ApiShape, *, where: str) -> Json:
    """Check one user event; returns it without its `null` fields."""
    if not isinstance(raw, dict):
        raise ApiError(400, f"{where} must be a JSON object, not {_kind(raw)}")
    value = given(raw)
    kind = value.get("type")
    kinds: tuple[str, ...] = USER_EVENT_TYPES + (CLI_EVENT_TYPES if api == "current" else ())
    if kind not in kinds:
        raise ApiError(400, f"{where}.type must be one of {', '.join(kinds)} (got {kind!r})")
    _optional_type(value, "timestamp", str, "an RFC 3339 string", where=where)
    if kind == "user_message":
        content = value.get("content")
        if not isinstance(content, str):
            raise ApiError(400, f"{where}.content is required and must be a string")
        if not content.strip():
            raise ApiError(400, f"{where}.content must not be empty")
    elif kind == "user_confirmation":
        request_id = value.get("approval_request_id")
        if not isinstance(request_id, str) or not request_id:
            raise ApiError(400, f"{where}.approval_request_id is required and must be a string")
        if api == "current" and "ok" not in value:
            raise ApiError(400, f"{where}.ok is required (true to approve, false to decline)")
        _optional_type(value, "ok", bool, "a boolean", where=where)
        _optional_type(value, "instructions", str, "a string", where=where)
    elif kind == "exec_tool_call":
        _required_string(value, "tool_call_id", where)
        _required_string(value, "name", where)
    elif kind == "tool_result":
        value["tool_results"] = _tool_results(value.get("tool_results"), where=where)
    if isinstance(value.get("entity_diff"), dict):
        value["entity_diff"] = given(value["entity_diff"])
    entity_diff(value.get("entity_diff"), where=f"{where}.entity_diff")
    return value


def entity_diff(value: Any, *, where: str) -> tuple[list[Json], list[Json]]:
    """Check an `entity_diff`; returns its adds and removes."""
    if value is None:
        return [], []
    if not isinstance(value, dict):
        raise ApiError(400, f"{where} must be an object with 'add' and 'remove' lists")
    lists: list[list[Json]] = []
    for key in ("add", "remove"):
        items = value.get(key)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise ApiError(400, f"{where}.{key} must be a list of entities")
        items = [given(item) if isinstance(item, dict) else item for item in items]
        for i, item in enumerate(items):
            _entity(item, where=f"{where}.{key}[{i}]")
        lists.append(items)
    return lists[0], lists[1]


def update_request(body: Json) -> Json:
    """Check a PATCH body; returns the fields to change (null means "no change")."""
    changes = {k: v for k, v in body.items() if v is not None}
    name = changes.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 255):
        raise ApiError(400, "name must be a string of 1 to 255 characters")
    _optional_type(changes, "isShared", bool, "a boolean")
    _optional_type(changes, "planMode", bool, "a boolean")
    _optional_choice(changes, "approvalMode", APPROVAL_MODES)
    _optional_choice(changes, "permissionMode", PERMISSION_MODES)
    _role(changes)
    return changes


def cancel_request(body: bytes) -> None:
    """Check a force-cancel body: empty, `{}` or `{"force": true}`."""
    if not body.strip():
        return
    force = given(json_object(body)).get("force", True)
    if force is not True:
        raise ApiError(
            400, "force must be true (graceful cancel not yet supported via this endpoint)"
        )


def _tool_results(value: Any, *, where: str) -> list[Json]:
    if not isinstance(value, list) or not value:
        raise ApiError(
            400,
            f"{where}.tool_results must be a non-empty list: post a tool_result only for the "
            "calls you ran, one item per call, failed ones included",
        )
    items: list[Json] = []
    for i, raw in enumerate(value):
        at = f"{where}.tool_results[{i}]"
        if not isinstance(raw, dict):
            raise ApiError(400, f"{at} must be an object")
        item = given(raw)
        _required_string(item, "tool_call_id", at)
        _required_string(item, "name", at)
        if "content" not in item:
            raise ApiError(400, f"{at}.content is required (the tool's output)")
        _optional_type(item, "is_error", bool, "a boolean", where=at)
        _optional_type(item, "workspace_reset", bool, "a boolean", where=at)
        items.append(item)
    return items


def _role(obj: Json) -> None:
    _optional_type(obj, "role", str, "a string (an RBAC role id)")
    role = obj.get("role")
    if role is not None and role not in ROLES:
        raise ApiError(403, f"you do not hold role {role!r} (roles you hold: {', '.join(ROLES)})")


def _integration_list(obj: Json, key: str, fields: tuple[str, ...]) -> None:
    """A list of `{field: string}` objects, three-state: absent inherits, `[]` opts out."""
    if key not in obj:
        return
    items = obj[key]
    if not isinstance(items, list):
        raise ApiError(400, f"{key} must be a list (or null to inherit the organization's)")
    cleaned: list[Json] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ApiError(400, f"{key}[{i}] must be an object with {', '.join(fields)}")
        item = given(item)
        for name in fields:
            _required_string(item, name, f"{key}[{i}]")
        cleaned.append(item)
    obj[key] = cleaned


def _required_string(obj: Json, key: str, where: str) -> None:
    field = obj.get(key)
    if not isinstance(field, str) or not field:
        raise ApiError(400, f"{where}.{key} is required and must be a string")


def _entity(value: Any, *, where: str) -> None:
    if not isinstance(value, dict):
        raise ApiError(400, f"invalid entities: {where} must be an object")
    kind = value.get("type")
    if kind == "pull_request":
        raise ApiError(
            400, f"invalid entities: {where} is a pull_request, which only Neo can attach"
        )
    if kind not in _ENTITY_FIELDS:
        known = ", ".join(_ENTITY_FIELDS)
        raise ApiError(400, f"invalid entities: {where}.type must be one of {known}")
    required, optional = _ENTITY_FIELDS[kind]
    for name in required:
        field = value.get(name)
        if not isinstance(field, str) or not field.strip():
            raise ApiError(400, f"invalid entities: {where}.{name} is required")
    for name in optional:
        _optional_type(value, name, str, "a string", where=where)
    if kind == "repository" and value.get("forge", "github") not in FORGES:
        raise ApiError(400, f"invalid entities: {where}.forge must be one of {', '.join(FORGES)}")


def _optional_type(
    obj: Json, key: str, expected: type, described: str, *, where: str = "body"
) -> None:
    if key in obj and not isinstance(obj[key], expected):
        raise ApiError(400, f"{where}.{key} must be {described}, not {_kind(obj[key])}")


def _optional_choice(obj: Json, key: str, choices: tuple[str, ...]) -> None:
    if key in obj and obj[key] not in choices:
        raise ApiError(400, f"{key} must be one of {', '.join(choices)} (got {obj[key]!r})")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )
