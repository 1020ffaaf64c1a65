"""The error tree: what each status becomes over HTTP, the names tracebacks show, pickling."""

from __future__ import annotations

import inspect
import pickle
import re
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from loopback import Canned, canned_server

import neo_notebook
from neo_notebook import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NeoAPIError,
    NeoClient,
    NeoConnectionError,
    NeoError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    _errors,
)


@pytest.fixture
def canned() -> Iterator[Canned]:
    with canned_server() as server:
        yield server


def client_for(server: Canned, **options: Any) -> NeoClient:
    url = f"http://127.0.0.1:{server.server_port}"
    return NeoClient("acme", token="pul-test", base_url=url, timeout=5, **options)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (418, NeoAPIError),
    ],
)
def test_each_status_over_http_becomes_its_class_with_the_servers_data(
    canned: Canned, status: int, cls: type[NeoAPIError]
) -> None:
    canned.status = status
    canned.body = b'{"code": %d, "message": "the server says so"}' % status
    canned.headers = {"Content-Type": "application/json", "X-Request-Id": "req-7"}
    with client_for(canned, max_retries=0) as client, pytest.raises(NeoAPIError) as caught:
        client.get_task("t1")
    assert type(caught.value) is cls
    error = caught.value
    said = (error.status, error.message, error.request_id)
    assert said == (status, "the server says so", "req-7")
    assert error.body == {"code": status, "message": "the server says so"}
    assert (error.method, error.path) == ("GET", "/api/preview/agents/acme/tasks/t1")


def test_a_success_that_is_not_json_is_not_a_connection_error_and_is_not_retried(
    canned: Canned,
) -> None:
    canned.body = b"<html><body>Pulumi Cloud console</body></html>"
    canned.headers = {"Content-Type": "text/html"}
    with client_for(canned, max_retries=5) as client, pytest.raises(NeoError) as caught:
        client.get_task("t1")
    error = caught.value
    assert isinstance(error, ResponseValidationError) and isinstance(error, NeoAPIError)
    assert not isinstance(error, NeoConnectionError)
    assert canned.requests == 1 and client.retries == 0
    assert error.status == 200 and "text/html" in str(error) and "PULUMI_BACKEND_URL" in str(error)


def test_a_listing_whose_json_is_not_an_object_is_a_validation_error(canned: Canned) -> None:
    canned.body = b'["not", "a", "page"]'
    with client_for(canned) as client, pytest.raises(ResponseValidationError, match="'tasks'"):
        client.list_tasks()
    assert canned.requests == 1


def drawn_tree() -> list[tuple[int, str]]:
    """(depth, class name) of each line of the tree drawn in ``_errors``' docstring."""
    doc = inspect.getdoc(_errors) or ""
    rows = []
    for line in doc.splitlines():
        found = re.match(r"^(\s*(?:[│ ]   )*)(?:[├└]── )?([A-Z][A-Za-z]+Error)\s", line)
        if found and line.startswith("    "):
            rows.append((len(found.group(1)) // 4, found.group(2)))
    return rows


def test_the_tree_in_the_module_docstring_is_the_class_tree() -> None:
    rows = drawn_tree()
    assert len(rows) == len(_errors.__all__)
    parents: dict[int, str] = {}
    for depth, name in rows:
        cls = getattr(neo_notebook, name)
        parents[depth] = name
        if depth > 1:
            assert cls.__bases__[0] is getattr(neo_notebook, parents[depth - 1]), name


def test_tracebacks_show_the_public_names() -> None:
    for name in (*_errors.__all__, "AttachmentError"):
        cls = getattr(neo_notebook, name)
        assert cls.__module__ == "neo_notebook" and cls.__qualname__ == name
    try:
        raise NotFoundError(404, "task not found")
    except NotFoundError as exc:
        printed = "".join(traceback.format_exception(exc))
    assert "neo_notebook.NotFoundError: 404 task not found" in printed
    assert "_errors" not in printed.splitlines()[-1]


def test_pickling_keeps_retry_after_maybe_acted_and_the_servers_data() -> None:
    limited = RateLimitError(429, "slow down", path="/t", request_id="r1", retry_after=2.5)
    limited.maybe_acted = True
    again = pickle.loads(pickle.dumps(limited))
    assert type(again) is RateLimitError and str(again) == str(limited)
    assert (again.retry_after, again.maybe_acted, again.request_id) == (2.5, True, "r1")

    dropped = NeoConnectionError("dropped after sending")
    dropped.maybe_acted = True
    assert pickle.loads(pickle.dumps(dropped)).maybe_acted is True
    assert pickle.loads(pickle.dumps(ServerError(502, "bad gateway"))).maybe_acted is False


def test_an_error_renders_as_one_line_in_ipython() -> None:
    err = ConflictError(409, "cannot respond", method="POST", path="/api/x", request_id="r1")
    (line,) = err._render_traceback_()
    assert line.startswith("ConflictError: 409 cannot respond (POST /api/x)")
    assert "cancel" in line and "r1" in line
