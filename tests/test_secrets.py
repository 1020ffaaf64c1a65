"""The access token never leaks: not in reprs, logs, tracebacks, widget state, saved notebooks,
redirects to other hosts; TLS is verified by default; and no script an agent sends survives
into the saved transcript (the corpus is tests/xss_payloads.py).

Every test uses one distinctive token, so a leak anywhere is found by a plain substring search.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nbformat
import pytest
from xss_payloads import PAYLOADS

from neo_notebook import (
    AuthenticationError,
    NeoChat,
    NeoClient,
    NeoConnectionError,
    NeoError,
    NeoTimeoutError,
)
from neo_notebook._config import resolve_settings
from neo_notebook._transcript import transcript_html
from neo_notebook.emulator import Faults, NeoEmulator

SECRET = "pul-" + "5ec7e7" * 6 + "d00d"  # "pul-" and 40 hex digits
assert len(SECRET) == 44
CHANGE = "Please fix the drift in infra/prod and open a pull request"
ALL_LOGGERS = ("", "neo_notebook", "neo_notebook.emulator", "urllib3", "requests")


def assert_no_secret(*texts: Any) -> None:
    for text in texts:
        assert SECRET not in str(text)
        # nor a recognisable part of it (e.g. a truncated or encoded form)
        assert SECRET[4:24] not in str(text)


@pytest.fixture
def emu() -> Iterator[NeoEmulator]:
    with NeoEmulator(seed=8, token=SECRET) as emulator:
        yield emulator


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything every relevant logger says, at DEBUG."""
    for name in ALL_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def client_for(emu: NeoEmulator, **kwargs: Any) -> NeoClient:
    options: dict[str, Any] = {"token": SECRET, "base_url": emu.url, "timeout": 5}
    options.update(kwargs)
    return NeoClient(emu.org, **options)


def close(chat: NeoChat) -> None:
    """Close a panel and wait for its poller to finish the request it may be making, so no
    request is still in flight when the emulator stops."""
    chat.close()
    if chat.session is not None:
        chat.session.stop(join=30)


