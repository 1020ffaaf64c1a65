"""The chat panel against today's API (shared/neo-api-current.md): every kind, for a person.

An emulator speaking the current shape runs in the test process, so the test can read what
the notebook sent; the notebook's cells point a client at it. Screenshots of the light and
the dark theme go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from neo_notebook import NeoClient
from neo_notebook.emulator import NeoEmulator

from .conftest import open_and_run, shot, write_notebook

CHANGE = "Please fix the drift in infra/prod and open a pull request"


@pytest.fixture(scope="module")
def current() -> Iterator[NeoEmulator]:
    with NeoEmulator(org="acme", api="current", seed=21, pace=0.05, history=30) as emu:
        yield emu


def connect(emu: NeoEmulator) -> str:
    return (
        "from neo_notebook import NeoClient\n"
        f"client = NeoClient({emu.org!r}, token={emu.token!r}, base_url={emu.url!r})"
    )


def confirmations(emu: NeoEmulator, task_id: str) -> int:
    return sum(
        1 for task, body in emu.posted if task == task_id and body["type"] == "user_confirmation"
    )


def dark_theme(page: Any) -> None:
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Dark").first.click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=20_000)
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=20_000)


@pytest.mark.parametrize("ui", ["lab", "notebooks"])
def test_a_change_with_its_diff_approved_once_then_the_pull_request(
    page: Any, lab: dict[str, Any], current: NeoEmulator, ui: str
) -> None:
    name = f"today-{ui}.ipynb"
    write_notebook(
        lab["root"],
        name,
        [
            connect(current),
            f"task = client.create_task({CHANGE!r}, entities=['infra/prod'])\n"
            "chat = client.chat(task.id)\nchat",
        ],
    )
    open_and_run(page, lab, name, ui=ui)
    card = page.locator('[data-testid="neo-approval"][data-state="pending"]')
    card.wait_for(timeout=60_000)
    # What a reviewer needs: the title, the diff file by file with counts, and the buttons.
    files = card.locator('[data-testid="neo-diff-file"]')
    assert files.count() >= 2
    assert "+" in files.first.inner_text()
    assert (
        card.locator("button", has_text="Approve").count()
        + card.locator('[data-testid="neo-approve"]').count()
        >= 1
    )
    # Tool rows with their result, token use and the context meter, every kind shown quietly.
    tools = page.locator('[data-testid="neo-tool"]')
    assert (
        tools.count() >= 1 and page.locator('[data-testid="neo-tool"][data-state="done"]').count()
    )
    assert page.locator('[data-testid="neo-context-text"]').inner_text().strip()
    assert page.locator('[data-testid="neo-unknown"]').count() == 0
    assert "(not shown by this version)" not in page.locator(".neo-chat").first.inner_text()
    assert (
        page.locator('[data-testid="neo-approval-mode-manual"]').get_attribute("aria-pressed")
        == "true"
    )
    shot(page, f"today-{ui}-approval-light")

    task_id = current.posted[-1][0]
    approve = page.locator('[data-testid="neo-approve"]').first
    approve.focus()
    page.keyboard.press("Enter")
    # One answer: the card says so at once and cannot send again.
    page.locator('[data-testid="neo-approval"][data-answer]').first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="neo-approve"]').count() == 0
    page.locator('[data-testid="neo-entity-change"]').first.wait_for(timeout=60_000)
    assert "pull request #" in page.locator('[data-testid="neo-entity-change"]').first.inner_text()
    pr = page.locator('[data-testid="neo-entity"][data-type="pull_request"]').first
    assert (pr.get_attribute("href") or "").startswith("https://github.com/")
    page.locator('[data-testid="neo-approval"][data-state="approved"]').wait_for(timeout=30_000)
    assert confirmations(current, task_id) == 1

    # The header switches the task's approval mode (a PATCH the server sees).
    page.locator('[data-testid="neo-approval-mode-balanced"]').click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=neo-approval-mode-balanced]')"
        ".getAttribute('aria-pressed') === 'true'",
        timeout=30_000,
    )
    with NeoClient(current.org, token=current.token, base_url=current.url) as client:
        assert client.get_task(task_id).approval_mode == "balanced"
    if ui == "lab":
        dark_theme(page)
        page.locator('[data-testid="neo-diff-file"]').first.scroll_into_view_if_needed()
        shot(page, "today-lab-approved-dark")


def test_a_task_an_automation_started_and_a_plan_to_approve(
    page: Any, lab: dict[str, Any], current: NeoEmulator
) -> None:
    with NeoClient(current.org, token=current.token, base_url=current.url) as client:
        triggered = next(t for t in client.list_tasks(task_type="async") if t.source == "github")
        cli = next(t for t in client.list_tasks() if t.tool_execution_mode == "cli")
    write_notebook(
        lab["root"],
        "automation.ipynb",
        [
            connect(current),
            f"client.chat({triggered.id!r})",
            f"client.chat({cli.id!r})",
            "plan = client.create_task('Upgrade the EKS cluster in infra/prod', plan_mode=True)\n"
            "client.chat(plan.id)",
        ],
    )
    open_and_run(page, lab, "automation.ipynb")
    trigger = page.locator('[data-testid="neo-trigger"]').first
    trigger.wait_for(timeout=60_000)
    text = trigger.inner_text()
    assert triggered.name.split(":")[0][:10] in text or "Deploy" in text or "fail" in text.lower()
    link = page.locator('[data-testid="neo-trigger-reference"]').first
    assert (link.get_attribute("href") or "").startswith("https://")
    # The CLI task: the tool the client ran is one row, marked as run on the machine.
    client_rows = page.locator('[data-testid="neo-tool"]', has_text="your machine")
    client_rows.first.wait_for(timeout=30_000)
    # Plan mode: the first approval is the plan, in words.
    plan_card = page.locator('[data-testid="neo-approval"][data-approval-type="plan_exit"]')
    plan_card.first.wait_for(timeout=60_000)
    assert "plan" in plan_card.first.inner_text().lower()
    assert plan_card.first.locator('[data-testid="neo-plan"]').inner_text().strip()
    assert plan_card.first.locator('[data-testid="neo-sensitive"]').count() == 1
    trigger.scroll_into_view_if_needed()
    shot(page, "today-trigger-and-cli")
    plan_card.first.scroll_into_view_if_needed()
    shot(page, "today-plan-approval")


def test_notebook_data_attached_to_a_message_shows_as_a_chip(
    page: Any, lab: dict[str, Any], current: NeoEmulator
) -> None:
    write_notebook(
        lab["root"],
        "attach.ipynb",
        [
            "import os\n"
            f"os.environ.update(PULUMI_ORG={current.org!r}, PULUMI_ACCESS_TOKEN={current.token!r},"
            f" PULUMI_BACKEND_URL={current.url!r})\n"
            "%load_ext neo_notebook",
            "import pandas as pd\n"
            "drift = pd.DataFrame({'urn': [f'urn:pulumi:prod::web::bucket{i}' for i in range(80)],"
            " 'status': 'drifted'})",
            "%%neo --new --with drift\nWhich of these drifted resources matter most?",
        ],
    )
    open_and_run(page, lab, "attach.ipynb")
    chip = page.locator('[data-testid="neo-attachment"]').first
    chip.wait_for(timeout=60_000)
    assert "drift" in chip.inner_text() and "80" in chip.inner_text()
    user = page.locator('[data-testid="neo-message"][data-role="user"]').first
    assert user.locator(".neo-message-text").inner_text().strip() == (
        "Which of these drifted resources matter most?"
    )
    page.locator(
        '[data-testid="neo-message"][data-role="assistant"]', has_text="I read the table"
    ).wait_for(timeout=60_000)
    chip.locator("summary").click()
    assert "urn:pulumi:prod::web::bucket0" in chip.locator("pre").inner_text()
    shot(page, "today-attachment-chip")


@pytest.mark.parametrize("echo", [True, False], ids=["echo-lags", "never-echoed"])
def test_one_answer_when_the_server_lags_or_never_echoes(
    page: Any, lab: dict[str, Any], echo: bool
) -> None:
    with NeoEmulator(
        org="acme",
        api="current",
        seed=5,
        pace=0.02,
        confirmation_delay=4.0,
        echo_confirmations=echo,
    ) as emu:
        name = f"lag-{echo}.ipynb"
        write_notebook(
            lab["root"],
            name,
            [
                connect(emu),
                f"task = client.create_task({CHANGE!r})\nchat = client.chat(task.id)\nchat",
            ],
        )
        open_and_run(page, lab, name)
        approve = page.locator('[data-testid="neo-approve"]').first
        approve.wait_for(timeout=60_000)
        approve.dblclick()  # a double click on a slow server
        card = page.locator('[data-testid="neo-approval"][data-answer]').first
        card.wait_for(timeout=10_000)
        assert "waiting for Neo" in card.inner_text()
        assert page.locator('[data-testid="neo-approve"]').count() == 0
        shot(page, f"today-answer-{'lagging' if echo else 'never-echoed'}")
        page.wait_for_timeout(5_000)  # past the server's lag
        task_id = emu.posted[-1][0]
        assert confirmations(emu, task_id) == 1
        if echo:
            page.locator('[data-testid="neo-approval"][data-state="approved"]').wait_for(
                timeout=30_000
            )
