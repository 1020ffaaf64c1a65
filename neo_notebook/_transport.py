"""Transport: the one HTTP session to the Neo API, with auth, timeouts, retries and paging.

Everything that crosses the network goes through :class:`Transport`: the client's
operations, the history reader and the event tail. It knows paths, pages and retries, and
nothing of what the API's JSON means.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ._errors import (
    ConfigurationError,
    NeoAPIError,
    NeoConnectionError,
    NeoError,
    NeoTimeoutError,
    RateLimitError,
    ResponseValidationError,
    error_class_for,
)
from ._retry import parse_retry_after, retry_delay, should_retry_status

__all__ = ["MAX_PAGE_SIZE", "Page", "Transport", "decode_json", "item_key"]

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


try:  # the optional accelerator (pip install 'neo-notebook[speed]')
    import orjson as _orjson
except ImportError:  # pragma: no cover - the test extra installs it
    _orjson = None  # type: ignore[assignment,unused-ignore]


def decode_json(content: bytes) -> Any:
    """A response body's JSON, with orjson when it is installed.

    orjson reads a page of events about twice as fast as the standard library, which matters
    because decoding holds the GIL while eight history readers wait for it. It refuses two
    things the standard library reads and the API may send: a lone surrogate escape
    (``"\\ud800"``) and ``NaN``/``Infinity``. Those bodies, and anything else it refuses, are
    read by the standard library, so the result never depends on whether it is installed.
    """
    if _orjson is not None:
        try:
            return _orjson.loads(content)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(content)


def item_key(item: Any) -> str | None:
    """What makes two items of a listing (tasks, events) the same one: their ``id``.

    The one rule for skipping repeats, which every reader of a listing follows (the task
    list, the frames, the event tail, the sync): an id is a non-empty string, or an integer
    (as its decimal text, so ``5`` and ``"5"`` are one id); anything else (missing, null,
    empty, a float or a boolean) is no id, and an item without one is never a repeat.

    >>> item_key({"id": 5}), item_key({"id": "e1"}), item_key({"id": ""}), item_key({})
    ('5', 'e1', None, None)
    """
    value = item.get("id") if isinstance(item, Mapping) else None
    if type(value) is str:
        return value or None
    if type(value) is int:
        return str(value)
    return None


class Page(NamedTuple):
    """One page of a listing: its items, the token that fetched it, and the next page's."""

    items: list[Any]
    token: str | None
    next_token: str | None


class Transport:
    """One pooled ``requests`` session to one organization's Neo API.

    Args:
        org, token, base_url: where and as whom (already resolved by the client).
        timeout: seconds to wait for a connection and for each read.
        max_retries: how many times a failed request is retried (see ``_retry`` for which).
        verify: TLS verification: True, False, or a CA bundle path.
        pool_size: connections kept open, for concurrent history reads.
    """

    def __init__(
        self,
        *,
        org: str,
        token: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        verify: bool | str,
        pool_size: int,
    ) -> None:
        self.org = org
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self._session = requests.Session()
        self._session.auth = _TokenAuth(token)
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
        #: Requests retried so far (for reliability reports).
        self.retries = 0
        #: Requests sent so far, retries included (for sync summaries and benchmarks).
        self.requests = 0
        self._counting = threading.Lock()

    @property
    def known_secrets(self) -> tuple[str, ...]:
        """Values no outgoing text may carry (the access token), for redaction."""
        token = self._session.auth._token if isinstance(self._session.auth, _TokenAuth) else None
        return (token,) if token else ()

    def __repr__(self) -> str:
        return f"Transport(org={self.org!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def path(self, *parts: str) -> str:
        """The API path of the org's ``parts`` (``path("tasks", id)``), each part quoted."""
        return "/".join(
            ["/api/preview/agents", quote(self.org, safe="")] + [quote(p, safe="") for p in parts]
        )

    def request(
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
            with self._counting:
                self.requests += 1
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
                error = self.api_error(response, method, path, retry_after)
                retryable = should_retry_status(response.status_code, write=write)
                cause = error
                response.close()
            if not retryable or attempt == self.max_retries:
                log.debug("%s %s failed for good: %s", method, path, error)
                # A write that failed where the server may already have acted: the caller
                # can look for its effect before sending again (see write_once).
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
    def api_error(
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

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET and decode; a success whose body is not JSON is a ResponseValidationError
        (never retried: asking again gets the same answer)."""
        response = self.request("GET", path, params=params)
        try:
            return decode_json(response.content)
        except ValueError as exc:
            raise self.invalid_body(response, "GET", path, "is not JSON") from exc

    @staticmethod
    def invalid_body(
        response: requests.Response, method: str, path: str, what: str
    ) -> ResponseValidationError:
        """The error for a success whose body is not what the API sends."""
        kind = response.headers.get("Content-Type") or "no content type"
        return ResponseValidationError(
            response.status_code,
            f"the answer ({kind}, {len(response.content):,} bytes) {what}",
            method=method,
            path=path,
            request_id=response.headers.get("X-Pulumi-Request-Id")
            or response.headers.get("X-Request-Id"),
        )

    def pages(
        self,
        path: str,
        key: str,
        page_size: int,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[Page]:
        """Every page of a listing (``key`` names its items) from ``token`` on, with
        ``params`` (filters) on every request; the first page is fetched at the call, so a
        bad id or token fails where it was asked for."""
        _check_page_size(page_size)

        def fetch(tok: str | None) -> tuple[list[Any], str | None]:
            query: dict[str, Any] = {**(params or {}), "pageSize": page_size}
            if tok:
                query["continuationToken"] = tok
            data = self.get_json(path, query)
            if not isinstance(data, Mapping):
                raise ResponseValidationError(
                    200,
                    f"the answer is JSON but not an object holding {key!r}",
                    method="GET",
                    path=path,
                )
            items = data.get(key)
            nxt = data.get("continuationToken")
            return (items if isinstance(items, list) else []), (nxt or None)

        first = fetch(token)

        def generate() -> Iterator[Page]:
            used, (items, nxt) = token, first
            while True:
                yield Page(items, used, nxt)
                if not nxt or nxt == used:
                    return
                used, (items, nxt) = nxt, fetch(nxt)

        return generate()

    def items(
        self, path: str, key: str, page_size: int, params: Mapping[str, Any] | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Every item of a listing across pages, without repeats (an item seen on an earlier
        page is skipped if a page boundary moves under us)."""
        pages = self.pages(path, key, page_size, params=params)

        def generate() -> Iterator[Mapping[str, Any]]:
            seen: set[str] = set()
            for items, _, _ in pages:
                for item in items:
                    if not isinstance(item, Mapping):
                        continue
                    key = item_key(item)
                    if key is not None:
                        if key in seen:
                            continue
                        seen.add(key)
                    yield item

        return generate()

    def write_once(
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
                return self.request("POST", path, body=body)
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
