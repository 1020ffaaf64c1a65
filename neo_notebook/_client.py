"""NeoClient: one object that owns the session, base URL, auth, timeouts and retries.

Every operation of the Neo agent API is a method here. Iteration is pagination: ``events``
and ``list_tasks`` fetch their first page at the call (so a bad token or task id fails where
you called it) and the rest as you iterate.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ._config import resolve_settings
from ._entities import EntityLike, entity_diff
from ._errors import (
    ApprovalError,
    ConfigurationError,
    NeoAPIError,
    NeoConnectionError,
    NeoError,
    NeoTimeoutError,
    RateLimitError,
    error_class_for,
)
from ._models import ApprovalRequest, Event, Task, approval_requests, parse_timestamp
from ._retry import parse_retry_after, retry_delay, should_retry_status

if TYPE_CHECKING:
    import pandas as pd

    from ._frames import History
    from ._tail import EventTail
    from ._widget import NeoChat

__all__ = ["NeoClient"]

log = logging.getLogger("neo_notebook")

ACCEPT = "application/vnd.pulumi+8"
MAX_PAGE_SIZE = 1000
_T = TypeVar("_T")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neo-notebook")
    except PackageNotFoundError:
        return "0+unknown"


def utc_now() -> str:
    """The current time as RFC 3339 UTC with microseconds (the API's timestamp format)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


class _TokenAuth(requests.auth.AuthBase):
    """Adds ``Authorization: token ...``; keeps the token out of reprs and session headers.

    requests drops auth headers when a redirect leaves the original host, so a redirect can
    never carry the token elsewhere.
    """

    def __init__(self, token: str | None) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token:
            request.headers["Authorization"] = f"token {self._token}"
        return request

    def __repr__(self) -> str:
        return "<token auth ***>"


def _check_page_size(page_size: int) -> int:
    if (
        isinstance(page_size, bool)
        or not isinstance(page_size, int)
        or not (1 <= page_size <= MAX_PAGE_SIZE)
    ):
        raise ConfigurationError(f"page_size must be an integer from 1 to 1000, got {page_size!r}")
    return page_size


def _is_connect_failure(exc: requests.RequestException) -> bool:
    """True when the request never reached the server, so even a write is safe to repeat."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the real cause
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


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
        self.timeout = timeout
        self.max_retries = max_retries
        self._session = requests.Session()
        self._session.auth = _TokenAuth(settings.token)
        self._session.verify = verify
        # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override Session.verify; an explicit
        # choice is passed with each request instead, where it wins.
        self._verify: bool | str | None = None if verify is True else verify
        self._session.headers.update(
            {
                "Accept": ACCEPT,
                "Content-Type": "application/json",
                "User-Agent": f"neo-notebook/{_version()}",
            }
        )
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._chats: dict[str, NeoChat] = {}
        #: Requests retried since this client was made (for reliability reports).
        self.retries = 0

    def __repr__(self) -> str:
        return f"NeoClient(org={self.org!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def __enter__(self) -> NeoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def _path(self, *parts: str) -> str:
        from urllib.parse import quote

        return "/".join(
            ["/api/preview/agents", quote(self.org, safe="")] + [quote(p, safe="") for p in parts]
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request with bounded, jittered retries; raise a typed error after the last.

        Writes are retried only where the server cannot have acted (see ``_retry``).
        """
        write = method != "GET"
        data = json.dumps(body) if body is not None else None
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            error: NeoError
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=data,
                    headers=headers,
                    stream=stream,
                    timeout=self.timeout,
                    verify=self._verify,
                )
            except requests.Timeout as exc:
                retryable = not write or isinstance(exc, requests.ConnectTimeout)
                error = NeoTimeoutError(
                    f"Pulumi Cloud did not answer {method} {path} within {self.timeout:g}s. "
                    + (
                        "It may still have acted: check the task's events before resending. "
                        if write
                        else ""
                    )
                    + "Try again, or raise NeoClient(timeout=...)."
                )
                cause: BaseException = exc
            except requests.exceptions.SSLError as exc:
                # The handshake failed before anything was sent: nothing to retry or check.
                retryable = False
                error = NeoConnectionError(
                    f"TLS to {self.base_url} failed: its certificate could not be verified "
                    f"({_first_line(exc)}). For a self-hosted Pulumi Cloud behind a private CA, "
                    "pass NeoClient(verify='/path/to/ca-bundle.pem')."
                )
                cause = exc
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                # The last two: the answer was cut short, so the server did get the request.
                retryable = not write or _is_connect_failure(exc)
                error = NeoConnectionError(
                    f"Could not reach {self.base_url} ({method} {path}): {type(exc).__name__}. "
                    + (
                        "The connection dropped after the request was sent, so it may have been "
                        "received: check the task's events before resending. "
                        if write and not retryable
                        else ""
                    )
                    + "Check the network and the base URL (PULUMI_BACKEND_URL)."
                )
                cause = exc
            else:
                if response.status_code < 400:
                    log.debug("%s %s -> %s", method, path, response.status_code)
                    return response
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                error = self._api_error(response, method, path, retry_after)
                retryable = should_retry_status(response.status_code, write=write)
                cause = error
                response.close()
            if not retryable or attempt == self.max_retries:
                log.debug("%s %s failed for good: %s", method, path, error)
                # A write that failed where the server may already have acted: the caller
                # can look for its effect before sending again (see _post_event).
                error.maybe_acted = (
                    write
                    and not retryable
                    and (not isinstance(error, NeoAPIError) or error.status in (500, 502, 504))
                )
                if cause is error:
                    raise error
                # Keep the cause's text but not its frames: their locals hold the headers,
                # and so the token, for anything that prints locals (pytest -l, Sentry).
                raise error from _without_frames(cause)
            delay = retry_delay(attempt, retry_after)
            log.debug(
                "%s %s failed (%s); retry %d in %.2fs", method, path, error, attempt + 1, delay
            )
            self.retries += 1
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _api_error(
        response: requests.Response, method: str, path: str, retry_after: float | None
    ) -> NeoAPIError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        message = body.get("message") if isinstance(body, Mapping) else None
        if not isinstance(message, str) or not message:
            message = response.reason or "error"
        request_id = response.headers.get("X-Pulumi-Request-Id") or response.headers.get(
            "X-Request-Id"
        )
        cls = error_class_for(response.status_code)
        kwargs: dict[str, Any] = {
            "body": body,
            "method": method,
            "path": path,
            "request_id": request_id,
        }
        if cls is RateLimitError:
            kwargs["retry_after"] = retry_after
        return cls(response.status_code, message, **kwargs)

    def _get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self._request("GET", path, params=params)
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise NeoConnectionError(
                f"GET {path} answered with something that is not JSON; check the base URL "
                f"({self.base_url}) points at the Pulumi Cloud API, not the console."
            ) from exc

    # -- pagination ------------------------------------------------------------------------

    def _pages(
        self, path: str, key: str, page_size: int, token: str | None = None
    ) -> Iterator[tuple[list[Any], str | None, str | None]]:
        """Yield ``(items, token_used, next_token)`` page by page, the first one eagerly."""
        _check_page_size(page_size)

        def fetch(tok: str | None) -> tuple[list[Any], str | None]:
            params: dict[str, Any] = {"pageSize": page_size}
            if tok:
                params["continuationToken"] = tok
            data = self._get_json(path, params)
            items = data.get(key) if isinstance(data, Mapping) else None
            nxt = data.get("continuationToken") if isinstance(data, Mapping) else None
            return (items if isinstance(items, list) else []), (nxt or None)

        first = fetch(token)

        def generate() -> Iterator[tuple[list[Any], str | None, str | None]]:
            used, (items, nxt) = token, first
            while True:
                yield items, used, nxt
                if not nxt or nxt == used:
                    return
                used, (items, nxt) = nxt, fetch(nxt)

        return generate()

    def _iter_raw(self, path: str, key: str, page_size: int) -> Iterator[Mapping[str, Any]]:
        """Every item across pages, without repeats (an item seen on an earlier page is
        skipped if a page boundary moves under us)."""
        pages = self._pages(path, key, page_size)

        def generate() -> Iterator[Mapping[str, Any]]:
            seen: set[str] = set()
            for items, _, _ in pages:
                for item in items:
                    if not isinstance(item, Mapping):
                        continue
                    item_id = item.get("id")
                    if isinstance(item_id, str) and item_id:
                        if item_id in seen:
                            continue
                        seen.add(item_id)
                    yield item

        return generate()

    def _iter_raw_events(
        self, task_id: str, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Mapping[str, Any]]:
        return self._iter_raw(self._path("tasks", task_id, "events"), "events", page_size)

    # -- tasks -----------------------------------------------------------------------------

    def create_task(
        self,
        message: str,
        *,
        entities: Iterable[EntityLike] = (),
        approval_mode: str | None = None,
        plan_mode: bool | None = None,
        **extra: Any,
    ) -> Task:
        """Start a task with a first message; returns it (``task.id``).

        ``entities`` take entity objects or short forms (``"project/stack"``,
        ``"github:org/repo"``). ``approval_mode`` (``manual``, ``balanced``, ``auto``),
        ``plan_mode`` and any other keyword are passed through to the API as given.
        """
        content = _check_content(message)
        body: dict[str, Any] = {
            "message": {
                "type": "user_message",
                "content": content,
                "timestamp": utc_now(),
                "entity_diff": entity_diff(add=entities),
            }
        }
        if approval_mode is not None:
            body["approvalMode"] = approval_mode
        if plan_mode is not None:
            body["planMode"] = plan_mode
        body.update(extra)
        task_id = self._post_task(body)
        try:
            return self.get_task(task_id)
        except NeoError:
            # The task exists; a failed read must not lose its id.
            return Task.from_json({"id": task_id, "status": "running", "entities": []})

    def _write_once(
        self, path: str, body: Any, landed: Callable[[], _T | None]
    ) -> requests.Response | _T:
        """POST exactly once, even when the answer is lost.

        When a POST fails in a way that leaves it unknown whether the server acted (a
        dropped connection, a read timeout, a 500/502/504), ``landed`` looks for its effect:
        what it finds is returned, and if it finds nothing the POST is safe to send again. If
        it cannot look (the reads fail too), the original error is raised.
        """
        for attempt in range(self.max_retries + 1):
            try:
                return self._request("POST", path, body=body)
            except NeoError as exc:
                if not exc.maybe_acted or attempt == self.max_retries:
                    raise
                try:
                    found = landed()
                except NeoError:
                    raise exc from None
                if found is not None:
                    log.debug("POST %s had landed despite %s", path, exc)
                    return found
                log.debug("POST %s had not landed (%s); sending again", path, exc)
                self.retries += 1
                time.sleep(retry_delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_task(self, body: dict[str, Any]) -> str:
        """POST a new task exactly once and return its id: after a lost answer the newest
        tasks are checked for one whose first event is our message."""
        result = self._write_once(
            self._path("tasks"), body, lambda: self._find_created_task(body["message"])
        )
        if isinstance(result, str):
            return result
        try:
            task_id = result.json()["taskId"]
        except (ValueError, KeyError, TypeError) as exc:
            raise NeoConnectionError(
                "Pulumi Cloud accepted the task but did not return its id; list your tasks "
                "with client.list_tasks() to find it."
            ) from exc
        return str(task_id)

    def _find_created_task(self, message: Mapping[str, Any]) -> str | None:
        """The id of a recent task whose first event is ``message``, if there is one."""
        sent = parse_timestamp(message.get("timestamp"))
        items, _, _ = next(self._pages(self._path("tasks"), "tasks", 20))
        for item in items:
            created = parse_timestamp(item.get("createdAt")) if isinstance(item, Mapping) else None
            if not created or not sent or (sent - created).total_seconds() > 300:
                continue
            task_id = str(item.get("id"))
            first, _, _ = next(self._pages(self._path("tasks", task_id, "events"), "events", 1))
            if first and isinstance(first[0], Mapping) and _same_user_event(first[0], message):
                return task_id
        return None

    def get_task(self, task_id: str) -> Task:
        """One task."""
        return Task.from_json(self._get_json(self._path("tasks", _check_id(task_id))))

    def list_tasks(self, page_size: int = MAX_PAGE_SIZE) -> Iterator[Task]:
        """Every task of the org, newest first, fetched page by page as you iterate."""
        raw = self._iter_raw(self._path("tasks"), "tasks", page_size)
        return (Task.from_json(item) for item in raw)

    def update_task(self, task_id: str, **fields: Any) -> Task:
        """Change task settings (e.g. ``isShared=True``); fields are passed through as given."""
        if not fields:
            raise ConfigurationError("update_task needs at least one field, e.g. isShared=True")
        response = self._request("PATCH", self._path("tasks", _check_id(task_id)), body=fields)
        try:
            return Task.from_json(response.json())
        except ValueError:
            return self.get_task(task_id)

    # -- events ----------------------------------------------------------------------------

    def events(self, task_id: str, page_size: int = MAX_PAGE_SIZE) -> Iterator[Event]:
        """Every event of a task, oldest first, fetched page by page as you iterate."""
        raw = self._iter_raw_events(_check_id(task_id), page_size)
        return (Event.from_json(item) for item in raw)

    def stream(self, task_id: str, *, last_event_id: str | None = None) -> Iterator[Event]:
        """Live events of a task, as the server sends them (``events/stream``, newer API).

        Existing events come first (only those after ``last_event_id`` when given), then new
        ones as they happen, until the server closes the stream. Raises ``NotFoundError`` when
        the server has no stream; the chat panel then polls instead.
        """
        from ._stream import iter_sse

        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if last_event_id:  # an empty Last-Event-ID is rejected by some proxies
            headers["Last-Event-ID"] = last_event_id
        path = self._path("tasks", _check_id(task_id), "events", "stream")
        response = self._request("GET", path, headers=headers, stream=True)

        def generate() -> Iterator[Event]:
            with response:
                try:
                    # Bytes: event streams are UTF-8 whatever the headers say (requests
                    # would decode text/event-stream as ISO-8859-1).
                    for _, data in iter_sse(response.iter_lines()):
                        try:
                            raw = json.loads(data)
                        except ValueError:
                            log.debug("skipping a stream frame that is not JSON")
                            continue
                        if isinstance(raw, Mapping):
                            yield Event.from_json(raw)
                except requests.RequestException as exc:
                    raise NeoConnectionError(
                        f"The event stream of task {task_id} broke ({type(exc).__name__}); "
                        "reconnect to resume from the last event."
                    ) from exc

        return generate()

    def tail(self, task_id: str) -> EventTail:
        """A cursor that returns only the events that are new since its last poll."""
        from ._tail import EventTail

        return EventTail(self, task_id)

    def approvals(self, task_id: str) -> list[ApprovalRequest]:
        """Every approval request of a task with its state (pending, approved, ...)."""
        return approval_requests(list(self.events(task_id)))

    def pending_approval(self, task_id: str) -> ApprovalRequest | None:
        """The newest approval request still waiting for an answer, or None."""
        pending = [a for a in self.approvals(task_id) if a.pending]
        return pending[-1] if pending else None

    # -- sending ---------------------------------------------------------------------------

    def _post_event(self, task_id: str, event: dict[str, Any]) -> None:
        """POST a user event exactly once: after a lost answer the task's events are read
        back for it (same type, timestamp and text)."""
        event.setdefault("timestamp", utc_now())

        def landed() -> bool | None:
            raws = self._iter_raw_events(task_id)
            return True if any(_same_user_event(raw, event) for raw in raws) else None

        self._write_once(self._path("tasks", _check_id(task_id)), {"event": event}, landed)

    def send_message(
        self,
        task_id: str,
        content: str,
        add: Iterable[EntityLike] = (),
        remove: Iterable[EntityLike] = (),
    ) -> None:
        """Send a user message to a task, optionally adding or removing entities.

        Raises ConflictError while Neo is still working on the previous message.
        """
        event = {
            "type": "user_message",
            "content": _check_content(content),
            "timestamp": utc_now(),
            "entity_diff": entity_diff(add=add, remove=remove),
        }
        self._post_event(task_id, event)

    def _resolve_approval(self, task_id: str, approval_request_id: str | None) -> str:
        requests_ = self.approvals(task_id)
        pending = [a for a in requests_ if a.pending]
        if approval_request_id is None:
            if not pending:
                raise ApprovalError(f"Task {task_id} has no pending approval request.")
            usable = [a for a in pending if not a.malformed]
            if pending[-1].malformed or not usable:
                raise ApprovalError(
                    f"The newest approval request of task {task_id} is malformed (its arguments "
                    "could not be read), so it cannot be approved safely. Read it in the chat "
                    "panel and answer Neo with a message instead."
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

    def approve(self, task_id: str, approval_request_id: str | None = None) -> str:
        """Approve a pending request (the only pending one when no id is given).

        Returns the approved request's id. Raises ApprovalError when there is none, several,
        it is malformed, or it was already answered; nothing is sent then.
        """
        approval_id = self._resolve_approval(task_id, approval_request_id)
        self._post_event(
            task_id,
            {"type": "user_confirmation", "approval_request_id": approval_id, "ok": True},
        )
        return approval_id

    def decline(
        self, task_id: str, approval_request_id: str | None = None, *, instructions: str = ""
    ) -> str:
        """Decline a pending request, optionally telling Neo what to do instead."""
        approval_id = self._resolve_approval(task_id, approval_request_id)
        event: dict[str, Any] = {
            "type": "user_confirmation",
            "approval_request_id": approval_id,
            "ok": False,
        }
        if instructions:
            event["instructions"] = instructions
        self._post_event(task_id, event)
        return approval_id

    def cancel(self, task_id: str, *, force: bool = False) -> None:
        """Ask Neo to stop. ``force`` ends the task's turn at once (newer API only)."""
        if force:
            self._request(
                "POST", self._path("tasks", _check_id(task_id), "cancel"), body={"force": True}
            )
        else:
            self._post_event(task_id, {"type": "user_cancel"})

    # -- notebooks -------------------------------------------------------------------------

    def chat(self, task_id: str | None = None) -> NeoChat:
        """The chat panel of a task (one per task per client, so views stay in sync)."""
        from ._widget import NeoChat

        if task_id and task_id in self._chats:
            return self._chats[task_id]
        chat = NeoChat(self, task_id=task_id)
        if task_id:
            self._chats[task_id] = chat
        return chat

    def _remember_chat(self, chat: NeoChat) -> None:
        if chat.task_id:
            self._chats.setdefault(chat.task_id, chat)

    def events_frame(self, task_id: str) -> pd.DataFrame:
        """One task's events as a DataFrame (see :func:`neo_notebook.events_frame`)."""
        from ._frames import fetch_events_frame

        return fetch_events_frame(self, _check_id(task_id))

    def tasks_frame(self) -> pd.DataFrame:
        """Every task of the org as a DataFrame (see :func:`neo_notebook.tasks_frame`)."""
        from ._frames import tasks_frame

        return tasks_frame(self._iter_raw(self._path("tasks"), "tasks", MAX_PAGE_SIZE))

    def history(
        self,
        tasks: Iterable[str | Task] | None = None,
        since: datetime | str | None = None,
        workers: int = 8,
        progress: bool | None = None,
    ) -> History:
        """Events of many tasks (default: all), fetched concurrently; see ``History``."""
        from ._frames import fetch_history

        return fetch_history(self, tasks=tasks, since=since, workers=workers, progress=progress)

    def export(self, path: str, since: datetime | str | None = None, workers: int = 8) -> Any:
        """Write the org's tasks, events and tool calls as a Parquet dataset under ``path``."""
        from ._frames import export_history

        return export_history(self, path, since=since, workers=workers)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _without_frames(exc: BaseException) -> BaseException:
    """``exc`` and the exceptions chained to it, with their tracebacks dropped."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        pending.extend(a for a in current.args if isinstance(a, BaseException))
    return exc


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
    )


def _check_id(task_id: str) -> str:
    if not isinstance(task_id, str) or not task_id.strip():
        raise ConfigurationError(f"A task id must be a non-empty string, got {task_id!r}")
    return task_id


def _check_content(content: str) -> str:
    if not isinstance(content, str):
        raise ConfigurationError(f"A message must be text, got {type(content).__name__}")
    if not content.strip():
        raise ConfigurationError("The message is empty; write what you want Neo to do.")
    return content
