"""`neo-notebook emulator`: prints eval-able exports, serves, and stops cleanly."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from neo_notebook._cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_emulator_command_prints_exports_and_serves() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "neo_notebook._cli",
        "emulator",
        "--port",
        "0",
        "--history",
        "4",
        "--org",
        "globex",
        "--token",
        "pul-test token",
        "--pace",
        "0",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline().strip() for _ in range(3)]
            values = dict(
                shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in lines
            )
            assert all(line.startswith("export ") for line in lines)
            assert list(values) == ["PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_ORG"]
            assert values["PULUMI_ACCESS_TOKEN"] == "pul-test token"
            assert values["PULUMI_ORG"] == "globex"
            url = f"{values['PULUMI_BACKEND_URL']}/api/preview/agents/globex/tasks"
            with requests.Session() as s:
                r = s.get(url, headers={"Authorization": "token pul-test token"}, timeout=10)
            assert r.status_code == 200 and len(r.json()["tasks"]) == 4
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopped" in stderr and "pul-test token" not in stderr


def test_a_random_token_and_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "neo_notebook._cli",
        "emulator",
        "--port",
        "0",
        "--history",
        "0",
        "--api",
        "current",
        "--fault-rate",
        "0.1",
        "--seed",
        "3",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    ) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
        process.terminate()
        process.communicate(timeout=10)
    token = lines[1].removeprefix("export PULUMI_ACCESS_TOKEN=")
    assert token.startswith("pul-") and len(token) > 30
    assert process.returncode == 0


def test_ctrl_c_stops_it_when_started_as_a_background_job() -> None:
    # A shell starts `neo-notebook emulator &` with SIGINT ignored; it must still stop.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "neo_notebook._cli", "emulator", "--port", "0"]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    ) as process:
        assert process.stdout is not None
        process.stdout.readline()
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=10)
        finally:
            process.kill()
    assert process.returncode == 0 and "stopped" in stderr


@pytest.mark.parametrize(
    "argv", [[], ["emulator", "--api", "v3"], ["emulator", "--port", "x"], ["nope"]]
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: neo-notebook" in capsys.readouterr().err


def test_bad_values_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--port", "0", "--fault-rate", "3"]) == 2
    assert "rate" in capsys.readouterr().err
