"""`neo-notebook demo`: the JupyterLab command line, its environment and the printed URL.

JupyterLab itself is not started here (tests/browser/test_demo.py opens the real thing); a
stand-in process checks what the demo hands it, over HTTP against the demo's emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from neo_notebook import _cli, _demo

REPO = Path(__file__).resolve().parents[1]


def test_the_lab_url_is_the_quickstart_and_user_arguments_win() -> None:
    command = _demo.lab_command(["--port=9999", "--no-browser"], root=REPO)
    assert command[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert "--LabApp.default_url=/lab/tree/notebooks/quickstart.ipynb" in command
    assert command[-2:] == ["--port=9999", "--no-browser"]
    # No file to run: that would make notebooks/ the server's root and change the URL.
    assert [arg for arg in command[4:] if not arg.startswith("-")] == []


def test_without_a_quickstart_lab_opens_as_usual(tmp_path: Path) -> None:
    command = _demo.lab_command(root=tmp_path)
    assert not [arg for arg in command if "default_url" in arg]


def test_the_environment_silences_the_news_prompt_and_keeps_the_users_config(
    tmp_path: Path,
) -> None:
    emulator_env = {"PULUMI_BACKEND_URL": "http://127.0.0.1:1", "PULUMI_ORG": "acme"}
    base = {"HOME": "/home/me", "JUPYTER_CONFIG_PATH": "/etc/mine", "PULUMI_ORG": "other"}
    env = _demo.lab_environment(emulator_env, tmp_path / "cfg", base=base)
    assert env["PULUMI_ORG"] == "acme" and env["HOME"] == "/home/me"
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(tmp_path / "cfg"), "/etc/mine"]
    page_config = json.loads((tmp_path / "cfg" / "labconfig" / "page_config.json").read_text())
    assert page_config == {
        "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}
    }


def test_jupyterlab_reads_the_demo_config(tmp_path: Path) -> None:
    """JupyterLab's own page-config reader sees the plugin disabled, from the path we add."""
    env = _demo.lab_environment({}, tmp_path / "cfg", base={"PATH": os.environ["PATH"]})
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "user-config")
    script = (
        "import json; from jupyterlab_server.config import get_static_page_config;"
        "print(json.dumps(get_static_page_config(level='all')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out)["disabledExtensions"][_demo.ANNOUNCEMENTS] is True


@pytest.mark.parametrize(
    ("server", "url"),
    [
        (
            {"port": 8888, "base_url": "/", "token": "abc", "secure": False},
            "http://127.0.0.1:8888/lab/tree/notebooks/quickstart.ipynb?token=abc",
        ),
        (
            {"port": 9000, "base_url": "/user/me/", "token": "", "secure": True},
            "https://127.0.0.1:9000/user/me/lab/tree/notebooks/quickstart.ipynb",
        ),
    ],
)
def test_quickstart_url(server: dict[str, Any], url: str) -> None:
    assert _demo.quickstart_url(server) == url


def test_cli_passes_options_and_lab_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(_demo, "run_demo", lambda **kwargs: seen.update(kwargs) or 0)
    assert _cli.main(["demo", "--history", "3", "--", "--no-browser", "--port=9"]) == 0
    assert seen == {
        "history": 3,
        "pace": 0.6,
        "port": 0,
        "api": "current",
        "lab_args": ["--no-browser", "--port=9"],
    }


def test_the_demo_emulator_speaks_the_current_api(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stand-in for JupyterLab reads the demo's emulator over HTTP with the env it was given."""
    seen: dict[str, Any] = {}

    class FakeLab:
        pid = 0

        def __init__(self, command: list[str], *, env: dict[str, str], **kwargs: Any) -> None:
            seen["command"], seen["env"] = command, env

        def poll(self) -> int:
            return 0

        def wait(self, timeout: float | None = None) -> int:
            env = seen["env"]
            api = f"{env['PULUMI_BACKEND_URL']}/api/preview/agents/{env['PULUMI_ORG']}/tasks"
            headers = {"Authorization": f"token {env['PULUMI_ACCESS_TOKEN']}"}
            tasks = requests.get(api, headers=headers, timeout=5).json()["tasks"]
            events = requests.get(
                f"{api}/{tasks[0]['id']}/events", headers=headers, timeout=5
            ).json()["events"]
            seen["tasks"], seen["events"] = tasks, events
            return 0

    monkeypatch.setattr(_demo.subprocess, "Popen", FakeLab)
    assert _demo.run_demo(history=2, pace=0, lab_args=["--no-browser"]) == 0
    assert len(seen["tasks"]) == 2
    messages = [e["eventBody"] for e in seen["events"] if "eventBody" in e]
    assert any("token_usage" in body for body in messages)  # only the current spec has it
    assert seen["command"][-1] == "--no-browser"
    assert "Neo emulator: http://127.0.0.1:" in capsys.readouterr().out
