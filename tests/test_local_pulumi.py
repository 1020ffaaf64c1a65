"""pulumi__pulumi_preview / pulumi__pulumi_up against a stand-in ``pulumi``.

The real pulumi CLI cannot be installed on the test machines, so these tests put a small
stand-in executable named ``pulumi`` first on PATH: it records its arguments, prints what the
CLI prints, writes an NDJSON event log where ``--event-log`` says (a summary event and
diagnostics, the same shapes the CLI writes), echoes the secret environment variable
everywhere it can, and fails when the stack is called ``broken``.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from neo_notebook._local_tools import Workspace, _paths, _pulumi, run_tool

SECRET = "s3cr3t-" + "v4lue-9f8e7d"

STAND_IN = textwrap.dedent(
    """
    #!{python}
    import json, os, sys, time
    args = sys.argv[1:]
    with open(os.environ["STANDIN_ARGS"], "w") as f:
        json.dump({{"args": args, "cwd": os.getcwd()}}, f)
    log = args[args.index("--event-log") + 1]
    stack = args[args.index("--stack") + 1]
    secret = os.environ.get("DB_PASSWORD", "")
    print("Previewing update (" + stack + ")")
    url = "https://app.pulumi.com/acme/shop/" + stack.split("/")[-1] + "/previews/1"
    print("View in Browser (Ctrl+O): " + url)
    print("password is " + secret, file=sys.stderr, flush=True)
    events = [
        {{"sequence": 0, "timestamp": 1, "preludeEvent": {{"config": {{"db": secret}}}}}},
        {{"sequence": 1, "timestamp": 1, "diagnosticEvent": {{
            "severity": "warning",
            "message": "<{{%reset%}}>deprecated: " + secret + "<{{%reset%}}>\\n",
            "ephemeral": False}}}},
        {{"sequence": 2, "timestamp": 1, "diagnosticEvent": {{
            "severity": "info", "message": "just info", "ephemeral": False}}}},
        {{"sequence": 3, "timestamp": 1, "diagnosticEvent": {{
            "severity": "error", "message": "ephemeral", "ephemeral": True}}}},
        {{"sequence": 4, "timestamp": 2, "summaryEvent": {{
            "resourceChanges": {{"same": 4, "update": 1, "create": 2, "delete": 0}}}}}},
    ]
    if stack == "slow":
        time.sleep(30)
    with open(log, "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\\n")
    if stack == "broken":
        print("error: preview failed: resource aws:s3:Bucket is invalid", file=sys.stderr)
        sys.exit(255)
    """
).lstrip()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setattr(_paths, "temp_dirs", lambda: [])
    project = tmp_path / "ws" / "infra"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    return Workspace(tmp_path / "ws", allow=("read", "preview", "up"))


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pulumi"
    exe.write_text(STAND_IN.format(python=sys.executable))
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_ARGS", str(tmp_path / "args.json"))
    return tmp_path / "args.json"


def run(
    ws: Workspace, name: str = "pulumi__pulumi_preview", **args: object
) -> tuple[dict[str, object], bool]:
    base: dict[str, object] = {
        "stack_name": "acme/shop/dev",
        "local_pulumi_dir": str(ws.root / "infra"),
        "environment_variables": {"DB_PASSWORD": {"secret": SECRET}, "REGION": "eu-west-1"},
    }
    outcome = run_tool(ws, name, {**base, **args})
    assert isinstance(outcome.content, dict)
    return outcome.content, outcome.is_error


def test_a_preview_succeeds_with_the_cli_shape(ws: Workspace, stand_in: Path) -> None:
    content, is_error = run(ws)
    assert not is_error
    events_file = Path(str(content.pop("events_file")))
    summary = str(content.pop("update_summary"))
    assert content == {
        "deployment_id": "",
        "console_url": "https://app.pulumi.com/acme/shop/dev/previews/1",
        "logs": "summary: 2 create, 1 update\nwarning: deprecated: [redacted: secret]\n",
        "status": "succeeded",
        "branch_name": "",
        "project_name": "shop",
        "stack_name": "dev",
    }
    assert summary.startswith("stack: dev (") and summary.endswith(
        ")\nchanges: 2 create, 1 update\n"
    )
    called = json.loads(stand_in.read_text())
    assert called["cwd"] == str(ws.root / "infra")
    assert called["args"][:6] == [
        "preview",
        "--stack",
        "acme/shop/dev",
        "--non-interactive",
        "--color",
        "never",
    ]
    assert "--yes" not in called["args"]
    lines = events_file.read_text().splitlines()
    assert events_file.name.startswith("pulumi-neo-events-") and len(lines) == 5
    assert [next(k for k in json.loads(line) if k.endswith("Event")) for line in lines][
        -1
    ] == "summaryEvent"


def test_up_runs_without_asking_again(ws: Workspace, stand_in: Path) -> None:
    content, is_error = run(ws, "pulumi__pulumi_up", stack_name="dev")
    assert not is_error and content["status"] == "succeeded"
    args = json.loads(stand_in.read_text())["args"]
    assert args[0] == "up" and "--yes" in args and "--skip-preview" in args


def test_a_failure_is_an_error_with_the_reason_first(ws: Workspace, stand_in: Path) -> None:
    content, is_error = run(ws, stack_name="broken")
    assert is_error and content["status"] == "failed"
    assert str(content["logs"]).startswith(
        "error: pulumi preview: preview failed: resource aws:s3:Bucket is invalid\n"
        "summary: 2 create, 1 update\n"
    )


def test_a_secret_never_leaves(ws: Workspace, stand_in: Path) -> None:
    chunks: list[str] = []
    outcome = run_tool(
        ws,
        "pulumi__pulumi_preview",
        {
            "stack_name": "dev",
            "local_pulumi_dir": str(ws.root / "infra"),
            "environment_variables": {"DB_PASSWORD": {"secret": SECRET}},
        },
        on_output=lambda stream, text: chunks.append(text),
    )
    assert isinstance(outcome.content, dict)
    events = Path(str(outcome.content["events_file"])).read_text()
    assert "[redacted: secret]" in events and "password is [redacted: secret]" in "".join(chunks)
    for text in (json.dumps(outcome.content), events, "".join(chunks), repr(outcome)):
        assert SECRET not in text


def test_a_cancel_stops_the_run(
    ws: Workspace, stand_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pulumi, "INTERRUPT_GRACE", 0.5)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    outcome = run_tool(
        ws,
        "pulumi__pulumi_up",
        {"stack_name": "slow", "local_pulumi_dir": str(ws.root / "infra")},
        cancel=cancel,
    )
    assert time.monotonic() - start < 3
    assert outcome.is_error and outcome.cancelled
    assert isinstance(outcome.content, dict) and outcome.content["status"] == "cancelled"


def test_without_the_cli_the_answer_says_how_to_install_it(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    content, is_error = run(ws)
    assert is_error and content["status"] == "failed"
    assert str(content["logs"]).startswith("error: the pulumi CLI was not found on PATH")
    assert "https://www.pulumi.com/docs/install/" in str(content["logs"])
    assert set(content) == {
        "deployment_id",
        "console_url",
        "logs",
        "status",
        "branch_name",
        "project_name",
        "stack_name",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"stack_name": ""}, "error: stack_name is required\n"),
        ({"local_pulumi_dir": ""}, "error: local_pulumi_dir is required\n"),
        ({"local_pulumi_dir": "infra"}, "error: local_pulumi_dir must be an absolute path\n"),
        ({"local_pulumi_dir": "/etc"}, "is outside the allowed roots"),
        ({"local_pulumi_dir": "{root}"}, "Pulumi.yaml not found"),
        (
            {"environment_variables": {"A": {"secret": ""}}},
            'requires a non-empty "secret" field',
        ),
        ({"environment_variables": {"A": 3}}, 'must be a string or {"secret": "..."}'),
    ],
)
def test_bad_arguments_fail_before_running(
    ws: Workspace, stand_in: Path, args: dict[str, object], message: str
) -> None:
    if args.get("local_pulumi_dir") == "{root}":
        args = {"local_pulumi_dir": str(ws.root)}
    content, is_error = run(ws, **args)
    assert is_error and content["status"] == "failed"
    assert message in str(content["logs"])
    assert not stand_in.exists()  # the CLI never ran
