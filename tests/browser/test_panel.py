"""The chat panel in JupyterLab: run the cell, watch Neo, click, type, and read the DOM."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from xss_payloads import PAYLOADS

from neo_notebook import NeoClient
from neo_notebook.emulator import NeoEmulator

from .conftest import open_and_run, save_notebook, shot, write_notebook

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
    assistant.nth(1).wait_for(timeout=30_000)
    assert page.locator('[data-testid="neo-approval-tool"]').count() == 0  # not a tool's
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

    # The saved notebook (with widget state): the conversation is there, the token is not.
    save_notebook(page)
    saved = json.loads((lab["root"] / "approve.ipynb").read_text())
    assert browser_emulator.token not in json.dumps(saved)
    assert "widgets" in saved["metadata"]
    (output,) = saved["cells"][1]["outputs"]
    assert "application/vnd.jupyter.widget-view+json" in output["data"]
    assert "Opened pull request #" in "".join(output["data"]["text/markdown"])
    html = nbconvert_html(saved)
    assert browser_emulator.token not in html
    # Saved with JupyterLab's default (no widget state), nbconvert shows the transcript.
    del saved["metadata"]["widgets"]
    html = nbconvert_html(saved)
    assert "Opened pull request #" in html and browser_emulator.token not in html


def todays_kinds(n: int, payload: str, call: str) -> list[dict[str, Any]]:
    """Events of today's API with ``payload`` in every field a person sees."""
    diff = f"@@ -1,2 +1,2 @@ {payload}\n-{payload}\n+{payload}\n {payload}"
    return [
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "exec_tool_call_progress",
                "tool_call_id": call,
                "status": payload,
                "metadata": {"message": payload},
            },
        },
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "user_approval_request",
                "id": f"req_today_{n}",
                "message": payload,
                "buttons": [payload, payload],
                "source": "agent",
                "approval_type": "tool_permission",
                "sensitivity": "sensitive",
                "context": {
                    "tool_call_id": call,
                    "tool_name": payload,
                    "plan_description": payload,
                    "git_diff": {payload: diff, f"{n}.ts": diff * 30},
                    "last_approval_diff": {payload: diff},
                },
            },
        },
        {
            "type": "triggerUserInput",
            "eventBody": {"type": "user_message", "content": payload},
            "triggerEvents": [
                {
                    "id": f"tr_{n}",
                    "provider": payload,
                    "receivedAt": "2026-12-01T10:00:00Z",
                    "payload": payload,
                    "title": payload,
                    "eventType": payload,
                    "reference": payload,
                    "badgeLabel": payload,
                    "badgeTone": payload,
                    "sourceUrl": "javascript:window.__xss=1"
                    if n % 2
                    else f"https://example.com/{n}",
                    "details": [{"label": payload, "value": payload, "kind": payload}],
                }
            ],
            "triggerInstructions": payload,
        },
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "context_compression_event",
                "status": "compressed",
                "message": payload,
                "context_summary": payload,
            },
        },
    ]


def nbconvert_html(notebook: dict[str, Any]) -> str:
    return subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--stdin", "--to", "html", "--stdout"],
        input=json.dumps(notebook),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


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
    # When the turn ends the view is drawn again (the saved transcript is refreshed).
    page.locator('[data-testid="neo-message"][data-role="assistant"]').nth(1).wait_for(
        timeout=30_000
    )
    page.locator('[data-testid="neo-status"]', has_text="Idle").wait_for(timeout=30_000)
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


