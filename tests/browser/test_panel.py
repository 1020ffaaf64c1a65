"""The chat panel in JupyterLab: run the cell, watch Neo, click, type, and read the DOM."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from neo_notebook import NeoClient
from neo_notebook.emulator import NeoEmulator

from .conftest import open_and_run, shot, write_notebook

CHANGE = "Please fix the drift in prod and open a pull request"


def confirmations(emu: NeoEmulator, task_id: str | None = None) -> int:
    return sum(
        1
        for task, body in emu.posted
        if body["type"] == "user_confirmation" and task_id in (None, task)
    )


def test_magic_conversation_approve_and_pull_request(
    page: Any, lab: dict[str, Any], browser_emulator: NeoEmulator
) -> None:
    write_notebook(
        lab["root"],
        "approve.ipynb",
        ["%load_ext neo_notebook", f"%%neo --stack infra/prod\n{CHANGE}"],
    )
    open_and_run(page, lab, "approve.ipynb")
    page.locator(".neo-chat").first.wait_for(timeout=60_000)
    card = page.locator('[data-testid="neo-approval"][data-state="pending"]')
    card.wait_for(timeout=60_000)
    assistant = page.locator('[data-testid="neo-message"][data-role="assistant"]')
    assert assistant.count() >= 2
    assert (
        page.locator('[data-testid="neo-message"][data-role="user"]')
        .first.inner_text()
        .strip()
        .endswith("open a pull request")
    )
    assert page.locator('[data-testid="neo-tool"]').count() >= 1
    assert page.locator('[data-testid="neo-task-name"]').inner_text().strip()
    shot(page, "panel-awaiting-approval")
    task_id = browser_emulator.posted[-1][0]
    before = confirmations(browser_emulator, task_id)
    button = page.locator('[data-testid="neo-approve"]').first
    button.click()
    page.locator('[data-testid="neo-approval"][data-state="approved"]').wait_for(timeout=30_000)
    pr = page.locator('[data-testid="neo-entity"][data-type="pull_request"]')
    pr.first.wait_for(timeout=30_000)
    assert (pr.first.get_attribute("href") or "").startswith("https://")
    assert page.locator('[data-testid="neo-approve"]').count() == 0
    assert confirmations(browser_emulator, task_id) == before + 1
    shot(page, "panel-approved-pull-request")

    # The saved notebook: the conversation is there, the token is not.
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)
    saved = (lab["root"] / "approve.ipynb").read_text()
    assert browser_emulator.token not in saved
    assert "application/vnd.jupyter.widget-view+json" in saved
    assert "Please fix the drift" in saved  # the text/markdown transcript
    html = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "html",
            "--stdout",
            str(lab["root"] / "approve.ipynb"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert browser_emulator.token not in html and "Please fix the drift" in html


def test_type_send_and_keyboard(
    page: Any, lab: dict[str, Any], browser_emulator: NeoEmulator
) -> None:
    write_notebook(
        lab["root"],
        "typing.ipynb",
        [
            "from neo_notebook import NeoClient\nchat = NeoClient().chat()\nchat",
        ],
    )
    open_and_run(page, lab, "typing.ipynb")
    box = page.locator('[data-testid="neo-input"]')
    box.wait_for(timeout=60_000)
    box.click()
    box.type("What is in")
    page.keyboard.press("Shift+Enter")  # a new line in the box, not "run cell"
    box.type("my stack?")
    assert box.input_value() == "What is in\nmy stack?"
    page.keyboard.press("Enter")
    user = page.locator('[data-testid="neo-message"][data-role="user"]')
    user.first.wait_for(timeout=30_000)
    assert "my stack?" in user.first.inner_text()
    page.locator('[data-testid="neo-status"]', has_text="Idle").or_(
        page.locator('[data-testid="neo-status"]', has_text="idle")
    ).first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="neo-message"][data-role="assistant"]').count() >= 2
    sent = [b for _, b in browser_emulator.posted if b.get("content") == "What is in\nmy stack?"]
    assert len(sent) == 1
    shot(page, "panel-typed-message")


def test_stop_cancels_a_running_task(
    page: Any, lab: dict[str, Any], browser_emulator: NeoEmulator
) -> None:
    browser_emulator.pace = 1.5
    try:
        write_notebook(
            lab["root"],
            "stop.ipynb",
            [
                "%load_ext neo_notebook",
                "%%neo\nPlease upgrade everything and open a pull request",
            ],
        )
        open_and_run(page, lab, "stop.ipynb")
        stop = page.locator('[data-testid="neo-stop"]')
        stop.wait_for(timeout=60_000)
        shot(page, "panel-running")
        stop.click()
        page.locator('[data-testid="neo-status"]', has_text="ancel").wait_for(timeout=30_000)
        assert any(b["type"] == "user_cancel" for _, b in browser_emulator.posted)
        shot(page, "panel-cancelled")
    finally:
        browser_emulator.pace = 0.05


XSS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 2">',
    "[link](javascript:window.__xss=3)",
    '<a href="javascript:window.__xss=4">click</a>',
    '<svg onload="window.__xss=5"></svg>',
    '<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
    '<details open ontoggle="window.__xss=7">x</details>',
    '![img](x" onerror="window.__xss=8)',
    "<scr<script>ipt>window.__xss=9</scr</script>ipt>",
    '<a href="jav&#x09;ascript:window.__xss=10">x</a>',
    "<style>@import 'javascript:window.__xss=11'</style>",
    '<form action="javascript:window.__xss=12"><button>go</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=13>",
    '<body onload="window.__xss=14">',
]


def test_agent_payloads_run_no_script(
    page: Any, lab: dict[str, Any], browser_emulator: NeoEmulator
) -> None:
    with NeoClient(
        browser_emulator.org, token=browser_emulator.token, base_url=browser_emulator.url
    ) as client:
        task = client.create_task("Show me something")
        browser_emulator.agent_done(task.id)
    for payload in XSS:
        browser_emulator.inject_event(
            task.id,
            {
                "type": "agentResponse",
                "eventBody": {
                    "type": "assistant_message",
                    "content": f"Payload: {payload} **bold**",
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": payload, "arguments": json.dumps({"x": payload})},
                        }
                    ],
                },
            },
        )
        browser_emulator.inject_event(
            task.id,
            {"type": "agentResponse", "eventBody": {"type": "set_task_name", "name": payload}},
        )
        browser_emulator.inject_event(
            task.id,
            {
                "type": "agentResponse",
                "eventBody": {
                    "type": "tool_response",
                    "tool_call_id": "c",
                    "name": "t",
                    "content": payload,
                },
            },
        )
    page.add_init_script("window.__xss = 0")
    write_notebook(
        lab["root"],
        "xss.ipynb",
        [
            f"from neo_notebook import NeoClient\nNeoClient().chat({task.id!r})",
        ],
    )
    open_and_run(page, lab, "xss.ipynb")
    page.locator('[data-testid="neo-message"]', has_text="Payload").nth(len(XSS) - 1).wait_for(
        timeout=60_000
    )
    for row in page.locator('[data-testid="neo-tool"] summary').all():
        row.click()
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__xss") == 0
    assert page.dialogs == []
    assert page.locator(".neo-chat script, .neo-chat iframe, .neo-chat [onerror]").count() == 0
    shot(page, "panel-xss-payloads")


def test_notebook_7(page: Any, lab: dict[str, Any], browser_emulator: NeoEmulator) -> None:
    write_notebook(
        lab["root"], "nb7.ipynb", ["%load_ext neo_notebook", "%%neo\nWhat is in my stack?"]
    )
    open_and_run(page, lab, "nb7.ipynb", ui="notebooks")
    page.locator('[data-testid="neo-status"]', has_text="Idle").wait_for(timeout=60_000)
    assert page.locator('[data-testid="neo-message"][data-role="assistant"]').count() >= 2
    assert page.locator('[data-testid="neo-tool"]').count() >= 1
    shot(page, "panel-notebook-7")


def test_two_views_agree_and_a_restart_is_said(
    page: Any, lab: dict[str, Any], browser_emulator: NeoEmulator
) -> None:
    write_notebook(
        lab["root"],
        "views.ipynb",
        [
            "%load_ext neo_notebook",
            f"%%neo --wait --quiet\n{CHANGE}",
            "chat = %neo chat\nchat",
            "chat",
        ],
    )
    open_and_run(page, lab, "views.ipynb")
    cards = page.locator('[data-testid="neo-approval"][data-state="pending"]')
    cards.nth(1).wait_for(timeout=60_000)
    assert cards.count() == 2  # the same request in both views
    task_id = browser_emulator.posted[-1][0]
    page.locator('[data-testid="neo-approve"]').first.click()
    approved = page.locator('[data-testid="neo-approval"][data-state="approved"]')
    approved.nth(1).wait_for(timeout=30_000)  # the other view follows
    assert page.locator('[data-testid="neo-approve"]').count() == 0
    assert confirmations(browser_emulator, task_id) == 1
    shot(page, "panel-two-views")

    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.get_by_role("menuitem", name="Restart Kernel…").click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    notice = page.locator('[data-testid="neo-disconnected"]').first
    notice.wait_for(state="visible", timeout=30_000)
    assert "re-run" in notice.inner_text().lower()
    shot(page, "panel-after-kernel-restart")
