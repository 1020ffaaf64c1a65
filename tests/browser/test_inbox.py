"""The inbox in JupyterLab against the emulator: what waits comes first, Approve in a row sends
one confirmation (a double click, with the same task's chat open), the task moves to Working,
a row opens its chat below the list, and a filter narrows the list through the server.
Screenshots of the light and the dark theme go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from neo_notebook.emulator import NeoEmulator

from .conftest import open_and_run, shot, write_notebook
from .test_todays_api import confirmations, connect, dark_theme


@pytest.fixture(scope="module")
def org() -> Iterator[NeoEmulator]:
    # A slower agent, so the approved task is seen working before it finishes.
    with NeoEmulator(org="acme", api="current", seed=21, pace=0.4, history=16) as emu:
        yield emu


def row(page: Any, task_id: str, section: str | None = None) -> Any:
    where = f'[data-section="{section}"]' if section else ""
    return page.locator(f'[data-testid="inbox-row"][data-task-id="{task_id}"]{where}')


def top(locator: Any) -> None:
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")


def light_theme(page: Any) -> None:
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Light").first.click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=20_000)


def test_the_inbox_answers_once_opens_chats_and_filters_on_the_server(
    page: Any, lab: dict[str, Any], org: NeoEmulator
) -> None:
    drift, deployment = org.task_ids[:2]
    write_notebook(
        lab["root"],
        "inbox.ipynb",
        [
            connect(org),
            f"chat = client.chat({drift!r})\nchat",  # the same task's chat, open
            "inbox = client.inbox(poll_seconds=1)\ninbox",
        ],
    )
    open_and_run(page, lab, "inbox.ipynb")
    inbox = page.locator('[data-testid="neo-inbox"]')
    inbox.wait_for(timeout=60_000)
    # Needs you first: the two waiting tasks, each with what started it and its request.
    waiting = page.locator('[data-testid="inbox-section-needs_you"] [data-testid="inbox-row"]')
    waiting.nth(1).wait_for(timeout=60_000)
    ids = [waiting.nth(i).get_attribute("data-task-id") for i in range(waiting.count())]
    assert {drift, deployment} <= set(ids)
    assert inbox.locator('[data-testid="inbox-row"]').first.get_attribute("data-section") == (
        "needs_you"
    )
    assert row(page, drift).locator(".neo-inbox-trigger").inner_text() == "Schedule"
    assert row(page, deployment).locator(".neo-inbox-trigger").inner_text() == ("Failed deployment")
    request = row(page, drift).locator('[data-testid="inbox-request"]').inner_text()
    assert "create_pull_request" in request and "+" in request
    assert "waiting" in row(page, drift).locator('[data-testid="inbox-when"]').inner_text()
    assert "Following" in page.locator('[data-testid="inbox-following"]').inner_text()
    top(inbox)
    shot(page, "inbox-light")

    # Expanding shows the chat's own card, with the diff.
    row(page, deployment).locator('[data-testid="inbox-expand"]').click()
    card = row(page, deployment).locator('[data-testid="neo-approval"]')
    card.wait_for(timeout=30_000)
    assert card.locator('[data-testid="neo-diff-file"]').count() >= 1
    row(page, deployment).scroll_into_view_if_needed()
    shot(page, "inbox-expanded-light")

    # Approve with a double click while the task's chat is open: one confirmation.
    row(page, drift).locator('[data-testid="inbox-approve"]').dblclick()
    row(page, drift, "working").wait_for(timeout=30_000)
    top(inbox)
    shot(page, "inbox-working-light")
    # The chat of the same task knows the answer: its card has no buttons left.
    chat_card = page.locator('.neo-chat:not(.neo-inbox) [data-testid="neo-approval"]').last
    chat_card.locator('[data-testid="neo-approve"]').wait_for(state="detached", timeout=30_000)
    assert org.agent_done(drift, timeout=60)
    row(page, drift, "recent").wait_for(timeout=30_000)
    assert confirmations(org, drift) == 1

    # Opening a row shows that task's chat below the list.
    recent = page.locator('[data-testid="inbox-section-recent"] [data-testid="inbox-row"]').nth(2)
    recent_id = recent.get_attribute("data-task-id")
    recent.locator('[data-testid="inbox-open"]').click()
    opened = page.locator(".jp-OutputArea-output .widget-vbox .neo-chat:not(.neo-inbox)")
    opened.first.wait_for(timeout=30_000)
    assert row(page, recent_id).locator('[data-testid="inbox-open"]').inner_text() == "Close"
    opened.first.locator(".neo-message").first.wait_for(timeout=30_000)

    # A filter narrows the list, through the server.
    before = inbox.locator('[data-testid="inbox-row"]').count()
    listed = len(org.posted)
    search = inbox.locator('[data-testid="inbox-filter-query"]')
    search.fill("drift")
    search.press("Enter")
    page.wait_for_function(
        "(n) => { const rows = [...document.querySelectorAll("
        "'[data-testid=neo-inbox] [data-testid=inbox-row]')];"
        " return rows.length > 0 && rows.length < n &&"
        " rows.every(r => /drift/i.test(r.textContent)); }",
        arg=before,
        timeout=30_000,
    )
    assert len(org.posted) == listed  # a filter reads; it never writes
    search.fill("")
    search.press("Enter")
    page.wait_for_function(
        "(n) => document.querySelectorAll("
        "'[data-testid=neo-inbox] [data-testid=inbox-row]').length === n",
        arg=before,
        timeout=30_000,
    )

    dark_theme(page)
    top(inbox)
    shot(page, "inbox-dark")
    opened.first.evaluate("e => e.scrollIntoView({block: 'center'})")
    shot(page, "inbox-chat-dark")
    light_theme(page)  # the server's settings are shared with the next modules
