"""`NeoEmulator`: a local Pulumi Neo on a loopback port, for the demo, the tests and benchmarks.

It is a real HTTP server (requests cross real sockets) speaking the Neo agent API of
shared/neo-api.md, with a scripted agent (`_agent.py`), seeded history (`_history.py`) and
injected faults (`_faults.py`). The handles tests need sit on the object: `inject_event`,
`set_status`, `posted`, `stats`, `agent_done`.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ._agent import ScriptedAgent
from ._api import NeoApi
from ._faults import FaultInjector, Faults
from ._history import build_history, default_end
from ._pagination import ContinuationTokens
from ._server import EmulatorServer
from ._shapes import ApiShape, Json
from ._store import PostedEvent, Store, TaskState

logger = logging.getLogger("neo_notebook.emulator")

USER: Json = {
    "name": "Notebook User",
    "githubLogin": "notebook-user",
    "avatarUrl": "https://avatars.githubusercontent.com/notebook-user?v=4",
}
"""Who the emulator's tokens belong to: the `createdBy` of tasks created through the API."""


@dataclass(frozen=True)
class EmulatorStats:
    """Counters since the emulator started. Also readable as a mapping: `stats["requests"]`.

    `requests` counts every request that reached a handler, faulted ones included;
    `faults_injected` (alias `faults`) counts injected faults by kind (`"429"`, `"drop"`...);
    `user_events` counts accepted user events (task creation messages included), that is
    `len(emu.posted)`.
    """

    requests: int
    faults_injected: dict[str, int]
    user_events: int

    @property
    def faults(self) -> dict[str, int]:
        """`faults_injected`, under a shorter name."""
        return self.faults_injected

    @property
    def faults_total(self) -> int:
        """All injected faults, whatever their kind."""
        return sum(self.faults_injected.values())

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


