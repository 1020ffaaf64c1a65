"""Tiny loopback HTTP servers for the cases the emulator cannot play (a cut-short answer,
odd continuation tokens, redirects, TLS)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from typing import Any, TypeVar

S = TypeVar("S", bound=HTTPServer)


@contextmanager
def serving(server: S) -> Iterator[S]:
    """Serve on a thread for the duration of the block, then shut down and close."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class Canned(ThreadingHTTPServer):
    """Answers every request with one status, headers and body; counts the requests."""

    status = 200
    body = b"{}"
    headers: dict[str, str] = {}  # noqa: RUF012 - set per test
    requests = 0


class Handler(BaseHTTPRequestHandler):
    server: Canned

    def do_GET(self) -> None:
        self.server.requests += 1
        self.send_response(self.server.status)
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def canned_server() -> Iterator[Canned]:
    """A :class:`Canned` server on loopback for the duration of the block."""
    with serving(Canned(("127.0.0.1", 0), Handler)) as server:
        yield server
