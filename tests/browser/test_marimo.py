"""NeoChat in marimo: `mo.ui.anywidget(client.chat(task.id))` in `marimo edit`, in Chromium.

marimo runs the notebook (a `.py` app) in its own kernel, not IPython's, so this checks what
users of marimo get: the panel renders, Neo's messages stream in, and a click on Approve
reaches Python and the emulator.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neo_notebook.emulator import NeoEmulator

from .conftest import free_port, serving, shot

CHANGE = "Please fix the drift in prod and open a pull request"

APP = textwrap.dedent(
    f'''
    import marimo

    app = marimo.App()


    @app.cell
    def _():
        import marimo as mo

        from neo_notebook import NeoClient

        client = NeoClient()  # PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN, PULUMI_ORG
        task = client.create_task("{CHANGE}", entities=["infra/prod"])
        panel = mo.ui.anywidget(client.chat(task.id))
        panel
        return


    if __name__ == "__main__":
        app.run()
    '''
)


@pytest.fixture
def marimo(browser_emulator: NeoEmulator, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`marimo edit --headless` on a small app, its kernel pointed at the emulator."""
    app = tmp_path / "neo_marimo.py"
    app.write_text(APP)
    port = free_port()
    env = {
        **os.environ,
        **browser_emulator.env,
        "HOME": str(tmp_path / "home"),  # marimo's own config and state, not the user's
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    env.pop("PULUMI_HOME", None)
    # marimo's editor opens notebooks without running them unless this is set (it is off by
    # default since 0.2x); a user presses Run instead.
    (tmp_path / "config" / "marimo").mkdir(parents=True)
    (tmp_path / "config" / "marimo" / "marimo.toml").write_text(
        "[runtime]\nauto_instantiate = true\n"
    )
    command = [sys.executable, "-m", "marimo", "edit", "--headless", "--no-token"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--skip-update-check"]
    command += ["--no-sandbox", str(app)]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "marimo.log"
    with serving(command, env=env, health=f"{url}/health", log=log):
        yield {"url": url, "log": log}


def test_neochat_in_marimo_streams_neo_and_approves(
    marimo: dict[str, Any], page: Any, browser_emulator: NeoEmulator
) -> None:
    page.goto(marimo["url"])
    page.locator(".neo-chat").first.wait_for(timeout=90_000)
    user = page.locator('[data-testid="neo-message"][data-role="user"]')
    user.first.wait_for(timeout=30_000)
    assert CHANGE in user.first.inner_text()
    card = page.locator('[data-testid="neo-approval"][data-state="pending"]')
    card.wait_for(timeout=60_000)
    assert page.locator('[data-testid="neo-message"][data-role="assistant"]').count() >= 2
    assert page.locator('[data-testid="neo-tool"]').count() >= 1
    shot(page, "marimo-awaiting-approval")

    task_id = next(task for task, body in browser_emulator.posted if body.get("content") == CHANGE)
    page.locator('[data-testid="neo-approve"]').first.click()
    pr = page.locator('[data-testid="neo-entity"][data-type="pull_request"]')
    pr.first.wait_for(timeout=60_000)
    assert (pr.first.get_attribute("href") or "").startswith("https://")
    confirmations = [
        body
        for task, body in browser_emulator.posted
        if task == task_id and body["type"] == "user_confirmation"
    ]
    assert len(confirmations) == 1 and confirmations[0]["ok"] is True
    shot(page, "marimo-pull-request")