def test_agent_payloads_run_no_script(
    page: Any, lab: dict[str, Any], browser_emulator: NeoEmulator
) -> None:
    """Every payload of the corpus, in every field agent text reaches: nothing runs, in the
    live panel or in the saved notebook's HTML."""
    with NeoClient(
        browser_emulator.org, token=browser_emulator.token, base_url=browser_emulator.url
    ) as client:
        task = client.create_task("Show me something")
        browser_emulator.agent_done(task.id)
    for n, payload in enumerate(PAYLOADS, 1):
        call = f"call_{n}"
        browser_emulator.inject_event(
            task.id,
            {
                "type": "agentResponse",
                "eventBody": {
                    "type": "assistant_message",
                    "content": f"Payload {n}: {payload} **bold**",
                    "tool_calls": [
                        {
                            "id": call,
                            "type": "function",
                            "function": {"name": payload, "arguments": json.dumps({"x": payload})},
                        },
                        {
                            "id": f"ap_{n}",
                            "type": "function",
                            "function": {
                                "name": "approval_request",
                                "arguments": json.dumps(
                                    {"approval_request_id": f"req_{n}", "description": payload}
                                ),
                            },
                        },
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
                    "tool_call_id": call,
                    "name": payload,
                    "content": payload,
                },
            },
        )
        browser_emulator.inject_event(
            task.id,
            {"type": "agentResponse", "eventBody": {"type": f"unknown_{n}", "detail": payload}},
        )
        for event in todays_kinds(n, payload, call):
            browser_emulator.inject_event(task.id, event)
    page.add_init_script("window.__xss = 0")
    write_notebook(
        lab["root"],
        "xss.ipynb",
        [
            f"from neo_notebook import NeoClient\nNeoClient().chat({task.id!r})",
        ],
    )
    open_and_run(page, lab, "xss.ipynb")
    page.locator('[data-testid="neo-message"]', has_text=f"Payload {len(PAYLOADS)}:").wait_for(
        timeout=60_000
    )
    while page.locator('[data-testid="neo-earlier"]').is_visible():
        page.locator('[data-testid="neo-earlier"]').click()
    # Every fold open (tool results, unknown JSON, long diffs, summaries), nested ones too:
    # a fold builds its content when it opens.
    for _ in range(3):
        page.evaluate(
            "() => document.querySelectorAll('.neo-chat details:not([open])')"
            ".forEach((d) => { d.open = true; })"
        )
        page.wait_for_timeout(300)
    assert page.locator(".neo-chat details:not([open])").count() == 0
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__xss") == 0
    assert page.dialogs == []
    assert page.locator('.neo-chat [data-testid="neo-trigger"]').count() > 0
    assert page.locator('.neo-chat [data-testid="neo-diff-file"]').count() > 0
    links = page.eval_on_selector_all(".neo-chat a[href]", "(as) => as.map((a) => a.href)")
    assert links and all(link.startswith(("https:", "http:")) for link in links)
    assert (
        page.locator(
            ".neo-chat script, .neo-chat iframe, .neo-chat object, .neo-chat embed, "
            ".neo-chat [onerror], .neo-chat [onload], .neo-chat form, .neo-chat svg *[onbegin]"
        ).count()
        == 0
    )
    shot(page, "panel-xss-payloads")

    save_notebook(page)
    # JupyterLab saves no widget state by default, and nbconvert then shows the transcript
    # the panel put beside its view; with widget state it would load the widget from a CDN.
    notebook = json.loads((lab["root"] / "xss.ipynb").read_text())
    assert "widgets" in notebook["metadata"]  # the fixture saves it, to check it for secrets
    notebook["metadata"].pop("widgets")
    (lab["root"] / "xss-default.ipynb").write_text(json.dumps(notebook))
    html = lab["root"] / "xss-default.html"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "html",
            str(lab["root"] / "xss-default.ipynb"),
        ],
        capture_output=True,
        check=True,
    )
    assert "Payload 1:" in html.read_text()
    saved = page.context.new_page()
    saved.add_init_script("window.__xss = 0")
    dialogs: list[str] = []
    saved.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    saved.goto(html.as_uri())
    saved.wait_for_timeout(1500)
    assert saved.evaluate("window.__xss") == 0 and dialogs == []
    saved.close()


def test_notebook_7(page: Any, lab: dict[str, Any], browser_emulator: NeoEmulator) -> None:
    write_notebook(
        lab["root"], "nb7.ipynb", ["%load_ext neo_notebook", "%%neo\nWhat is in my stack?"]
    )
    open_and_run(page, lab, "nb7.ipynb", ui="notebooks")
    page.locator('[data-testid="neo-status"]', has_text="Idle").wait_for(timeout=60_000)
    page.locator('[data-testid="neo-message"][data-role="assistant"]').nth(1).wait_for(
        timeout=30_000
    )
    page.locator('[data-testid="neo-tool"]').first.wait_for(timeout=30_000)
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
