from __future__ import annotations

import json
from pathlib import Path

import pytest

from neo_notebook import ConfigurationError, NeoClient
from neo_notebook._config import normalize_base_url, resolve_settings


def write_credentials(home: Path, url: str, token: str, **extra: object) -> None:
    data = {"current": url, "accessTokens": {url: token}, **extra}
    (home / "credentials.json").write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.pulumi.com", "https://api.pulumi.com"),
        ("https://app.pulumi.com/", "https://api.pulumi.com"),
        ("app.pulumi.com", "https://api.pulumi.com"),
        ("https://pulumi.example.com/api-root/", "https://pulumi.example.com/api-root"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_normalize_base_url(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize("bad", ["file://~", "s3://bucket", "https://"])
def test_non_cloud_backends_are_refused_clearly(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="not a Pulumi Cloud URL"):
        normalize_base_url(bad)


def test_argument_beats_environment_beats_credentials(
    monkeypatch: pytest.MonkeyPatch, isolated_pulumi_env: Path
) -> None:
    write_credentials(isolated_pulumi_env, "https://api.pulumi.com", "from-file")
    assert resolve_settings(org="o").token == "from-file"
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "from-env")
    assert resolve_settings(org="o").token == "from-env"
    settings = resolve_settings(org="o", token="from-arg")
    assert settings.token == "from-arg" and settings.token_source == "argument"


def test_credentials_token_of_the_backend_in_use(
    monkeypatch: pytest.MonkeyPatch, isolated_pulumi_env: Path
) -> None:
    write_credentials(
        isolated_pulumi_env,
        "https://api.pulumi.com",
        "cloud-token",
        accessTokens={
            "https://api.pulumi.com": "cloud-token",
            "https://pulumi.corp.example": "corp-token",
        },
        accounts={
            "https://pulumi.corp.example": {"accessToken": "corp-account-token", "username": "jdoe"}
        },
    )
    assert resolve_settings(org="o").token == "cloud-token"
    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://pulumi.corp.example/")
    settings = resolve_settings()
    # accounts[url].accessToken wins over accessTokens[url]; the user's own org is the fallback
    assert (settings.token, settings.org) == ("corp-account-token", "jdoe")
    assert settings.base_url == "https://pulumi.corp.example"


def test_backend_from_app_url_maps_to_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://app.pulumi.com")
    assert resolve_settings(org="o", token="t").base_url == "https://api.pulumi.com"


def test_org_order(monkeypatch: pytest.MonkeyPatch, isolated_pulumi_env: Path) -> None:
    (isolated_pulumi_env / "config.json").write_text(
        json.dumps({"backends": {"https://api.pulumi.com": {"defaultOrg": "cli-default"}}})
    )
    assert resolve_settings(token="t").org == "cli-default"
    monkeypatch.setenv("PULUMI_ORG", "env-org")
    assert resolve_settings(token="t").org == "env-org"
    assert resolve_settings(token="t", org="arg-org").org == "arg-org"


def test_missing_token_and_org_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="PULUMI_ACCESS_TOKEN"):
        NeoClient("acme")
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "x")
    with pytest.raises(ConfigurationError, match="PULUMI_ORG"):
        NeoClient()


def test_broken_credentials_file_is_ignored(isolated_pulumi_env: Path) -> None:
    (isolated_pulumi_env / "credentials.json").write_text("{not json")
    assert resolve_settings(org="o").token is None


def test_settings_repr_hides_token() -> None:
    settings = resolve_settings(org="o", token="super-secret-value")
    assert "super-secret-value" not in repr(settings)
