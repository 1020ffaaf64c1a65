from __future__ import annotations

import pickle

import pytest

from neo_notebook import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NeoAPIError,
    NeoConnectionError,
    NeoError,
    NeoTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from neo_notebook._errors import error_class_for


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
def test_one_class_per_status(status: int, cls: type[NeoAPIError]) -> None:
    assert error_class_for(status) is cls
    assert issubclass(cls, NeoAPIError) and issubclass(cls, NeoError)


def test_message_says_what_to_do_and_keeps_data() -> None:
    err = ConflictError(409, "cannot respond", method="POST", path="/api/x", request_id="r1")
    text = str(err)
    assert "409 cannot respond" in text and "cancel" in text and "r1" in text
    assert (err.status, err.message, err.path) == (409, "cannot respond", "/api/x")
    assert "PULUMI_ACCESS_TOKEN" in str(AuthenticationError(401, "unauthorized"))


def test_errors_pickle_and_render_one_line() -> None:
    err = NotFoundError(404, "task not found", body={"code": 404}, method="GET", path="/t")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is NotFoundError and str(again) == str(err) and again.body == {"code": 404}
    assert err._render_traceback_() == [f"NotFoundError: {err}"]


def test_timeout_is_a_connection_error() -> None:
    assert issubclass(NeoTimeoutError, NeoConnectionError)
