"""Shared fixtures: every test runs against a real emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from neo_notebook import NeoClient, _retry
from neo_notebook.emulator import NeoEmulator

PULUMI_VARS = (
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_BACKEND_URL",
    "PULUMI_ORG",
    "PULUMI_HOME",
    "PULUMI_CREDENTIALS_PATH",
)


@pytest.fixture(autouse=True)
def isolated_pulumi_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the developer's own Pulumi login or environment."""
    for name in PULUMI_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "pulumi-home"
    home.mkdir()
    monkeypatch.setenv("PULUMI_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff in milliseconds, so fault tests stay fast; the schedule's shape is unchanged."""
    monkeypatch.setattr(_retry, "BASE_DELAY", 0.002)
    monkeypatch.setattr(_retry, "MAX_DELAY", 0.02)


@pytest.fixture
def api() -> str:
    """The API shape of the ``emulator`` fixture; parametrize ``api`` to change it."""
    return "seed"


@pytest.fixture
def emulator(api: str) -> Iterator[NeoEmulator]:
    with NeoEmulator(org="acme", seed=7, api=api) as emu:  # type: ignore[arg-type]
        yield emu


@pytest.fixture
def client(emulator: NeoEmulator) -> Iterator[NeoClient]:
    with NeoClient(
        emulator.org, token=emulator.token, base_url=emulator.url, timeout=10, max_retries=5
    ) as c:
        yield c


@pytest.fixture(scope="module")
def seeded_current() -> Iterator[tuple[NeoEmulator, NeoClient]]:
    """An emulator speaking today's API, with a history that holds every kind of event."""
    with (
        NeoEmulator(org="acme", api="current", history=24, seed=11) as emu,
        NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as client,
    ):
        yield emu, client
