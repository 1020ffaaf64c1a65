"""NeoClient: every operation of the Neo agent API, as one object.

The client resolves credentials the way the Pulumi CLI does and owns one :class:`Transport`
(session, auth, timeouts, retries, paging). Iteration is pagination: ``events`` and
``list_tasks`` fetch their first page at the call (so a bad token or task id fails where you
called it) and the rest as you iterate. Options that the API takes from a fixed set are
checked before anything is sent: a bad value is a ``ConfigurationError`` (a ``ValueError``)
that names the choices.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ._attachments import Context, with_context
from ._config import resolve_settings
from ._entities import EntityLike, entity_diff
from ._errors import ApprovalError, ConfigurationError, NeoError
from ._eventlog import EventLog
from ._events import Answer, ApprovalRequest, Event
from ._models import Task, parse_timestamp, utc_now
from ._session import TaskSession, existing_session, session_for
from ._transport import MAX_PAGE_SIZE, Transport

if TYPE_CHECKING:
    import pandas as pd

    from ._history import ExportSummary, History
    from ._inbox_widget import NeoInbox
    from ._local_tools import LocalRun, ToolRunner, Workspace
    from ._sync import SyncSummary
    from ._tail import EventTail
    from ._widget import NeoChat

    WorkspaceLike = Workspace | str | os.PathLike[str]

__all__ = ["NeoClient"]

log = logging.getLogger("neo_notebook")

#: The values the API takes for each option, by the option's Python name.
CHOICES: Mapping[str, tuple[str, ...]] = {
    "status": ("running", "idle"),
    "sort_by": ("lastEvent", "created", "status", "name", "tokensUsed"),
    "sort_direction": ("asc", "desc"),
    "task_type": ("sync", "async"),
    "source": ("api", "console", "cli", "slack", "schedule", "github", "code-review"),
    "approval_mode": ("manual", "balanced", "auto"),
    "permission_mode": ("default", "read-only"),
    "tool_execution_mode": ("cloud", "cli", "worker"),
}
#: Python spellings of ``sort_by`` values, for those who write them so.
_SORT_ALIASES = {"last_event": "lastEvent", "tokens_used": "tokensUsed"}


class NeoClient:
    """A client for the Pulumi Neo agent API.

    Args:
        org: the Pulumi organization; default ``PULUMI_ORG``, then the Pulumi CLI's default.
        token: the access token; default ``PULUMI_ACCESS_TOKEN``, then the Pulumi CLI's
            credentials (``pulumi login``). Never shown in reprs, logs or errors.
        base_url: the API's URL; default ``PULUMI_BACKEND_URL``, then ``https://api.pulumi.com``.
        timeout: seconds to wait for a connection and for each read; every request has one.
        max_retries: how many times a failed request is retried (see ``_retry`` for which).
        verify: TLS verification: True (default), False, or a CA bundle path for
            self-hosted Pulumi Cloud behind a private CA.
        pool_size: connections kept open, for concurrent history reads.

    Example::

        client = NeoClient("acme")
        task = client.create_task("Why is my prod stack drifting?", entities=["infra/prod"])
        for event in client.events(task.id):
            print(event.type, event.content)
    """

    def __init__(
        self,
        org: str | None = None,
        *,
        token: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        verify: bool | str = True,
        pool_size: int = 16,
    ) -> None:
        settings = resolve_settings(org=org, token=token, base_url=base_url)
        if not settings.token:
            raise ConfigurationError(
                "No Pulumi access token found. Set PULUMI_ACCESS_TOKEN, pass "
                "NeoClient(token=...), or log in with `pulumi login`. Create a token at "
                "https://app.pulumi.com/account/tokens."
            )
        if not settings.org:
            raise ConfigurationError(
                "No Pulumi organization given. Pass NeoClient('my-org'), set PULUMI_ORG, or "
                "run `pulumi org set-default my-org`."
            )
        if timeout <= 0 or max_retries < 0:
            raise ConfigurationError("timeout must be positive and max_retries at least 0")
        self.org: str = settings.org
        self.base_url: str = settings.base_url
        #: The HTTP layer (session, retries, paging), shared with the history reader and tails.
        self.transport = Transport(
            org=settings.org,
            token=settings.token,
            base_url=settings.base_url,
            timeout=timeout,
            max_retries=max_retries,
            verify=verify,
            pool_size=pool_size,
        )
        self._answers: dict[tuple[str, str], Answer] = {}
        # One answer at a time: two clicks (or two views) must not both pass the check.
        self._answering = threading.Lock()

    def __repr__(self) -> str:
        return f"NeoClient(org={self.org!r}, base_url={self.base_url!r})"

    @property
    def timeout(self) -> float:
        """Seconds to wait for a connection and for each read."""
        return self.transport.timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self.transport.timeout = value

    @property
    def max_retries(self) -> int:
        """How many times a failed request is retried."""
        return self.transport.max_retries

    @max_retries.setter
    def max_retries(self, value: int) -> None:
        self.transport.max_retries = value

    @property
    def retries(self) -> int:
        """Requests retried since this client was made (for reliability reports)."""
        return self.transport.retries

    def close(self) -> None:
        """Close pooled connections."""
        self.transport.close()

    def __enter__(self) -> NeoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def console_url(self, task_id: str) -> str | None:
        """The task's page in the Pulumi console, where the API host has one (``api.`` ->
        ``app.``); None for other hosts (self-hosted installs, the emulator)."""
        from urllib.parse import quote, urlsplit

        parts = urlsplit(self.base_url)
        if parts.scheme != "https" or not parts.hostname or not parts.hostname.startswith("api."):
            return None
        host = "app." + parts.hostname[len("api.") :]
        return f"https://{host}/{quote(self.org, safe='')}/neo/tasks/{quote(task_id, safe='')}"

    # -- tasks -----------------------------------------------------------------------------

    def create_task(
        self,
        message: str,
        *,
        entities: Iterable[EntityLike] = (),
        approval_mode: str | None = None,
        plan_mode: bool | None = None,
        permission_mode: str | None = None,
        role: str | None = None,
        agent_definition_id: str | None = None,
        tool_execution_mode: str | None = None,
        enabled_integrations: Iterable[str] | None = None,
        cli_integrations: Iterable[Mapping[str, str]] | None = None,
        context: Context = None,
        workspace: WorkspaceLike | None = None,
        **extra: Any,
    ) -> Task:
        """Start a task with a first message; returns it (``task.id``).

        Args:
            entities: entity objects or short forms (``"project/stack"``, ``"github:org/repo"``).
            approval_mode: ``manual`` (the console's Review), ``balanced`` or ``auto``.
            plan_mode: Neo plans first and asks before it acts.
            permission_mode: ``default`` or ``read-only``.
            role: the role Neo takes (a name your organization defines).
            agent_definition_id: a custom agent to run the task (preview).
            tool_execution_mode: ``cloud`` (default), ``cli`` or ``worker``.
            enabled_integrations: integration ids Neo may use; None inherits the org's, an
                empty list allows none.
            cli_integrations: ``{"catalogId": ..., "name": ...}`` for each CLI integration.
            context: notebook data for Neo to read with the message (see
                :meth:`send_message`).
            workspace: a :class:`~neo_notebook.Workspace` (or a directory) for Neo's tools to
                run in on this machine: the task is made in CLI tool-execution mode, and its
                calls are run as they come (what the workspace does not allow is refused).
            extra: any other field, passed through to the API as given.

        Unset options are not sent; the org's defaults apply.
        """
        content = with_context(_check_content(message), context)
        local = _workspace(workspace) if workspace is not None else None
        if local is not None:
            if tool_execution_mode not in (None, "cli"):
                raise ConfigurationError(
                    "A workspace runs Neo's tools on this machine, which needs "
                    f"tool_execution_mode='cli', not {tool_execution_mode!r}. Nothing was sent."
                )
            tool_execution_mode = "cli"
            extra.setdefault("source", "cli")
        body: dict[str, Any] = {
            "message": {
                "type": "user_message",
                "content": content,
                "timestamp": utc_now(),
                "entity_diff": entity_diff(add=entities),
            }
        }
        options = {
            "approvalMode": _choice("approval_mode", approval_mode),
            "planMode": _flag("plan_mode", plan_mode),
            "permissionMode": _choice("permission_mode", permission_mode),
            "role": _text("role", role),
            "agentDefinitionId": _text("agent_definition_id", agent_definition_id),
            "toolExecutionMode": _choice("tool_execution_mode", tool_execution_mode),
            "enabledIntegrations": None
            if enabled_integrations is None
            else [{"id": _text("enabled_integrations", i)} for i in _items(enabled_integrations)],
            "cliIntegrations": None
            if cli_integrations is None
            else [_cli_integration(i) for i in _items(cli_integrations)],
        }
        body.update({k: v for k, v in options.items() if v is not None})
        body.update(extra)
        task_id = self._post_task(body)
        if local is not None:
            self.runner(task_id, local).start()
        try:
            return self.get_task(task_id)
        except NeoError:
            # The task exists; a failed read must not lose its id.
            return Task.from_json({"id": task_id, "status": "running", "entities": []})

    def get_task(self, task_id: str) -> Task:
        """One task."""
        return Task.from_json(self.transport.get_json(self.transport.path("tasks", _id(task_id))))

    def list_tasks(
        self,
        page_size: int = MAX_PAGE_SIZE,
        *,
        query: str | None = None,
        status: str | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        task_type: str | None = None,
        exclude_sources: Iterable[str] = (),
        agent_definition_id: str | None = None,
        policy_issue_id: str | None = None,
    ) -> Iterator[Task]:
        """The org's tasks, newest first unless sorted otherwise, page by page as you iterate.

        Args:
            query: search text (task names).
            status: ``running`` or ``idle``.
            sort_by: ``lastEvent``, ``created``, ``status``, ``name`` or ``tokensUsed``.
            sort_direction: ``asc`` or ``desc``.
            task_type: ``sync`` or ``async`` (started by an automation).
            exclude_sources: sources to leave out, e.g. ``["schedule", "slack"]``.
            agent_definition_id: only tasks of this custom agent.
            policy_issue_id: only tasks about this policy issue.
        """
        filters = self.task_filters(
            query=query,
            status=status,
            sort_by=sort_by,
            sort_direction=sort_direction,
            task_type=task_type,
            exclude_sources=exclude_sources,
            agent_definition_id=agent_definition_id,
            policy_issue_id=policy_issue_id,
        )
        raw = self.transport.items(self.transport.path("tasks"), "tasks", page_size, filters)
        return (Task.from_json(item) for item in raw)

    @staticmethod
    def task_filters(
        *,
        query: str | None = None,
        status: str | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        task_type: str | None = None,
        exclude_sources: Iterable[str] = (),
        agent_definition_id: str | None = None,
        policy_issue_id: str | None = None,
    ) -> dict[str, Any]:
        """The query parameters of a task listing, checked (see :meth:`list_tasks`)."""
        sort = _SORT_ALIASES.get(sort_by, sort_by) if isinstance(sort_by, str) else sort_by
        params = {
            "query": _text("query", query),
            "status": _choice("status", status),
            "sortBy": _choice("sort_by", sort),
            "sortDirection": _choice("sort_direction", sort_direction),
            "taskType": _choice("task_type", task_type),
            "excludeSources": [_choice("source", s) for s in _items(exclude_sources)] or None,
            "agentDefinitionId": _text("agent_definition_id", agent_definition_id),
            "policyIssueId": _text("policy_issue_id", policy_issue_id),
        }
        return {k: v for k, v in params.items() if v is not None}

    def update_task(
        self,
        task_id: str,
        *,
        name: str | None = None,
        is_shared: bool | None = None,
        approval_mode: str | None = None,
        plan_mode: bool | None = None,
        permission_mode: str | None = None,
        role: str | None = None,
        **fields: Any,
    ) -> Task:
        """Change a task's settings; returns the task as it is now.

        Unset options are left as they are. Other keywords are passed through to the API
        as given (``update_task(id, isShared=True)`` works too).
        """
        body = {
            "name": _text("name", name),
            "isShared": _flag("is_shared", is_shared),
            "approvalMode": _choice("approval_mode", approval_mode),
            "planMode": _flag("plan_mode", plan_mode),
            "permissionMode": _choice("permission_mode", permission_mode),
            "role": _text("role", role),
        }
        changes = {k: v for k, v in body.items() if v is not None} | fields
        if not changes:
            raise ConfigurationError(
                "update_task needs at least one setting, e.g. update_task(id, is_shared=True)"
            )
        path = self.transport.path("tasks", _id(task_id))
        response = self.transport.request("PATCH", path, body=changes)
        try:
            return Task.from_json(response.json())
        except ValueError:
            return self.get_task(task_id)

    def _post_task(self, body: dict[str, Any]) -> str:
        """POST a new task exactly once and return its id: after a lost answer the newest
        tasks are checked for one whose first event is our message."""
        result = self.transport.write_once(
            self.transport.path("tasks"), body, lambda: self._find_created_task(body["message"])
        )
        if isinstance(result, str):
            return result
        try:
            task_id = result.json()["taskId"]
        except (ValueError, KeyError, TypeError) as exc:
            raise self.transport.invalid_body(
                result,
                "POST",
                self.transport.path("tasks"),
                "has no task id, though the task was created: find it with client.list_tasks()",
            ) from exc
        return str(task_id)

    def _find_created_task(self, message: Mapping[str, Any]) -> str | None:
        """The id of a recent task whose first event is ``message``, if there is one."""
        sent = parse_timestamp(message.get("timestamp"))
        items = next(self.transport.pages(self.transport.path("tasks"), "tasks", 20)).items
        for item in items:
            created = parse_timestamp(item.get("createdAt")) if isinstance(item, Mapping) else None
            if not created or not sent or (sent - created).total_seconds() > 300:
                continue
            task_id = str(item.get("id"))
            path = self.transport.path("tasks", task_id, "events")
            first = next(self.transport.pages(path, "events", 1)).items
            if first and isinstance(first[0], Mapping) and _same_user_event(first[0], message):
                return task_id
        return None

    # -- events ----------------------------------------------------------------------------

    def events(self, task_id: str, page_size: int = MAX_PAGE_SIZE) -> Iterator[Event]:
        """Every event of a task, oldest first, fetched page by page as you iterate.

        Each event carries ``task_id``, so the events of several tasks can be put together.
        """
        task_id = _id(task_id)
        path = self.transport.path("tasks", task_id, "events")
        raw = self.transport.items(path, "events", page_size)
        return (Event.from_json(item, task_id) for item in raw)

    def stream(self, task_id: str, *, last_event_id: str | None = None) -> Iterator[Event]:
        """Live events of a task, as the server sends them (``events/stream``, newer API).

        Existing events come first (only those after ``last_event_id`` when given), then new
        ones as they happen, until the server closes the stream. Raises ``NotFoundError`` when
        the server has no stream; the chat panel then polls instead.
        """
        from ._stream import stream_events

        return stream_events(self.transport, _id(task_id), last_event_id=last_event_id)

    def tail(self, task_id: str) -> EventTail:
        """A cursor that returns only the events that are new since its last poll."""
        from ._tail import EventTail

        return EventTail(self.transport, _id(task_id))

    def approvals(self, task_id: str) -> list[ApprovalRequest]:
        """Every approval request of a task with its state (pending, approved, ...)."""
        log = EventLog(task_id)
        log.extend(self.events(task_id))
        return log.approvals

    def pending_approval(self, task_id: str) -> ApprovalRequest | None:
        """The newest approval request still waiting for an answer, or None.

        A request this client already answered is not pending, even before the server
        shows the answer.
        """
        pending = [
            a for a in self.approvals(task_id) if a.pending and not self.answer(task_id, a.id)
        ]
        return pending[-1] if pending else None

    # -- sending ---------------------------------------------------------------------------

    def _post_event(self, task_id: str, event: dict[str, Any]) -> None:
        """POST a user event exactly once: after a lost answer the task's events are read
        back for it (same type, timestamp and text)."""
        event.setdefault("timestamp", utc_now())
        path = self.transport.path("tasks", task_id, "events")

        def landed() -> bool | None:
            raws = self.transport.items(path, "events", MAX_PAGE_SIZE)
            return True if any(_same_user_event(raw, event) for raw in raws) else None

        self.transport.write_once(self.transport.path("tasks", task_id), {"event": event}, landed)

    def send_message(
        self,
        task_id: str,
        content: str,
        add: Iterable[EntityLike] = (),
        remove: Iterable[EntityLike] = (),
        *,
        context: Context = None,
    ) -> None:
        """Send a user message to a task, optionally adding or removing entities.

        ``context`` hands Neo notebook data with the message: ``{"df_drift": df}``,
        ``[("outputs", outputs)]`` or :func:`~neo_notebook.attach` results. Each value (a
        DataFrame or Series, a dict or list, a text, a ``pathlib.Path`` to a text file) becomes
        a labelled, size-capped section after the question, with anything that looks like a
        secret redacted. A value that cannot be attached raises ``AttachmentError`` and nothing
        is sent.

        Raises ConflictError while Neo is still working on the previous message.
        """
        event = {
            "type": "user_message",
            "content": with_context(_check_content(content), context),
            "timestamp": utc_now(),
            "entity_diff": entity_diff(add=add, remove=remove),
        }
        self._post_event(_id(task_id), event)

    def answer(self, task_id: str, approval_request_id: str | None) -> Answer | None:
        """The answer this client sent to an approval request, if it sent one."""
        if not approval_request_id:
            return None
        return self._answers.get((task_id, approval_request_id))

    def answers(self, task_id: str) -> dict[str, Answer]:
        """Every answer this client sent to the task's approval requests, by request id."""
        return {a: answer for (t, a), answer in self._answers.items() if t == task_id}

    def approve(self, task_id: str, approval_request_id: str | None = None) -> str:
        """Approve a pending request (the only pending one when no id is given).

        Returns the approved request's id. Raises ApprovalError when there is none, several,
        it is malformed, or it was already answered (by anyone, or by this client even if
        the server does not show it yet); nothing is sent then.
        """
        return self._answer(task_id, approval_request_id, ok=True)

    def decline(
        self, task_id: str, approval_request_id: str | None = None, *, instructions: str = ""
    ) -> str:
        """Decline a pending request, optionally telling Neo what to do instead."""
        return self._answer(task_id, approval_request_id, ok=False, instructions=instructions)

    def _answer(
        self, task_id: str, approval_request_id: str | None, *, ok: bool, instructions: str = ""
    ) -> str:
        task_id = _id(task_id)
        with self._answering:
            approval_id = self._resolve_approval(task_id, approval_request_id)
            event: dict[str, Any] = {
                "type": "user_confirmation",
                "approval_request_id": approval_id,
                "ok": ok,
            }
            if instructions:
                event["instructions"] = instructions
            self._post_event(task_id, event)
            self._answers[(task_id, approval_id)] = Answer(
                approval_id, ok, parse_timestamp(event["timestamp"]) or datetime.now(timezone.utc)
            )
        session = existing_session(self, task_id)
        if session is not None:  # every panel of the task shows the answer at once
            session.answered()
        return approval_id

    def _resolve_approval(self, task_id: str, approval_request_id: str | None) -> str:
        requests_ = self.approvals(task_id)
        if approval_request_id is not None:
            _refuse_if_answered(self.answer(task_id, approval_request_id))
        pending = [a for a in requests_ if a.pending and not self.answer(task_id, a.id)]
        if approval_request_id is None:
            if not pending:
                answered = [self.answer(task_id, a.id) for a in requests_ if a.pending]
                _refuse_if_answered(answered[-1] if answered else None)
                raise ApprovalError(f"Task {task_id} has no pending approval request.")
            usable = [a for a in pending if not a.malformed]
            if pending[-1].malformed or not usable:
                raise ApprovalError(
                    f"The newest approval request of task {task_id} is malformed (its id or "
                    "message could not be read), so it cannot be approved safely. Answer Neo "
                    "with a message instead."
                )
            if len(usable) > 1:
                ids = ", ".join(str(a.id) for a in usable)
                raise ApprovalError(
                    f"Task {task_id} has several pending approval requests ({ids}); "
                    "pass approval_request_id=... to choose one."
                )
            return str(usable[0].id)
        match = [a for a in requests_ if a.id == approval_request_id]
        if not match:
            raise ApprovalError(
                f"Task {task_id} has no approval request {approval_request_id!r}. Pending: "
                + (", ".join(str(a.id) for a in pending if a.id) or "none")
            )
        if not match[-1].pending:
            raise ApprovalError(
                f"Approval request {approval_request_id} is already {match[-1].state}; "
                "nothing was sent."
            )
        return approval_request_id

    def cancel(self, task_id: str, *, force: bool = False) -> None:
        """Ask Neo to stop. ``force`` ends the task's turn at once (newer API only)."""
        task_id = _id(task_id)
        if force:
            path = self.transport.path("tasks", task_id, "cancel")
            self.transport.request("POST", path, body={"force": True})
        else:
            self._post_event(task_id, {"type": "user_cancel"})

    # -- tools run on this machine (CLI tool-execution mode) ------------------------------

    def start_tool_call(self, task_id: str, tool_call_id: str, name: str) -> None:
        """Tell Neo this machine starts running one of its ``cli`` calls (the user event
        ``exec_tool_call``). Posted once; if it fails, the tool must not be run."""
        self._post_event(
            _id(task_id), {"type": "exec_tool_call", "tool_call_id": tool_call_id, "name": name}
        )

    def send_tool_results(self, task_id: str, results: Iterable[Mapping[str, Any]]) -> None:
        """Answer a batch of ``cli`` calls with one ``tool_result`` user event.

        Each result is ``{"tool_call_id", "name", "content", "is_error"}``; every call of the
        batch needs one, or Neo waits forever. Secrets (the access token above all, and what
        a secret scanner finds) are redacted from every text in ``content`` first. Posted
        once: after a lost answer, the history is read for it before any resend.
        """
        from ._redaction import redact_json

        items = []
        for result in results:
            content, _ = redact_json(result.get("content"), known=self.transport.known_secrets)
            items.append(
                {
                    "tool_call_id": str(result["tool_call_id"]),
                    "name": str(result.get("name") or ""),
                    "content": content,
                    "is_error": bool(result.get("is_error")),
                }
            )
        if not items:
            raise ConfigurationError("send_tool_results needs at least one result.")
        self._post_event(_id(task_id), {"type": "tool_result", "tool_results": items})

    def runner(self, task_id: str, workspace: WorkspaceLike) -> ToolRunner:
        """The task's local tool runner (one per task per client), in ``workspace``."""
        from ._local_tools import runner_for

        return runner_for(self.session(task_id), _workspace(workspace), self)

    def run_tools(
        self, task_id: str, workspace: WorkspaceLike, *, timeout: float | None = None
    ) -> list[LocalRun]:
        """Run the task's pending ``cli`` calls in ``workspace`` as they come, until Neo's turn
        ends without any, an approval is pending, or ``timeout`` seconds pass; returns the
        runs made by this call. Safe to call again: a call is never run twice.

        Example::

            ws = Workspace("infra", allow=("read", "write"))
            for run in client.run_tools(task.id, ws):
                print(run.summary)
        """

        session = self.session(task_id)
        runner = self.runner(task_id, workspace)
        deadline = None if timeout is None else time.monotonic() + timeout
        done: list[LocalRun] = []
        while True:
            session.refresh(raise_errors=True)
            ran = runner.run_pending()
            done += ran
            status = session.status
            if not ran and status not in ("running", "awaiting_tools"):
                return done
            if deadline is not None and time.monotonic() >= deadline:
                return done
            if not ran:
                time.sleep(session.poll_interval)

    # -- notebooks -------------------------------------------------------------------------

    def session(self, task_id: str) -> TaskSession:
        """The task followed without a panel: its events, fold, status, pending approvals,
        ``wait()``; one per task per client, shared with its chat panel and the magic."""
        return session_for(self, _id(task_id))

    def chat(
        self, task_id: str | None = None, *, workspace: WorkspaceLike | None = None
    ) -> NeoChat:
        """The chat panel of a task (one per task per client, so views stay in sync), or a
        new conversation when no task is given.

        With ``workspace``, the task's ``cli`` calls run there as they come.
        """
        from ._widget import chat_for

        chat = chat_for(self, task_id)
        if workspace is not None:
            if not task_id:
                raise ConfigurationError(
                    "A workspace needs a task: client.create_task(message, workspace=...) "
                    "starts one in CLI mode, then client.chat(task.id, workspace=...)."
                )
            runner = self.runner(task_id, workspace)
            chat.supervise(runner)  # the panel asks before its first round can refuse
            runner.start()
        return chat

    def inbox(
        self,
        *,
        poll_seconds: float = 5.0,
        follow_cap: int = 50,
        page_size: int = 50,
        **filters: Any,
    ) -> NeoInbox:
        """Every task that needs you, in one place: the tasks waiting for an approval first
        (approve or reject right in the list), then those Neo works on, then the rest.

        Takes the filters of :meth:`list_tasks` (done by the server, and controls in the
        widget). The list is read again every ``poll_seconds``; the ``follow_cap`` most
        recently active tasks are followed, each for one request per read.
        """
        from ._inbox_widget import NeoInbox

        return NeoInbox(
            self, poll_seconds=poll_seconds, follow_cap=follow_cap, page_size=page_size, **filters
        )

    def events_frame(self, task_id: str) -> pd.DataFrame:
        """One task's events as a DataFrame (see :func:`neo_notebook.events_frame`)."""
        from ._history import read_events_frame

        return read_events_frame(self.transport, _id(task_id))

    def tasks_frame(self, **filters: Any) -> pd.DataFrame:
        """The org's tasks as a DataFrame (see :func:`neo_notebook.tasks_frame`); takes the
        filters of :meth:`list_tasks`."""
        from ._frames import tasks_frame

        params = self.task_filters(**filters)
        return tasks_frame(
            self.transport.items(self.transport.path("tasks"), "tasks", MAX_PAGE_SIZE, params)
        )

    def history(
        self,
        tasks: Iterable[str | Task] | None = None,
        since: datetime | str | None = None,
        workers: int = 8,
        progress: bool | None = None,
    ) -> History:
        """Events of many tasks (default: all), fetched concurrently; see ``History``."""
        from ._history import fetch_history

        return fetch_history(
            self.transport, tasks=tasks, since=since, workers=workers, progress=progress
        )

    def export(
        self,
        path: str,
        since: datetime | str | None = None,
        workers: int = 8,
        progress: bool | None = None,
    ) -> ExportSummary:
        """Write the org's tasks, events and tool calls as a Parquet dataset under ``path``
        (see :func:`neo_notebook._history.export_history`)."""
        from ._history import export_history

        return export_history(self.transport, path, since=since, workers=workers, progress=progress)

    def sync(
        self,
        path: str | os.PathLike[str],
        *,
        workers: int = 8,
        progress: bool | None = None,
    ) -> SyncSummary:
        """Keep the org's history as three Delta Lake tables under ``path``, reading only
        what is new since the last sync.

        ``path/"tasks"``, ``path/"events"`` and ``path/"tool_calls"`` have the columns of
        :func:`tasks_frame`, :func:`events_frame` (both with ``raw``) and
        :func:`tool_calls_frame` (``arguments`` as JSON text, ``duration`` as
        ``duration_s`` seconds), as :meth:`export` writes them. The first sync reads
        everything; a later one reads the task list and only the events added since, task
        by task from where the last one stopped. Run it as often as you like: events are
        merged on (task id, event id), a tool run that finished since is updated, and a sync
        killed at any point leaves every event once when run again. A folder holding other
        files, or another organization's tables, is refused and left as it was.

        Needs the ``deltalake`` package (``pip install 'neo-notebook[delta]'``). Read the
        tables with Spark, Databricks, Polars, DuckDB or pandas::

            summary = client.sync("neo-history/")
            import polars as pl
            pl.read_delta("neo-history/events").group_by("type").len()

        Args:
            workers: how many tasks are read at once.
            progress: show a progress bar; default only when a person is watching.
        """
        from ._sync import sync_history

        return sync_history(self.transport, path, workers=workers, progress=progress)


def _workspace(value: WorkspaceLike) -> Workspace:
    from ._local_tools import Workspace

    return value if isinstance(value, Workspace) else Workspace(value)


def _refuse_if_answered(answer: Answer | None) -> None:
    if answer is not None:
        verb = "approved" if answer.ok else "declined"
        raise ApprovalError(
            f"Approval request {answer.approval_request_id} was already {verb} from this "
            f"notebook at {answer.at:%H:%M:%S} UTC; nothing was sent. Neo records the answer "
            "in a moment."
        )


def _same_user_event(raw: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether a stored event is the user event we sent (same type, timestamp and text)."""
    body = raw.get("eventBody")
    if raw.get("type") != "userInput" or not isinstance(body, Mapping):
        return False
    return (
        body.get("type") == event.get("type")
        and parse_timestamp(body.get("timestamp")) == parse_timestamp(event.get("timestamp"))
        and body.get("content") == event.get("content")
        and body.get("approval_request_id") == event.get("approval_request_id")
        and body.get("tool_call_id") == event.get("tool_call_id")
        and _result_ids(body) == _result_ids(event)
    )


def _result_ids(body: Mapping[str, Any]) -> list[Any]:
    results = body.get("tool_results")
    if not isinstance(results, list):
        return []
    return [r.get("tool_call_id") for r in results if isinstance(r, Mapping)]


def _id(task_id: str) -> str:
    if not isinstance(task_id, str) or not task_id.strip():
        raise ConfigurationError(f"A task id must be a non-empty string, got {task_id!r}")
    return task_id


def _check_content(content: str) -> str:
    if not isinstance(content, str):
        raise ConfigurationError(f"A message must be text, got {type(content).__name__}")
    if not content.strip():
        raise ConfigurationError("The message is empty; write what you want Neo to do.")
    return content


def _choice(option: str, value: str | None) -> str | None:
    """``value`` if it is one of the option's choices (or None); else a clear error."""
    if value is None:
        return None
    choices = CHOICES[option]
    if value not in choices:
        raise ConfigurationError(
            f"{option} must be one of {', '.join(choices)}; got {value!r}. Nothing was sent."
        )
    return value


def _flag(option: str, value: bool | None) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ConfigurationError(f"{option} must be True or False; got {value!r}.")
    return value


def _text(option: str, value: str | None) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError(f"{option} must be non-empty text; got {value!r}.")
    return value


def _items(values: Iterable[Any]) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)):
        return [values]
    return list(values)


def _cli_integration(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        catalog, name = value.get("catalogId", value.get("catalog_id")), value.get("name")
        if isinstance(catalog, str) and catalog and isinstance(name, str) and name:
            return {"catalogId": catalog, "name": name}
    raise ConfigurationError(
        "cli_integrations takes {'catalogId': ..., 'name': ...} for each integration; "
        f"got {value!r}."
    )