class NeoEmulator:
    """A local Neo agent API on `127.0.0.1`, with a scripted agent.

    All options are keyword-only:

    - `org` (`"acme"`): the one organization that exists; others get 404.
    - `token` (None: random): the read-write token; `readonly_token` is generated alongside.
    - `host` (`"127.0.0.1"`), `port` (0: any free port).
    - `history` (0): how many past tasks to seed; `events_per_task` (None: 10 to 60 each,
      varied; an int: exactly that many); `history_end` (None: the start of today, UTC): when
      the seeded half-year ends.
    - `pace` (0.0): seconds the scripted agent waits before each event (the demo uses ~0.6).
    - `latency` (0.0): seconds added to every request, on top of `faults.latency`.
    - `faults` (None: no faults): see `Faults`; settable at any time through `emu.faults`.
    - `api` (`"seed"`): the event shapes to speak, `"seed"` or `"current"` (see `_shapes.py`).
    - `seed` (0): fixes every id, name, PR number and history event.
    - `heartbeat` (1.0) and `stream_timeout` (300.0): seconds between the event stream's
      heartbeat comments, and the longest a stream stays open.
    - `confirmation_delay` (0.0): seconds between accepting a `user_confirmation` (the POST
      answers 202 at once) and its event landing in the task, as the live service records it
      asynchronously; meanwhile the task is `running` and its `pendingInputCount` counts it.
    - `echo_confirmations` (True): False accepts and acts on a user's `user_confirmation` but
      never lists it among the task's events (auto-approvals are still listed).

    >>> import requests
    >>> with NeoEmulator(org="acme") as emu:
    ...     r = requests.post(f"{emu.url}/api/preview/agents/acme/tasks",
    ...                       json={"message": {"type": "user_message", "content": "Hi"}},
    ...                       headers={"Authorization": f"token {emu.token}"}, timeout=5)
    ...     r.status_code, emu.agent_done(r.json()["taskId"])
    (201, True)
    """

    def __init__(
        self,
        *,
        org: str = "acme",
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        history: int = 0,
        events_per_task: int | None = None,
        history_end: float | None = None,
        pace: float = 0.0,
        latency: float = 0.0,
        faults: Faults | None = None,
        api: ApiShape = "seed",
        seed: int = 0,
        heartbeat: float = 1.0,
        stream_timeout: float = 300.0,
        confirmation_delay: float = 0.0,
        echo_confirmations: bool = True,
    ) -> None:
        if api not in ("seed", "current"):
            raise ValueError(f"api must be 'seed' or 'current', not {api!r}")
        if history < 0 or (events_per_task is not None and events_per_task < 1):
            raise ValueError("history must be >= 0 and events_per_task >= 1")
        if confirmation_delay < 0:
            raise ValueError("confirmation_delay must not be negative")
        self.org = org
        self.token = token or f"pul-{secrets.token_hex(20)}"
        self.readonly_token = f"pul-{secrets.token_hex(20)}"
        self.api: ApiShape = api
        self._host, self._port = host, port
        self._latency = latency
        self._heartbeat, self._stream_timeout = heartbeat, stream_timeout
        self._injector = FaultInjector(faults or Faults())
        self._stopping = threading.Event()
        self._store = Store(api=api, rng=random.Random(f"neo-emulator:{seed}"))
        self._agent = ScriptedAgent(
            self._store,
            org=org,
            pace=pace,
            stop=self._stopping,
            user=USER,
            confirmation_delay=confirmation_delay,
            echo_confirmations=echo_confirmations,
        )
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        if history:
            started = time.perf_counter()
            end = default_end() if history_end is None else history_end
            self._store.add_history(
                build_history(
                    count=history,
                    events_per_task=events_per_task,
                    seed=seed,
                    api=api,
                    org=org,
                    end=end,
                )
            )
            logger.info("seeded %d tasks in %.2fs", history, time.perf_counter() - started)

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"<NeoEmulator org={self.org!r} api={self.api!r} {where}>"

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> NeoEmulator:
        """Bind the port and serve in a daemon thread; returns the emulator."""
        if self._server is not None or self._stopping.is_set():
            raise RuntimeError("a NeoEmulator can be started once")
        api = NeoApi(
            store=self._store,
            agent=self._agent,
            org=self.org,
            token=self.token,
            readonly_token=self.readonly_token,
            tokens=ContinuationTokens(secrets.token_bytes(32)),
        )
        self._server = EmulatorServer(
            (self._host, self._port),
            api=api,
            faults=lambda: self._injector,
            latency=self._latency,
            stopping=self._stopping,
            heartbeat=self._heartbeat,
            stream_timeout=self._stream_timeout,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="neo-emulator",
            daemon=True,
        )
        self._thread.start()
        logger.info("Neo emulator for org %r serving on %s", self.org, self.url)
        return self

    def stop(self) -> None:
        """Stop serving: ends turns, streams, hung requests and open connections, quickly."""
        self._stopping.set()
        self._agent.stop_all()
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.close_all()
        server.server_close()
        thread.join(timeout=5)
        logger.info("Neo emulator stopped")

    def __enter__(self) -> NeoEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- where and how to connect -----------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:53211`; the API is under `/api/preview/agents`."""
        if self._server is None:
            raise RuntimeError("the emulator is not started: call start() or use `with`")
        host = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host
        return f"http://{host}:{self._server.server_port}"

    @property
    def env(self) -> dict[str, str]:
        """The environment a client reads: backend URL, access token, organization."""
        return {
            "PULUMI_BACKEND_URL": self.url,
            "PULUMI_ACCESS_TOKEN": self.token,
            "PULUMI_ORG": self.org,
        }

    # -- pace, faults and counters ----------------------------------------------------------

    @property
    def pace(self) -> float:
        """Seconds the scripted agent waits before each event; settable, effective at once."""
        return self._agent.pace

    @pace.setter
    def pace(self, pace: float) -> None:
        if pace < 0:
            raise ValueError("pace must not be negative")
        self._agent.pace = pace

    @property
    def faults(self) -> Faults:
        """The faults being injected; assigning new ones restarts their random draws."""
        return self._injector.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        self._injector = FaultInjector(faults or Faults())

    @property
    def stats(self) -> EmulatorStats:
        """A snapshot of the request, fault and user-event counters."""
        counters = self._server.counters if self._server is not None else None
        with self._store.cond:
            user_events = len(self._store.posted)
        if counters is None:
            return EmulatorStats(0, {}, user_events)
        with counters.lock:
            return EmulatorStats(counters.requests, dict(counters.faults), user_events)

    @property
    def posted(self) -> list[PostedEvent]:
        """Every accepted user event as `(task_id, event)`, in order (a copy)."""
        with self._store.cond:
            return list(self._store.posted)

    # -- reaching into tasks ----------------------------------------------------------------

    @property
    def task_ids(self) -> list[str]:
        """Every task id, newest first."""
        with self._store.cond:
            return list(self._store.order)

    def inject_event(self, task_id: str, event: Json) -> Json:
        """Append any console event to a task's log (an `id` is drawn if it has none).

        >>> emu.inject_event(task_id, {"type": "agentResponse",  # doctest: +SKIP
        ...                            "eventBody": {"type": "warning", "message": "hi"}})
        """
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ValueError("an event is a dict with a string 'type'")
        copy: Json = json.loads(json.dumps(event))
        with self._store.cond:
            stored = self._store.append(self._task(task_id), copy)
            return dict(stored)

    def set_status(self, task_id: str, status: str) -> None:
        """Force a task's `status` (`running` or `idle`); a running turn keeps playing."""
        if status not in ("running", "idle"):
            raise ValueError(f"status must be 'running' or 'idle', not {status!r}")
        with self._store.cond:
            self._task(task_id).status = status
            self._store.cond.notify_all()

    def delete_task(self, task_id: str) -> None:
        """Make a task vanish, as one deleted elsewhere does: it is no longer listed and its
        reads answer 404."""
        with self._store.cond:
            self._task(task_id)
            del self._store.tasks[task_id]
            self._store.order.remove(task_id)
            self._store.cond.notify_all()

    def agent_done(self, task_id: str, timeout: float = 10) -> bool:
        """Wait until the scripted agent has finished the task's current turn; False on timeout."""
        with self._store.cond:
            task = self._task(task_id)
            return self._store.cond.wait_for(lambda: task.turn is None, timeout)

    def _task(self, task_id: str) -> TaskState:
        task = self._store.tasks.get(task_id)
        if task is None:
            raise KeyError(f"no task {task_id!r} in this emulator")
        return task
