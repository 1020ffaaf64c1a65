"""Where the token, base URL and organization come from, the way the Pulumi CLI finds them.

Token: the ``token`` argument, then ``PULUMI_ACCESS_TOKEN``, then the Pulumi CLI's
credentials file (``~/.pulumi/credentials.json``, or under ``PULUMI_HOME``), the token of the
backend in use. Base URL: the argument, then ``PULUMI_BACKEND_URL``, then the CLI's current
backend if it is a Pulumi Cloud URL, then ``https://api.pulumi.com``. Organization: the
argument, then ``PULUMI_ORG``, then the CLI's default org for that backend (``pulumi org
set-default``), then the logged-in user's own org.

Nothing here logs or echoes a token.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.pulumi.com"


def normalize_base_url(url: str) -> str:
    """The API base URL for a backend URL as people write it.

    ``https://app.pulumi.com`` (the console) maps to ``https://api.pulumi.com``; a bare host
    gets ``https://``; trailing slashes go.
    """
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{url!r} is not a Pulumi Cloud URL. Use an http(s) URL such as "
            f"{DEFAULT_BASE_URL} (or your self-hosted API's URL)."
        )
    text = text.rstrip("/")
    if parts.hostname == "app.pulumi.com":
        text = text.replace("app.pulumi.com", "api.pulumi.com", 1)
    return text


def pulumi_home() -> Path:
    """The Pulumi CLI's home folder."""
    return Path(
        os.environ.get("PULUMI_CREDENTIALS_PATH") or os.environ.get("PULUMI_HOME") or "~/.pulumi"
    ).expanduser()


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, Mapping) else {}


def _lookup(table: Any, url: str) -> Any:
    """A value keyed by backend URL, matching either spelling (api./app., trailing slash)."""
    if not isinstance(table, Mapping):
        return None
    for key, value in table.items():
        try:
            if normalize_base_url(str(key)) == url:
                return value
        except ConfigurationError:
            continue
    return None


@dataclass(frozen=True, repr=False)
class Settings:
    """Resolved connection settings. ``repr`` never shows the token."""

    base_url: str
    org: str | None
    token: str | None = field(default=None)
    token_source: str = "none"

    def __repr__(self) -> str:
        return (
            f"Settings(base_url={self.base_url!r}, org={self.org!r}, "
            f"token={'***' if self.token else None}, token_source={self.token_source!r})"
        )


def resolve_settings(
    *, org: str | None = None, token: str | None = None, base_url: str | None = None
) -> Settings:
    """Resolve the base URL, token and org in the Pulumi CLI's order (see the module doc)."""
    home = pulumi_home()
    credentials = _read_json(home / "credentials.json")
    current = credentials.get("current")

    if base_url:
        url = normalize_base_url(base_url)
    elif os.environ.get("PULUMI_BACKEND_URL"):
        url = normalize_base_url(os.environ["PULUMI_BACKEND_URL"])
    elif isinstance(current, str) and current.startswith(("http://", "https://")):
        url = normalize_base_url(current)
    else:
        url = DEFAULT_BASE_URL

    source = "argument"
    if not token:
        token, source = os.environ.get("PULUMI_ACCESS_TOKEN") or None, "PULUMI_ACCESS_TOKEN"
    account = _lookup(credentials.get("accounts"), url)
    if not token:
        # `accounts[url].accessToken` is the newer place; `accessTokens[url]` the older one.
        stored = account.get("accessToken") if isinstance(account, Mapping) else None
        stored = stored or _lookup(credentials.get("accessTokens"), url)
        if isinstance(stored, str) and stored:
            token, source = stored, str(home / "credentials.json")
        else:
            source = "none"

    if not org:
        org = os.environ.get("PULUMI_ORG") or None
    if not org:
        backend = _lookup(_read_json(home / "config.json").get("backends"), url)
        default = backend.get("defaultOrg") if isinstance(backend, Mapping) else None
        if not default and isinstance(account, Mapping):
            default = account.get("username")  # the CLI's fallback: the user's own org
        org = default if isinstance(default, str) and default else None
    return Settings(base_url=url, org=org, token=token, token_source=source)
