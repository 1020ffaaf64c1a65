"""The Neo agent API's routes: auth, then the operation, as plain calls from request to response.

Kept free of sockets so each rule reads in one place; `_server.py` does the HTTP framing, faults
and the event stream's loop. Checks run in this order, so a request gets the first that applies:
401 (token missing or invalid), 404 (unknown organization or route), 405 (method), 403 (write with
the read-only token), 404 (unknown task), 400 (bad body or query), 409 (task busy).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from ._agent import ScriptedAgent
from ._errors import ApiError
from ._pagination import ContinuationTokens, page_size
from ._shapes import ZERO_TIME, Json, encode, rfc3339
from ._store import Store, TaskState
from ._validation import (
    SOURCES,
    cancel_request,
    create_request,
    json_object,
    respond_request,
    update_request,
)

PREFIX = "/api/preview/agents/"
_WRITES = ("POST", "PATCH")


@dataclass
class Response:
    """A complete response."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stream:
    """An event stream of `task` from event number `start`, which `_server.py` plays out."""

    task: TaskState
    start: int


class NeoApi:
    """Answers requests for one organization with two tokens: read-write and read-only."""

    def __init__(
        self,
        *,
        store: Store,
        agent: ScriptedAgent,
        org: str,
        token: str,
        readonly_token: str,
        tokens: ContinuationTokens,
    ) -> None:
        self.store = store
        self.agent = agent
        self.org = org
        self._token = token
        self._readonly_token = readonly_token
        self._tokens = tokens

    def handle(
        self,
        method: str,
        target: str,
        body: bytes,
        *,
        authorization: str | None,
        last_event_id: str | None,
    ) -> Response | Stream:
        """Route one request; raises `ApiError` for every refusal."""
        split = urlsplit(target)
        path = split.path
        if not path.startswith(PREFIX):
            raise ApiError(
                404, f"no such route: {method} {path} (the API is under {PREFIX}{{org}})"
            )
        writable = self._authenticate(authorization)
        parts = [unquote(p) for p in path[len(PREFIX) :].split("/")]
        if parts and parts[-1] == "":
            parts.pop()
        if not parts or parts[0] != self.org:
            org = parts[0] if parts else ""
            raise ApiError(404, f"organization {org!r} not found")
        route = parts[1:]
        multi = parse_qs(split.query, keep_blank_values=True)
        query = {k: v[0] for k, v in multi.items()}
        allowed = _allowed_methods(route)
        if not allowed:
            raise ApiError(404, f"no such route: {method} {path}")
        if method not in allowed:
            raise ApiError(
                405, f"{method} is not allowed here", headers={"Allow": ", ".join(allowed)}
            )
        if method in _WRITES and not writable:
            raise ApiError(
                403,
                f"this token lacks write permission: read-only access cannot modify tasks of "
                f"{self.org!r}",
            )
        if len(route) == 1:
            if method == "POST":
                return self._create(body)
            return self._list_tasks(query, multi)
        task = self.store.task(route[1])
        if len(route) == 2:
            if method == "GET":
                return _json(200, task.to_json(self.store.api))
            if method == "PATCH":
                return self._update(task, body)
            self.agent.respond(task, respond_request(json_object(body), self.store.api))
            return Response(202)
        if route[2] == "cancel":
            cancel_request(body)
            self.agent.force_cancel(task)
            return Response(204)
        if len(route) == 4:
            with self.store.cond:
                return Stream(task, task.position_after(last_event_id) if last_event_id else 0)
        return self._list_events(task, query)

    def _authenticate(self, header: str | None) -> bool:
        """Whether the caller may write; 401 unless the header carries one of our tokens."""
        scheme, _, token = (header or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "token" or not token:
            raise ApiError(401, "missing or malformed Authorization header: use 'token <token>'")
        if hmac.compare_digest(token.encode(), self._token.encode()):
            return True
        if hmac.compare_digest(token.encode(), self._readonly_token.encode()):
            return False
        raise ApiError(401, "invalid access token")

    def _create(self, body: bytes) -> Response:
        message, settings = create_request(json_object(body), self.store.api)
        task = self.agent.create_task(message, settings)
        return _json(201, {"taskId": task.id})

    def _list_tasks(self, query: Mapping[str, str], multi: Mapping[str, list[str]]) -> Response:
        size = page_size(query.get("pageSize"))
        listing = TaskListing.parse(query, multi, self.store.api)
        scope = f"tasks:{self.org}:{listing.key()}"
        offset = self._tokens.offset(query.get("continuationToken"), scope)
        with self.store.cond:
            chosen = listing.apply([self.store.tasks[i] for i in self.store.order])
            tasks = [t.to_json(self.store.api) for t in chosen[offset : offset + size]]
            more = offset + size < len(chosen)
        page: Json = {"tasks": tasks}
        if more:
            page["continuationToken"] = self._tokens.issue(scope, offset + size)
        return _json(200, page)

    def _list_events(self, task: TaskState, query: Mapping[str, str]) -> Response:
        size = page_size(query.get("pageSize"))
        scope = f"events:{task.id}"
        offset = self._tokens.offset(query.get("continuationToken"), scope)
        with self.store.cond:
            events = task.events[offset : offset + size]
            more = offset + size < len(task.events)
        tail = b"]}"
        if more:
            tail = (
                b'],"continuationToken":' + encode(self._tokens.issue(scope, offset + size)) + b"}"
            )
        return Response(200, b'{"events":[' + b",".join(events) + tail, _JSON_TYPE.copy())

    def _update(self, task: TaskState, body: bytes) -> Response:
        changes = update_request(json_object(body))
        with self.store.cond:
            if "name" in changes:
                task.name = changes["name"].strip()
            if "isShared" in changes and changes["isShared"] != task.is_shared:
                task.is_shared = changes["isShared"]
                task.shared_at = rfc3339(time.time()) if task.is_shared else ZERO_TIME
            if "approvalMode" in changes:
                task.approval_mode = changes["approvalMode"]
            if "permissionMode" in changes:
                task.permission_mode = changes["permissionMode"]
            if "role" in changes:
                task.role = changes["role"]
            if "planMode" in changes:
                task.plan_mode = changes["planMode"]
            return _json(200, task.to_json(self.store.api))


SORT_FIELDS = ("lastEvent", "created", "status", "name", "tokensUsed")
SORT_DIRECTIONS = ("asc", "desc")
STATUSES = ("running", "idle")
TASK_TYPES = ("sync", "async")


@dataclass(frozen=True)
class TaskListing:
    """The filters and order of `GET .../tasks`; an empty query parameter is not given.

    `query` searches task names (any case); `status`, `taskType`, `agentDefinitionId` and
    `policyIssueId` (a `policy_issue` entity) keep matching tasks; `excludeSources` (repeated, or
    comma-separated) drops tasks of those sources. `sortBy` (default `lastEvent`) and
    `sortDirection` (default `desc`) order them; ties keep the newest created first. Without any
    sorting parameter the seed shape lists tasks newest created first, as it always did.
    """

    query: str | None = None
    status: str | None = None
    task_type: str | None = None
    exclude_sources: tuple[str, ...] = ()
    agent_definition_id: str | None = None
    policy_issue_id: str | None = None
    sort_by: str | None = None
    descending: bool = True

    @classmethod
    def parse(
        cls, query: Mapping[str, str], multi: Mapping[str, list[str]], api: str
    ) -> TaskListing:
        def choice(name: str, choices: tuple[str, ...]) -> str | None:
            value = query.get(name) or None
            if value is not None and value not in choices:
                raise ApiError(400, f"{name} must be one of {', '.join(choices)} (got {value!r})")
            return value

        excluded = [s for raw in multi.get("excludeSources", []) for s in raw.split(",") if s]
        for source in excluded:
            if source not in SOURCES:
                raise ApiError(
                    400, f"excludeSources must be among {', '.join(SOURCES)} (got {source!r})"
                )
        sort_by = choice("sortBy", SORT_FIELDS)
        direction = choice("sortDirection", SORT_DIRECTIONS)
        if sort_by is None and (direction is not None or api == "current"):
            sort_by = "lastEvent"
        return cls(
            query=query.get("query") or None,
            status=choice("status", STATUSES),
            task_type=choice("taskType", TASK_TYPES),
            exclude_sources=tuple(sorted(set(excluded))),
            agent_definition_id=query.get("agentDefinitionId") or None,
            policy_issue_id=query.get("policyIssueId") or None,
            sort_by=sort_by,
            descending=direction != "asc",
        )

    def key(self) -> str:
        """What a continuation token is bound to: the same filters and order, any page size."""
        return encode(self.__dict__).decode()

    def apply(self, tasks: list[TaskState]) -> list[TaskState]:
        """`tasks` (newest created first) filtered and ordered."""
        needle = self.query.casefold() if self.query else None
        chosen = [
            t
            for t in tasks
            if (needle is None or needle in t.name.casefold())
            and (self.status is None or t.status == self.status)
            and (self.task_type is None or t.task_type == self.task_type)
            and t.source not in self.exclude_sources
            and (self.agent_definition_id in (None, t.agent_definition_id))
            and (self.policy_issue_id is None or self._has_policy_issue(t))
        ]
        if self.sort_by is None:
            return chosen
        if self.sort_by == "status":
            # Ascending puts running before idle.
            return sorted(chosen, key=lambda t: t.status != "running", reverse=self.descending)
        keys = {
            "lastEvent": lambda t: t.last_event_at or t.created_at,
            "created": lambda t: t.created_at,
            "name": lambda t: t.name.casefold(),
            "tokensUsed": lambda t: t.tokens_used,
        }
        return sorted(chosen, key=keys[self.sort_by], reverse=self.descending)

    def _has_policy_issue(self, task: TaskState) -> bool:
        return any(
            e.get("type") == "policy_issue" and e.get("id") == self.policy_issue_id
            for e in task.entities
        )


_JSON_TYPE = {"Content-Type": "application/json"}


def _json(status: int, value: Json) -> Response:
    return Response(status, encode(value), _JSON_TYPE.copy())


def _allowed_methods(route: list[str]) -> tuple[str, ...]:
    """The methods of the route `tasks[/{id}[/events[/stream]|/cancel]]`, none if no such route."""
    if not route or route[0] != "tasks" or any(not p for p in route):
        return ()
    if len(route) == 1:
        return ("GET", "POST")
    if len(route) == 2:
        return ("GET", "POST", "PATCH")
    if route[2:] == ["cancel"]:
        return ("POST",)
    if route[2:] in (["events"], ["events", "stream"]):
        return ("GET",)
    return ()
