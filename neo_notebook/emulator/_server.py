"""HTTP framing on a real loopback socket: the stdlib threading server, faults, and the stream.

One daemon thread per connection, HTTP/1.1 keep-alive, every response with a `Content-Length`
and a JSON body, including the refusals `http.server` itself makes (malformed request lines).
Faults are drawn before anything else happens to a request (see `_faults.py`).

The event stream (`GET .../events/stream`) is chunked, like a flushing Go server's, so clients
see each frame as it is sent. A frame is an `id: <event id>` line, a `data: <event JSON>` line
and a blank line: first the events after `Last-Event-ID` (all of them without the header, or
when the id is unknown), then new ones as they come, with a `: heartbeat` comment after each
`heartbeat` seconds of silence. It closes once the task is idle, its turn has ended and every
event has been sent (so a client reconnects after posting its next message), or after
`stream_timeout` seconds, or when the emulator stops. A stream on an idle task therefore
replays and closes.

`stop()` must be quick even with streams, hung requests and idle keep-alive connections open:
the server shuts every open connection's socket down, which wakes each handler thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._api import NeoApi, Stream
from ._errors import ApiError
from ._faults import FaultInjector
from ._validation import MAX_BODY_BYTES

logger = logging.getLogger("neo_notebook.emulator")
_MAX_DISCARD_BYTES = 16 << 20
_FRAMES_PER_WRITE = 1000


class Counters:
    """Request and fault counts, for `NeoEmulator.stats`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.faults: dict[str, int] = {}

    def request(self) -> int:
        with self.lock:
            self.requests += 1
            return self.requests

    def fault(self, kind: str) -> None:
        with self.lock:
            self.faults[kind] = self.faults.get(kind, 0) + 1


class EmulatorServer(ThreadingHTTPServer):
    """The listening server; knows its open connections so `close_all` can end them."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        *,
        api: NeoApi,
        faults: Callable[[], FaultInjector],
        latency: float,
        stopping: threading.Event,
        heartbeat: float,
        stream_timeout: float,
    ) -> None:
        self.api = api
        self.faults = faults
        self.latency = latency
        self.stopping = stopping
        self.heartbeat = heartbeat
        self.stream_timeout = stream_timeout
        self.counters = Counters()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def close_all(self) -> None:
        """Shut every open connection down, waking the threads that serve them."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection error", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "NeoEmulator/0.1"
    sys_version = ""
    # Headers and body go out in two writes; with Nagle on, the second waits for a delayed ACK.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        server = self.server
        request_number = server.counters.request()
        decision = server.faults().decide()
        delay = server.latency + decision.delay
        if delay > 0 and server.stopping.wait(delay):
            self.close_connection = True
            return
        acts_first = decision.kind is not None and decision.kind.endswith("-after")
        if decision.kind is not None and not acts_first:
            server.counters.fault(decision.kind)
            logger.debug("injecting fault %s into %s %s", decision.kind, method, self.path)
            self._fault(decision.kind)
            return
        headers = {"X-Pulumi-Request-ID": f"neo-emulator-{request_number}"}
        try:
            body = self._read_body()
            result = server.api.handle(
                method,
                self.path,
                body,
                authorization=self.headers.get("Authorization"),
                last_event_id=self.headers.get("Last-Event-ID"),
            )
            if isinstance(result, Stream):
                self._stream(result)
            elif acts_first and decision.kind is not None:
                server.counters.fault(decision.kind)
                logger.debug("losing the answer to %s %s (%s)", method, self.path, decision.kind)
                self._fault(decision.kind.removesuffix("-after"), body_read=True)
            else:
                self._respond(result.status, result.body, result.headers | headers)
        except ApiError as error:
            self._respond_error(error.status, error.message, error.headers | headers)
        except OSError:
            self.close_connection = True
        except Exception:
            logger.exception("emulator bug while serving %s %s", method, self.path)
            self._respond_error(500, "internal emulator error", headers)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise ApiError(411, "chunked bodies are not supported: send a Content-Length")
        raw = self.headers.get("Content-Length", "0").strip() or "0"
        if not raw.isdigit():
            self.close_connection = True
            raise ApiError(400, f"invalid Content-Length {raw!r}")
        length = int(raw)
        if length > MAX_BODY_BYTES:
            self._discard_body()
            raise ApiError(413, f"request body too large: {length} bytes, the limit is 1 MiB")
        return self.rfile.read(length) if length else b""

    def _discard_body(self) -> None:
        """Read a body we will not use: closing on unread data would reset the connection and
        could destroy the response before the client reads it."""
        self.close_connection = True
        raw = self.headers.get("Content-Length", "0").strip()
        remaining = int(raw) if raw.isdigit() else 0
        if remaining > _MAX_DISCARD_BYTES or self.headers.get("Transfer-Encoding"):
            return
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                return
            remaining -= len(chunk)

    def _fault(self, kind: str, *, body_read: bool = False) -> None:
        self.close_connection = True
        if kind == "drop":
            return
        if kind == "hang":
            self.server.stopping.wait()
            return
        if not body_read:
            self._discard_body()
        status = int(kind)
        headers = {"Connection": "close"}
        if status == 429:
            headers["Retry-After"] = str(self.server.faults().faults.retry_after)
            message = "rate limit exceeded (injected fault)"
        else:
            message = f"{HTTPStatus(status).phrase} (injected fault)"
        self._respond_error(status, message, headers)

    def _respond_error(self, status: int, message: str, headers: dict[str, str]) -> None:
        body = json.dumps({"code": status, "message": message}).encode()
        self._respond(status, body, {"Content-Type": "application/json", **headers})

    def _respond(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection and "Connection" not in headers:
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _stream(self, stream: Stream) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self._play_stream(stream)
        finally:
            self._write_chunk(b"")

    def _write_chunk(self, data: bytes) -> None:
        """One chunk of a chunked body, sent at once (an empty one ends the body)."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _play_stream(self, stream: Stream) -> None:
        server, store, task = self.server, self.server.api.store, stream.task
        position = stream.start
        deadline = time.monotonic() + server.stream_timeout
        quiet_since = time.monotonic()
        while not server.stopping.is_set():
            with store.cond:
                if position >= len(task.events) and task.turn is not None:
                    store.cond.wait(min(server.heartbeat, 0.25))
                end = min(len(task.events), position + _FRAMES_PER_WRITE)
                frames = [
                    b"id: %s\ndata: %s\n\n" % (task.event_ids[i].encode(), task.events[i])
                    for i in range(position, end)
                ]
                position = end
                finished = position == len(task.events) and task.turn is None
                finished = finished and task.status == "idle"
            now = time.monotonic()
            if frames:
                self._write_chunk(b"".join(frames))
                quiet_since = now
            elif finished or now >= deadline:
                return
            elif now - quiet_since >= server.heartbeat:
                self._write_chunk(b": heartbeat\n\n")
                quiet_since = now
            elif task.turn is None:
                # Running without a turn (`set_status`): nothing to wait on but time.
                server.stopping.wait(min(server.heartbeat, 0.25))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """`http.server`'s own refusals (bad request line, too-long headers...), as JSON."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # an unparsable request line: answer in HTTP/1.1
        text = message or HTTPStatus(code).phrase
        with contextlib.suppress(OSError):
            self._respond_error(code, text, {})

    def log_message(self, format: str, *args: Any) -> None:
        # Only the request line and status reach the log: never headers, so never the token.
        logger.debug("%s - %s", self.address_string(), format % args)