def formatted(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


# -- reprs, logs, tracebacks ------------------------------------------------------------------


def test_a_whole_conversation_with_faults_leaks_nothing(
    emu: NeoEmulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    texts: list[Any] = []
    with client_for(emu, max_retries=6) as client:
        emu.faults = Faults(
            rate=0.3,
            kinds=("429", "500", "502", "503", "drop", "500-after", "drop-after"),
            seed=3,
        )
        chat = NeoChat(client, poll_interval=0.02, idle_interval=0.05)
        sent: list[dict[str, Any]] = []
        chat.send = sent.append  # type: ignore[method-assign]
        try:
            chat._on_front_end_message(chat, {"type": "sync", "after": -1}, [])
            chat.send_message(CHANGE)
            assert chat.wait(30)
            chat.approve()
            assert chat.wait(30)
            emu.faults = None
            assert emu.agent_done(chat.task_id or "")
            chat.refresh()
            history = client.history(progress=False)
            data, metadata = chat._repr_mimebundle_()
            texts += [
                repr(client),
                str(client),
                repr(chat),
                str(chat),
                repr(history),
                history.events.to_json(date_format="iso"),
                repr(resolve_settings(token=SECRET)),
                str(resolve_settings(token=SECRET)),
                json.dumps(chat.get_state(), default=str),
                json.dumps([data, metadata], default=str),
                json.dumps(sent, default=str),
                chat.transcript(),
                repr(client.transport._session.auth),
                repr(client.transport._session.headers),
                repr(vars(client)),
            ]
        finally:
            close(chat)
    assert emu.stats.faults_total > 0 and client.retries > 0
    records = debug_logs.records
    assert any(r.name.startswith("urllib3") for r in records)  # urllib3 did log at DEBUG
    assert any(r.name == "neo_notebook" for r in records)
    assert any(r.name == "neo_notebook.emulator" for r in records)
    texts += [debug_logs.text, *(r.getMessage() for r in records)]
    texts += [repr(r.args) for r in records]
    assert_no_secret(*texts)


@pytest.fixture
def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def raised_errors(emu: NeoEmulator, refused_port: int) -> list[NeoError]:
    """One error of every way a request can fail, each raised by a client holding SECRET."""
    errors: list[NeoError] = []
    wrong = NeoEmulator(seed=9).start()  # a server that does not know SECRET: 401
    try:
        cases: list[tuple[NeoClient, Any]] = [
            (NeoClient("acme", token=SECRET, base_url=wrong.url, max_retries=0), "get"),
            (client_for(emu, max_retries=0), "missing"),
            (
                NeoClient(
                    "acme", token=SECRET, base_url=f"http://127.0.0.1:{refused_port}", max_retries=1
                ),
                "get",
            ),
            (client_for(emu, max_retries=0, timeout=0.2), "hang"),
            (client_for(emu, max_retries=0), "drop-write"),
        ]
        for client, how in cases:
            with client:
                try:
                    if how == "get":
                        client.get_task("task_1")
                    elif how == "missing":
                        client.get_task("no-such-task")
                    elif how == "hang":
                        emu.faults = Faults(rate=1.0, kinds=("hang",), seed=1)
                        client.get_task("task_1")
                    elif how == "drop-write":
                        emu.faults = Faults(rate=1.0, kinds=("drop",), seed=1)
                        client.send_message("task_1", "hi")
                except NeoError as exc:
                    errors.append(exc)
                finally:
                    emu.faults = None
    finally:
        wrong.stop()
    return errors


def test_errors_and_their_tracebacks_hold_no_token(
    emu: NeoEmulator, refused_port: int, debug_logs: pytest.LogCaptureFixture
) -> None:
    errors = raised_errors(emu, refused_port)
    kinds = [type(e).__name__ for e in errors]
    assert kinds == [
        "AuthenticationError",
        "NotFoundError",
        "NeoConnectionError",
        "NeoTimeoutError",
        "NeoConnectionError",
    ]
    assert isinstance(errors[0], AuthenticationError) and isinstance(errors[3], NeoTimeoutError)
    texts: list[Any] = [debug_logs.text]
    for error in errors:
        texts += [str(error), repr(error), formatted(error), error._render_traceback_()]
        texts += [repr(vars(error))]
        cause: BaseException | None = error
        while cause is not None:  # the whole chain, causes and contexts
            texts += [str(cause), repr(cause), repr(cause.args)]
            cause = cause.__cause__ or cause.__context__
    # the chain is kept (it says what failed underneath), just without the token
    assert errors[2].__cause__ is not None and "Connection" in formatted(errors[2])
    assert_no_secret(*texts)


def test_tracebacks_with_locals_hold_no_token(emu: NeoEmulator, refused_port: int) -> None:
    """Error reporters that show each frame's locals (pytest --showlocals, Sentry's
    ``include_local_variables``, rich/better_exceptions) must not find the token either:
    the transport's frames hold the request headers."""
    for error in raised_errors(emu, refused_port):
        shown = "".join(
            traceback.TracebackException.from_exception(error, capture_locals=True).format()
        )
        assert SECRET not in shown, f"{type(error).__name__}: the token is in a frame's locals"


# -- redirects and TLS ------------------------------------------------------------------------


class Recording(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, answer: Any) -> None:
        super().__init__((host, 0), RecordingHandler)
        self.answer = answer  # (status, headers, body) for every request
        self.seen: list[tuple[str, str, dict[str, str]]] = []


class RecordingHandler(BaseHTTPRequestHandler):
    server: Recording
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        status, headers, body = self.server.answer(self)
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serving(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return thread


@pytest.fixture
def servers() -> Iterator[list[Recording]]:
    made: list[Recording] = []
    yield made
    for server in made:
        server.shutdown()
        server.server_close()


TASK = {"id": "task_1", "name": "moved", "status": "idle", "createdAt": "2025-01-15T00:00:00Z"}


@pytest.mark.parametrize("elsewhere", ["localhost", "127.0.0.1"], ids=["other-host", "other-port"])
def test_a_redirect_to_another_host_does_not_carry_the_token(
    servers: list[Recording], elsewhere: str
) -> None:
    target = Recording("127.0.0.1", lambda _: (200, {}, TASK))
    servers.append(target)
    serving(target)
    where = f"http://{elsewhere}:{target.server_port}"
    first = Recording(
        "127.0.0.1", lambda handler: (307, {"Location": where + handler.path}, {"code": 307})
    )
    servers.append(first)
    serving(first)
    with NeoClient(
        "acme",
        token=SECRET,
        base_url=f"http://127.0.0.1:{first.server_port}",
        max_retries=0,
        timeout=5,
    ) as client:
        assert client.get_task("task_1").name == "moved"
    (_, _, sent_first), (_, _, sent_second) = first.seen[-1], target.seen[-1]
    assert sent_first["Authorization"] == f"token {SECRET}"  # the API itself gets the token
    assert "Authorization" not in sent_second
    assert_no_secret(json.dumps(sent_second))


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the ``cryptography`` package is not installed
    in the venv, so the openssl CLI makes it)."""
    if shutil.which("openssl") is None:
        pytest.skip("neither the cryptography package nor the openssl CLI is available")
    where = tmp_path_factory.mktemp("tls")
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "key.pem", "-out", "cert.pem",
        "-subj", "/CN=neo-notebook test CA",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext", "basicConstraints=critical,CA:TRUE",
        cwd=where,
    )  # fmt: skip
    return where / "cert.pem", where / "key.pem"


@pytest.fixture
def https_server(certificate: tuple[Path, Path], servers: list[Recording]) -> Recording:
    server = Recording("127.0.0.1", lambda _: (200, {}, TASK))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    servers.append(server)
    serving(server)
    return server


def test_tls_is_verified_by_default(https_server: Recording) -> None:
    url = f"https://127.0.0.1:{https_server.server_port}"
    with NeoClient("acme", token=SECRET, base_url=url, max_retries=1, timeout=5) as client:
        assert client.transport._session.verify is True
        with pytest.raises(NeoConnectionError) as info:
            client.get_task("task_1")
    assert not https_server.seen  # no request got through the failed handshake
    assert_no_secret(formatted(info.value))
    assert isinstance(info.value.__cause__, Exception)  # the SSLError, kept as the cause


def test_a_tls_failure_says_it_is_about_the_certificate(https_server: Recording) -> None:
    url = f"https://127.0.0.1:{https_server.server_port}"
    with (
        NeoClient("acme", token=SECRET, base_url=url, max_retries=0, timeout=5) as client,
        pytest.raises(NeoConnectionError) as info,
    ):
        client.get_task("task_1")
    message = str(info.value).lower()
    assert "certificate" in message or "tls" in message, str(info.value)
    assert "verify" in message  # what to do: NeoClient(verify="/path/to/ca.pem")


def test_a_private_ca_bundle_is_trusted(
    https_server: Recording, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    url = f"https://127.0.0.1:{https_server.server_port}"
    cert, _ = certificate
    with NeoClient("acme", token=SECRET, base_url=url, verify=str(cert), timeout=5) as client:
        assert client.get_task("task_1").name == "moved"
    assert https_server.seen[-1][2]["Authorization"] == f"token {SECRET}"


def test_a_private_ca_bundle_wins_over_requests_ca_bundle(
    https_server: Recording, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``REQUESTS_CA_BUNDLE`` (set by conda, corporate images and many CI runners) must not
    override the bundle a user passed explicitly: requests lets the environment win over
    ``Session.verify`` unless ``verify`` is given per request."""
    import requests

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    url = f"https://127.0.0.1:{https_server.server_port}"
    cert, _ = certificate
    with NeoClient(
        "acme", token=SECRET, base_url=url, verify=str(cert), timeout=5, max_retries=0
    ) as client:
        assert client.get_task("task_1").name == "moved"


# -- a notebook run headless ------------------------------------------------------------------

NOTEBOOK_CELLS = [
    "import logging, sys\n"
    "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, force=True)\n"
    "%load_ext neo_notebook",
    "%%neo --wait\nPlease fix the drift in infra/prod and open a pull request",
    "%neo approve",
    "%neo status",
    "import neo_notebook, os\n"
    "client = neo_notebook.NeoClient()\n"
    "chat = client.chat(get_ipython().magics_manager.registry['NeoMagics'].current_task)\n"
    "chat.wait(30)\n"
    "print(repr(client), repr(chat), chat.transcript())\n"
    "chat",
    "client.history(progress=False)",
    "%neo events",
    # a failure, with its traceback, in the saved output
    "neo_notebook.NeoClient(base_url='http://127.0.0.1:9', max_retries=0).get_task('t')",
    "import traceback\n"
    "try:\n"
    "    neo_notebook.NeoClient(base_url='http://127.0.0.1:9', max_retries=0).get_task('t')\n"
    "except neo_notebook.NeoError as exc:\n"
    "    traceback.print_exception(exc)",
]


@pytest.mark.timeout(240)
def test_an_executed_notebook_and_its_html_hold_no_token(emu: NeoEmulator, tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source = tmp_path / "neo.ipynb"
    nbformat.write(notebook, source)
    env = {**os.environ, **emu.env, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    assert env["PULUMI_ACCESS_TOKEN"] == SECRET
    jupyter = [sys.executable, "-m", "jupyter", "nbconvert"]
    run = subprocess.run(
        [*jupyter, "--to", "notebook", "--execute", "--allow-errors",
         "--ExecutePreprocessor.timeout=120", "--output", "executed.ipynb", str(source)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=200, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    executed = (tmp_path / "executed.ipynb").read_text()
    html_run = subprocess.run(
        [*jupyter, "--to", "html", "--output", "executed.html", "executed.ipynb"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert html_run.returncode == 0, html_run.stderr[-3000:]
    html = (tmp_path / "executed.html").read_text()

    outputs = nbformat.reads(executed, as_version=4)
    texts = json.dumps([cell.get("outputs", []) for cell in outputs.cells])
    # the notebook really ran: the conversation, the approval, the panel, the error
    assert "Approved req_" in texts
    assert "application/vnd.jupyter.widget-view+json" in texts
    assert "NeoConnectionError" in texts
    assert "urllib3.connectionpool" in texts  # the DEBUG logs went into the outputs
    assert "neo-transcript" in executed  # the saved conversation, for where no widget runs
    assert len([p for _, p in emu.posted]) == 2  # the message and the confirmation
    assert_no_secret(executed, html, run.stdout, run.stderr, html_run.stdout, html_run.stderr)


# -- no script from agent text in the saved transcript ----------------------------------------

FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "svg", "math", "form", "meta", "base",
    "link", "object", "embed", "img", "input", "button", "textarea", "select", "video",
    "audio", "source", "template", "noscript", "xmp", "body", "html", "head", "marquee",
    "animate", "set", "use", "foreignobject",
}  # fmt: skip
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str) -> Elements:
    """No element that runs or loads anything, no handler, no style, no unsafe URL."""
    parsed = Elements()
    parsed.feed(html)
    parsed.close()
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & FORBIDDEN_TAGS, tags & FORBIDDEN_TAGS
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert name not in ("style", "srcdoc", "formaction", "action", "xlink:href"), name
            if name in ("href", "src", "data", "poster", "background", "cite"):
                url = (value or "").strip().lower()
                assert url.startswith(SAFE_SCHEMES), (tag, name, value)
    return parsed


def xss_events() -> list[dict[str, Any]]:
    """Every payload in every field that reaches the transcript."""
    made: list[dict[str, Any]] = []
    for n, payload in enumerate(PAYLOADS, start=1):
        text = f"payload {n}: {payload}"
        made += [
            {"type": "agentResponse", "eventBody": {"type": "set_task_name", "name": payload}},
            {"type": "userInput", "eventBody": {"type": "user_message", "content": text}},
            {"type": "agentResponse", "eventBody": {"type": "assistant_message", "content": text}},
            {
                "type": "agentResponse",
                "eventBody": {
                    "type": "assistant_message",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": f"call_{n}",
                            "type": "function",
                            "function": {"name": payload, "arguments": json.dumps({"q": payload})},
                        },
                        {
                            "id": f"approval_{n}",
                            "type": "function",
                            "function": {
                                "name": "approval_request",
                                "arguments": json.dumps(
                                    {"approval_request_id": f"req_{n}", "description": text}
                                ),
                            },
                        },
                    ],
                },
            },
            {
                "type": "agentResponse",
                "eventBody": {
                    "type": "tool_response",
                    "tool_call_id": f"call_{n}",
                    "name": payload,
                    "content": payload,
                },
            },
            {"type": "agentResponse", "eventBody": {"type": "error", "message": text}},
            {"type": "agentResponse", "eventBody": {"type": payload}},
        ]
    return made


def test_the_payloads_live_as_raw_html_are_inert_once_the_package_renders_them() -> None:
    # The check finds what runs: most payloads, dropped into a page as they are, fail it...
    live = []
    for payload in PAYLOADS:
        try:
            assert_inert(payload)
        except AssertionError:
            live.append(payload)
    assert len(live) >= 40
    # ...and the package's rendering is what makes each of them inert.
    for payload in live:
        assert_inert(transcript_html(payload))


@pytest.mark.parametrize("n", range(1, len(PAYLOADS) + 1))
def test_a_payload_as_the_whole_transcript_is_inert(n: int) -> None:
    assert_inert(transcript_html(PAYLOADS[n - 1]))
    assert_inert(transcript_html(f"**Neo:**\n\n{PAYLOADS[n - 1]}\n\n> {PAYLOADS[n - 1]}"))


def test_the_saved_transcript_of_a_hostile_conversation_is_inert(emu: NeoEmulator) -> None:
    with client_for(emu) as client:
        task = client.create_task("What is in my stack?")
        assert emu.agent_done(task.id)
        for event in xss_events():
            emu.inject_event(task.id, event)
        chat = NeoChat(client, task.id, poll_interval=0.05, idle_interval=0.05)
        try:
            data, _ = chat._repr_mimebundle_()
        finally:
            close(chat)
    parsed = assert_inert(data["text/html"])
    shown = "".join(parsed.text)
    for n in range(1, len(PAYLOADS) + 1):
        assert f"payload {n}:" in shown  # the text around a payload still shows
    assert "__xss=1" in shown  # a script is shown as text, not dropped silently
