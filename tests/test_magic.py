"""%%neo and %neo through a real IPython shell against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from IPython.core.interactiveshell import InteractiveShell

from neo_notebook import ConflictError, NeoChat, NeoError, Repository, Stack
from neo_notebook._magic import COMMANDS, MagicUsageError, NeoMagics, _gist, interpolate
from neo_notebook._session import TaskSession, all_sessions
from neo_notebook._widget import _CHATS
from neo_notebook.emulator import NeoEmulator

CHANGE = "Please fix the drift and open a pull request"


@pytest.fixture
def shell(emulator: NeoEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    for name, value in emulator.env.items():
        monkeypatch.setenv(name, value)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "neo_notebook")
    yield ip
    magics = neo_magics(ip)
    for client in magics._clients.values():
        for chat in _CHATS.get(client, {}).values():
            chat.close()
        for session in all_sessions(client):
            session.stop(join=10)
        client.close()
    InteractiveShell.clear_instance()


def neo_magics(ip: InteractiveShell) -> NeoMagics:
    return ip.magics_manager.registry["NeoMagics"]  # type: ignore[no-any-return]


def cell(ip: InteractiveShell, line: str, body: str) -> Any:
    return ip.run_cell_magic("neo", line, body)


def line(ip: InteractiveShell, text: str) -> Any:
    return ip.run_line_magic("neo", text)


def user_messages(emu: NeoEmulator) -> list[tuple[str, str]]:
    return [(task, body["content"]) for task, body in emu.posted if body["type"] == "user_message"]


def test_cell_starts_then_continues_a_task(
    shell: InteractiveShell, emulator: NeoEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cell(shell, "--wait", "What is in my stack?")
    task = neo_magics(shell).current_task
    assert task
    out = capsys.readouterr().out
    assert "Neo:" in out
    cell(shell, "--wait --quiet", "And what does it cost?")
    assert user_messages(emulator) == [
        (task, "What is in my stack?"),
        (task, "And what does it cost?"),
    ]
    assert capsys.readouterr().out == ""  # --quiet: no panel, no transcript


def test_rerunning_a_cell_does_not_send_it_twice(
    shell: InteractiveShell, emulator: NeoEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cell(shell, "--wait", "What is in my stack?")
    capsys.readouterr()
    cell(shell, "--wait", "What is in my stack?")
    assert "--resend" in capsys.readouterr().out
    assert len(user_messages(emulator)) == 1
    cell(shell, "--wait --resend", "What is in my stack?")
    assert len(user_messages(emulator)) == 2


def test_new_and_task_choose_the_task(shell: InteractiveShell, emulator: NeoEmulator) -> None:
    cell(shell, "--wait", "first")
    first = neo_magics(shell).current_task
    cell(shell, "--wait --new", "second")
    second = neo_magics(shell).current_task
    assert second and second != first
    cell(shell, f"--wait --task {first}", "back to the first")
    assert neo_magics(shell).current_task == first
    assert user_messages(emulator)[-1] == (first, "back to the first")
    with pytest.raises(MagicUsageError, match="not both"):
        cell(shell, f"--new --task {first}", "x")


def test_entities_from_options(shell: InteractiveShell, emulator: NeoEmulator) -> None:
    cell(
        shell,
        "--wait --stack infra/prod --stack infra/dev --repo github:acme/platform",
        "Look at these",
    )
    magics = neo_magics(shell)
    task = magics.client().get_task(magics.current_task)  # type: ignore[arg-type]
    assert {Stack("infra", "prod"), Stack("infra", "dev"), Repository("acme", "platform")} <= set(
        task.entities
    )


@pytest.mark.parametrize(
    ("options", "body", "message"),
    [
        ("", "   \n  ", "empty"),
        ("--stack prod", "hi", "PROJECT/STACK"),
        ("--repo svn:acme/x", "hi", "FORGE:ORG/REPO"),
        ("--bogus", "hi", "unrecognized arguments"),
        ("--timeout soon", "hi", "invalid float"),
        ("", "Resize {undefined_thing}", "undefined_thing"),
        ("", "Resize {stack.nope}", "no attribute"),
    ],
)
def test_bad_input_fails_the_cell_and_sends_nothing(
    shell: InteractiveShell, emulator: NeoEmulator, options: str, body: str, message: str
) -> None:
    shell.user_ns["stack"] = "infra/prod"
    with pytest.raises(MagicUsageError, match=message):
        cell(shell, options, body)
    assert emulator.posted == []


def test_option_values_are_filled_in_too(shell: InteractiveShell, emulator: NeoEmulator) -> None:
    shell.user_ns.update(stack="infra/prod", repo="github:acme/platform")
    cell(shell, "--wait --quiet --stack {stack} --repo {repo}", "Look at {stack}")
    magics = neo_magics(shell)
    task = magics.client().get_task(magics.current_task)  # type: ignore[arg-type]
    assert {Stack("infra", "prod"), Repository("acme", "platform")} <= set(task.entities)
    assert user_messages(emulator)[-1][1] == "Look at infra/prod"


def test_errors_fail_the_cell_with_an_error_message_nbval_sees(
    tmp_path: Path, emulator: NeoEmulator
) -> None:
    """nbval fails a cell only on an `error` message; IPython's UsageError never sends one."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext neo_notebook"),
            nbformat.v4.new_code_cell("%%neo --stack nonsense\nhello"),
        ]
    )
    client = NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with pytest.raises(CellExecutionError):
        client.execute(env={**emulator.env})
    outputs = nb.cells[1].outputs
    errors = [o for o in outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "MagicUsageError"
    assert errors[0].traceback == [
        "UsageError: Cannot read 'nonsense' as an entity. Use PROJECT/STACK for a stack "
        "(e.g. 'infra/prod'), FORGE:ORG/REPO for a repository (e.g. 'github:acme/platform'; "
        "forge is github, gitlab or bitbucket), or policy_issue:ID."
    ]
    assert emulator.posted == []


def test_interpolation_in_the_cell(shell: InteractiveShell, emulator: NeoEmulator) -> None:
    class Config:
        size = "t3.small"

    shell.user_ns.update(stack="infra/prod", config=Config())
    body = 'Resize {config.size} in {stack}: {"tags": {"env": "prod"}} and {{stack}} literally'
    cell(shell, "--wait", body)
    assert user_messages(emulator)[-1][1] == (
        'Resize t3.small in infra/prod: {"tags": {"env": "prod"}} and {stack} literally'
    )
    cell(shell, "--wait --raw --new", "Keep {stack} as is")
    assert user_messages(emulator)[-1][1] == "Keep {stack} as is"


@given(st.text())
def test_text_without_placeholders_is_unchanged(text: str) -> None:
    import re

    if re.search(r"\{[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?\}", text):
        return
    assert interpolate(text, {}) == text


def test_conflict_fails_the_cell_with_one_line(
    shell: InteractiveShell, emulator: NeoEmulator
) -> None:
    cell(shell, "--wait --quiet", "first")
    emulator.set_status(neo_magics(shell).current_task, "running")  # type: ignore[arg-type]
    with pytest.raises(ConflictError) as info:
        cell(shell, "--quiet", "second")
    (rendered,) = info.value._render_traceback_()
    assert "still working" in rendered and "cancel" in rendered
    assert [m for _, m in user_messages(emulator)] == ["first"]


def test_wait_timeout_and_interrupt(
    shell: InteractiveShell,
    emulator: NeoEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator.pace = 0.3
    with pytest.raises(NeoError, match="still working after"):
        cell(shell, "--wait --timeout 0.2 --quiet", CHANGE)

    def interrupted(self: TaskSession, *args: Any, **kwargs: Any) -> bool:
        raise KeyboardInterrupt

    emulator.pace = 0.0
    emulator.agent_done(neo_magics(shell).current_task)  # type: ignore[arg-type]
    monkeypatch.setattr(TaskSession, "wait", interrupted)
    cell(shell, "--wait --quiet --new", "long job")
    assert "Stopped waiting" in capsys.readouterr().out
    assert not [b for _, b in emulator.posted if b["type"] == "user_cancel"]


def test_line_commands(
    shell: InteractiveShell, emulator: NeoEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cell(shell, "--wait --quiet", CHANGE)
    task = neo_magics(shell).current_task
    line(shell, "status")
    assert "waiting for approval" in capsys.readouterr().out
    line(shell, "approve")
    assert "Approved" in capsys.readouterr().out
    chat = line(shell, "chat")
    assert isinstance(chat, NeoChat) and chat.task_id == task
    chat.wait(10)
    events = line(shell, "events")
    assert len(events) == chat.event_count
    tasks = line(shell, "tasks")
    assert task in set(tasks["task_id"])
    line(shell, "new")
    assert neo_magics(shell).current_task is None
    with pytest.raises(MagicUsageError, match="No current Neo task"):
        line(shell, "cancel")
    line(shell, f"use {task}")
    assert neo_magics(shell).current_task == task
    line(shell, "cancel")
    assert emulator.posted[-1][1]["type"] == "user_cancel"
    with pytest.raises(MagicUsageError):
        line(shell, "explode")


def test_decline_line_command(shell: InteractiveShell, emulator: NeoEmulator) -> None:
    cell(shell, "--wait --quiet", CHANGE)
    line(shell, "decline --message 'use a smaller instance'")
    body = emulator.posted[-1][1]
    assert body["ok"] is False and body["instructions"] == "use a smaller instance"


def test_config_sets_the_org(shell: InteractiveShell, emulator: NeoEmulator) -> None:
    shell.run_line_magic("config", "NeoMagics.org = 'other-org'")
    assert neo_magics(shell).org == "other-org"
    with pytest.raises(NeoError, match="404"):
        cell(shell, "--quiet", "hello")
    assert emulator.posted == []


def test_help_lists_every_option_and_command_and_no_internals(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    magics = neo_magics(shell)
    line(shell, "help")
    text = capsys.readouterr().out
    options = [
        action
        for parser in (magics._cell_parser.parser, magics._line_parser.parser)
        for action in parser._actions
        if action.option_strings
    ]
    assert len(options) >= 12
    for action in options:
        (row,) = [r for r in text.splitlines() if r.strip().startswith(action.option_strings[0])][
            :1
        ]
        assert len(row.split()) > 2, f"{action.option_strings[0]} has no description"
    for command, arguments in ((name, c.arguments) for name, c in COMMANDS.items()):
        row = next(r for r in text.splitlines() if r.startswith(f"  {command} "))
        assert f"{command} {arguments}".strip() in row and len(row.split()) > 2
    assert "_parser" not in text and "%_" not in text and "%%config" not in text
    line(shell, "")  # no command is help too, and so are -h and --help, cell or line
    line(shell, "--help")
    cell(shell, "-h", "this is not sent")
    assert capsys.readouterr().out == text * 3


def test_help_needs_no_pulumi_login(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ip = InteractiveShell.instance()
    try:
        ip.run_line_magic("load_ext", "neo_notebook")
        line(ip, "help")
        assert "Commands:" in capsys.readouterr().out
    finally:
        InteractiveShell.clear_instance()


def test_page_size_is_gone() -> None:
    assert "page_size" not in NeoMagics.class_trait_names()


GISTS = [
    ("Running pulumi_preview on infra/prod.", "Running pulumi_preview on infra/prod."),
    ("Running `pulumi_preview` on **infra/prod**.", "Running pulumi_preview on infra/prod."),
    ("Define __init__, _private_ in snake_case", "Define __init__, _private_ in snake_case"),
    ("Multiply a*b and a * b, not *this*", "Multiply a*b and a * b, not this"),
    ("## Looking at `infra/prod`\n\nI'll start from the state.", "Looking at infra/prod"),
    ("- **Stack:** `infra/prod`\n- second item", "Stack: infra/prod"),
    ("1. first_step\n2. second", "first_step"),
    ("> quoted __main__ text", "quoted __main__ text"),
    ("See [the PR](https://github.com/acme/pull/7)", "See the PR (https://github.com/acme/pull/7)"),
    ("Opened [https://x.io/a_b](https://x.io/a_b)", "Opened https://x.io/a_b"),
    (
        "Mail <ops@acme.dev> or <https://acme.dev/on_call>",
        "Mail ops@acme.dev or https://acme.dev/on_call",
    ),
    ("```bash\npulumi preview --stack prod_eu\n```\nthen more", "pulumi preview --stack prod_eu"),
    ("\n\n   \nfirst\nsecond line  \nthird", "first second line third"),
    ("<b>not html</b> &amp; entities", "<b>not html</b> & entities"),
    ("![diagram_v2](d.png) shows ~~old~~ new", "diagram_v2 shows old new"),
    ("| `aws:ec2:Instance` | 3 |\n|---|---|\n| a | b |", "aws:ec2:Instance"),
    ("", ""),
]


@pytest.mark.parametrize(("markdown", "gist"), GISTS)
def test_gist_is_plain_text_that_keeps_identifiers_code_and_links(markdown: str, gist: str) -> None:
    assert _gist(markdown) == gist


def test_gist_is_clipped_to_one_line() -> None:
    text = _gist("word_" * 100)
    assert len(text) == 160 and text.endswith("…") and "\n" not in text


def test_wait_prints_identifiers_intact_and_the_pending_approval(
    shell: InteractiveShell, emulator: NeoEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over HTTP: what Neo said after the cell, one plain line each, identifiers kept."""
    cell(shell, "--wait --quiet", CHANGE)
    magics = neo_magics(shell)
    task = magics.current_task
    assert task
    session = magics.client().session(task)
    since = session.event_count
    emulator.inject_event(
        task,
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "assistant_message",
                "content": "### Running `pulumi_preview` on **infra/prod**\n\nDetails below.",
            },
        },
    )
    capsys.readouterr()
    magics._wait(session, 10, quiet=False, since=since)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Neo: Running pulumi_preview on infra/prod"
    assert out[1].startswith("Neo asks for approval: Create a pull request in ")
    assert "right-sizes " in out[1] and "`" not in out[1]
    assert out[2] == "Approve in the panel, or run %neo approve."


# -- the notebook as Neo's context ---------------------------------------------------------------

CHANGE = "Please fix the drift in infra/prod and open a pull request"


def confirmations(emu: NeoEmulator) -> list[dict[str, Any]]:
    return [body for _, body in emu.posted if body["type"] == "user_confirmation"]


@pytest.mark.parametrize("api", ["seed", "current"])
def test_with_attaches_a_dataframe_and_neo_reads_it(
    shell: InteractiveShell, emulator: NeoEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    shell.user_ns["df_drift"] = pd.DataFrame(
        {"urn": [f"urn:{i}" for i in range(120)], "status": ["drifted"] * 120}
    )
    shell.user_ns["outputs"] = {"bucket": "assets", "key": "pul-" + "0123456789" * 4}
    cell(shell, "--wait --with df_drift --with outputs", "Which of these drifted resources matter?")
    out = capsys.readouterr().out
    assert (
        "Attaching df_drift: DataFrame 120\N{MULTIPLICATION SIGN}2" in out
        and "tokens, rough" in out
    )
    assert "1 value redacted" in out
    ((task, sent),) = user_messages(emulator)
    assert sent.startswith("Which of these drifted resources matter?")
    assert (
        "### Attached: df_drift (DataFrame 120\N{MULTIPLICATION SIGN}2)" in sent
        and "0123456789" * 4 not in sent
    )
    events = neo_magics(shell).client().events_frame(task)
    answers = " ".join(events[events.type == "assistant_message"].content.dropna())
    assert "df_drift" in answers and "120 rows" in answers  # the agent received the table
    chat = neo_magics(shell).client().chat(task)
    assert "Attached df_drift" in chat.transcript()


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ("--with df_drif", "did you mean df_drift"),
        ("--with nothing_here", "no variable nothing_here"),
        ("--with shell_obj", "DataFrame"),
        ("--with df_drift[nope]", "nope"),
    ],
)
def test_with_refuses_what_it_cannot_attach_and_sends_nothing(
    shell: InteractiveShell, emulator: NeoEmulator, options: str, error: str
) -> None:
    import pandas as pd

    shell.user_ns["df_drift"] = pd.DataFrame({"urn": ["a"]})
    shell.user_ns["shell_obj"] = object()
    with pytest.raises(NeoError, match=error):
        cell(shell, options, "What about these?")
    assert emulator.posted == []


def test_over_the_hard_cap_is_refused_with_how_to_narrow(
    shell: InteractiveShell, emulator: NeoEmulator
) -> None:
    import pandas as pd

    shell.user_ns["wide"] = pd.DataFrame({f"c{i}": ["y" * 200] * 60 for i in range(30)})
    with pytest.raises(NeoError, match=r"cap.*wide\.head"):
        cell(shell, "--with wide", "Read this")
    assert emulator.posted == []


@pytest.mark.parametrize("api", ["seed", "current"])
def test_while_an_approval_is_pending_a_cell_answers_it_or_fails(
    shell: InteractiveShell, emulator: NeoEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cell(shell, "--wait --quiet", CHANGE)
    task = neo_magics(shell).current_task
    before = len(emulator.posted)
    with pytest.raises(NeoError, match="waiting for your answer to approval request req_"):
        cell(shell, "--quiet", "Actually, also check staging")
    assert len(emulator.posted) == before  # nothing was sent
    cell(shell, "--wait --quiet", " LGTM ")
    assert "Approved req_" in capsys.readouterr().out
    (confirmation,) = confirmations(emulator)
    assert confirmation.get("ok", True) is True
    assert [text for t, text in user_messages(emulator) if t == task] == [CHANGE]


@pytest.mark.parametrize("api", ["seed", "current"])
def test_decline_sends_the_cell_as_instructions(
    shell: InteractiveShell, emulator: NeoEmulator
) -> None:
    cell(shell, "--wait --quiet", CHANGE)
    cell(shell, "--wait --quiet --decline", "Use a smaller instance type instead")
    (confirmation,) = confirmations(emulator)
    assert confirmation["ok"] is False
    assert confirmation["instructions"] == "Use a smaller instance type instead"
    with pytest.raises(NeoError, match="not waiting"):
        cell(shell, "--quiet --decline", "And again")


@pytest.mark.parametrize("api", ["current"])
def test_mode_readonly_and_plan_commands(
    shell: InteractiveShell, emulator: NeoEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cell(shell, "--wait --quiet", "What is in my stack?")
    task = neo_magics(shell).current_task
    assert task
    line(shell, "mode")
    assert "approvals review, read-only off, plan mode off" in capsys.readouterr().out
    line(shell, "mode balanced")
    line(shell, "readonly on")
    line(shell, "plan on")
    assert (
        "approvals balanced, read-only on, plan mode on" in capsys.readouterr().out.splitlines()[-1]
    )
    got = neo_magics(shell).client().get_task(task)
    assert (got.approval_mode, got.permission_mode, got.plan_mode) == (
        "balanced",
        "read-only",
        True,
    )
    assert neo_magics(shell).client().chat(task).approval_mode == "balanced"
    with pytest.raises(NeoError, match="review, balanced or auto"):
        line(shell, "mode yolo")


@pytest.mark.parametrize(
    ("text", "yes"),
    [
        ("yes", True),
        ("Ship it", True),
        ("  lgtm ", True),
        ("  Go   Ahead ", True),
        ("confirmed", True),
        ("alright", True),
        ("all right", True),
        ("go on", True),
        # Not the CLI's: punctuation is not dropped, and casual yeses are not in its list.
        ("Ship it!", False),
        ("yep", False),
        ("looks good", False),
        ("sounds good", False),
        ("yes, but smaller", False),
        ("no", False),
    ],
)
def test_only_a_whole_approval_phrase_is_a_yes(text: str, yes: bool) -> None:
    from neo_notebook._magic import is_approval_phrase

    assert is_approval_phrase(text) is yes


# -- Neo's tools on this machine: %%neo --local ----------------------------------------------------


@pytest.fixture
def local_shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[InteractiveShell]:
    """A shell against today's API (whose CLI mode plays the workspace session), its working
    directory holding a copy of notebooks/webapp."""
    import shutil

    with NeoEmulator(api="current", seed=4) as emu:
        for name, value in emu.env.items():
            monkeypatch.setenv(name, value)
        shutil.copytree(Path(__file__).parents[1] / "notebooks" / "webapp", tmp_path / "webapp")
        monkeypatch.chdir(tmp_path)
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "neo_notebook")
        yield ip
        magics = neo_magics(ip)
        for client in magics._clients.values():
            for session in all_sessions(client):
                session.stop(join=10)
            client.close()
        InteractiveShell.clear_instance()


def test_local_wait_runs_the_tools_here_and_prints_a_line_per_run(
    local_shell: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    neo_magics(local_shell).client().timeout = 10
    local = "--local --allow read,write --wait --quiet"
    cell(local_shell, local, "Right-size web-server in this program")
    out = capsys.readouterr().out
    assert "Ran filesystem__directory_tree .: ok" in out
    assert "Ran filesystem__edit webapp/index.ts: ok" in out
    assert 'instanceType: "t3.large"' in (tmp_path / "webapp" / "index.ts").read_text()
    task = neo_magics(local_shell).current_task
    assert task and neo_magics(local_shell).client().get_task(task).tool_execution_mode == "cli"
    # In review mode the service asks before Neo hands this machine a preview.
    line(local_shell, "status")
    assert "waiting for approval: Run `pulumi preview`" in capsys.readouterr().out
    cell(local_shell, local, "yes")
    out = capsys.readouterr().out
    # preview is not allowed, and --quiet leaves nobody to ask: refused, and Neo hears so
    assert out.splitlines()[1:] == ["Ran pulumi__pulumi_preview dev: refused"]
    line(local_shell, "status")
    assert ", idle" in capsys.readouterr().out


def test_local_options_are_checked_before_anything_is_sent(
    local_shell: InteractiveShell, tmp_path: Path
) -> None:
    with pytest.raises(MagicUsageError, match="read, write, shell, preview, up"):
        cell(local_shell, "--local --allow read,everything", "hi")
    with pytest.raises(MagicUsageError, match="does not exist"):
        cell(local_shell, f"--local {tmp_path / 'missing'}", "hi")
    with pytest.raises(MagicUsageError, match="goes with --local"):
        cell(local_shell, "--allow write", "hi")
    assert list(neo_magics(local_shell).client().list_tasks()) == []


def test_neo_inbox_shows_the_inbox(shell: InteractiveShell) -> None:
    from neo_notebook import NeoInbox

    inbox = line(shell, "inbox")
    try:
        assert isinstance(inbox, NeoInbox) and inbox.inbox.follow_cap == 50
        assert "inbox" in COMMANDS and "%neo tasks" not in COMMANDS["inbox"].help
    finally:
        inbox.close()
