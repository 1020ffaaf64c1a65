"""Neo's tools on this machine, supervised in the panel: JupyterLab and marimo, in Chromium.

One notebook runs every case in order (one kernel, one page): a shell call asks and Allow
for the task runs it with its output live, the next runs without asking, Reject sends its
reason, Stop kills `sleep 30` within a second, an edit shows its diff and leaves the file alone
until allowed, and Approve and Allow reach a kernel busy in a `--wait` cell or a long cell.
CLI mode needs today's API, so these tasks go to an emulator of their own (the kernel is told
its URL and token in the first cell).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from xss_payloads import PAYLOADS

from neo_notebook.emulator import NeoEmulator

from .conftest import free_port, open_and_run, save_notebook, serving, shot, write_notebook

WEBAPP = Path(__file__).resolve().parents[2] / "notebooks" / "webapp"
RIGHT_SIZE = "Right-size web-server in this program"
XSS = PAYLOADS[1]


@pytest.fixture(scope="module")
def local_emulator() -> Iterator[NeoEmulator]:
    with NeoEmulator(org="acme", seed=5, pace=0.05, api="current") as emu:
        yield emu


def results(emu: NeoEmulator) -> list[dict[str, Any]]:
    return [
        item
        for _, body in emu.posted
        if body["type"] == "tool_result"
        for item in body["tool_results"]
    ]


def wait_until(probe: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {probe}")


def text_of(locator: Any) -> str:
    return str(locator.evaluate("el => el.textContent"))


def cell(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def test_supervising_local_runs_in_jupyterlab(
    page: Any, lab: dict[str, Any], local_emulator: NeoEmulator
) -> None:
    root: Path = lab["root"]
    ws = root / "ws"
    shutil.copytree(WEBAPP, ws / "webapp")
    index = ws / "webapp" / "index.ts"
    before = index.read_text()
    flag = root / "approved.flag"
    env = local_emulator.env
    cells = [
        # 0: this kernel talks to the CLI-mode emulator
        "import os, pathlib, time\n"
        + "".join(f"os.environ[{k!r}] = {v!r}\n" for k, v in env.items())
        + "%load_ext neo_notebook",
        # 1: asks; Allow shell for this task, clicked while this --wait cell runs
        f"%%neo --local ws --wait\nrun: echo 'hello-'$((6*7)); echo '{XSS}'; sleep 3; echo bye",
        # 2: the same task: shell is granted, it runs without asking
        "%%neo --local ws --wait\nrun: echo second",
        # 3: a new task: rejected with a reason
        "%%neo --new --local ws --wait\nrun: rm -rf build",
        # 4: shell allowed by the workspace: Stop kills sleep 30
        "%%neo --new --local ws --allow read,shell --wait\nrun: echo going; sleep 30",
        # 5: an edit asks with its diff; then Neo asks to approve the preview
        f"%%neo --new --local ws --wait\n{RIGHT_SIZE}",
        # 6: a busy kernel: Approve and Allow above must still reach it
        "for _ in range(1200):\n"
        "    if pathlib.Path('approved.flag').exists():\n"
        "        break\n"
        "    time.sleep(0.05)\n"
        "print('released')",
    ]
    write_notebook(root, "local_runs.ipynb", cells)
    open_and_run(page, lab, "local_runs.ipynb")

    # 1: the ask card, in a kernel busy with the --wait cell.
    first = cell(page, 1)
    card = first.locator('[data-testid="neo-local-ask"][data-state="pending"]')
    card.wait_for(timeout=60_000)
    command = card.locator('[data-testid="neo-local-command"]').inner_text()
    assert command.startswith("echo 'hello-'$((6*7))") and XSS in command
    assert first.locator('[data-testid="neo-status"]').inner_text() == "Neo is waiting for you"
    workspace = first.locator('[data-testid="neo-workspace"]')
    assert str(ws.resolve()) in workspace.inner_text()
    assert results(local_emulator) == []  # nothing ran before the answer
    shot(page, "local-ask-shell")
    card.locator('[data-testid="neo-local-allow-kind"]').click()
    tail = first.locator('[data-testid="neo-live-tail"]')
    tail.first.wait_for(timeout=30_000)
    # Live: the first lines show while the command still runs.
    live = wait_until(lambda: "hello-42" in text_of(tail.first) and text_of(tail.first), 30)
    assert "bye" not in live
    state = first.locator('[data-testid="neo-live-state"]').first
    assert text_of(state).startswith("running")
    wait_until(lambda: text_of(state) == "exit 0", 30)
    assert XSS in tail.first.inner_text()  # as text
    assert first.locator(".neo-live-tail img, .neo-live-tail script").count() == 0
    assert "Allowed (shell for this task)" in first.inner_text()
    assert page.dialogs == []

    # 2: granted: no card, it just runs.
    second = cell(page, 2)
    second_state = second.locator('[data-testid="neo-live-state"]')
    wait_until(lambda: second_state.count() >= 2, 60)  # the panel holds the whole task
    wait_until(lambda: text_of(second_state.last) == "exit 0", 30)
    # Not asked: this view of the same task shows the first call's card, decided, and no other.
    assert second.locator('[data-testid="neo-local-ask"]').count() == 1
    assert second.locator('[data-testid="neo-local-allow"]').count() == 0
    asks_before = len([r for r in results(local_emulator) if "declined" in str(r)])

    # 3: Reject with a reason.
    third = cell(page, 3)
    card = third.locator('[data-testid="neo-local-ask"][data-state="pending"]')
    card.wait_for(timeout=60_000)
    card.locator('[data-testid="neo-local-reason"]').fill("use make clean instead")
    card.locator('[data-testid="neo-local-reject"]').click()
    declined = wait_until(
        lambda: [r for r in results(local_emulator) if "declined" in str(r)][asks_before:], 30
    )
    assert declined[0]["content"] == {
        "error": "shell__shell_execute was not run: the user declined: use make clean instead"
    }
    third.locator('[data-testid="neo-local-decision"]').wait_for()
    assert "Rejected: use make clean instead" in third.inner_text()

    # 4: Stop during sleep 30.
    fourth = cell(page, 4)
    fourth.locator('[data-testid="neo-live-tail"]').first.wait_for(timeout=60_000)
    wait_until(lambda: "going" in text_of(fourth.locator('[data-testid="neo-live-tail"]').first))
    shot(page, "local-running-sleep")
    count = len(results(local_emulator))
    fourth.locator('[data-testid="neo-stop"]').click()
    clicked = time.monotonic()
    (stopped,) = wait_until(lambda: results(local_emulator)[count:], 10)
    assert time.monotonic() - clicked < 1.5
    assert stopped["is_error"] and stopped["content"]["error"] == "cancelled by the user"
    assert stopped["content"]["stdout"] == "going\n"
    stopped_state = fourth.locator('[data-testid="neo-live-state"]').first
    wait_until(lambda: text_of(stopped_state) == "stopped", 15)

    # 5: the edit's diff, before anything is written.
    fifth = cell(page, 5)
    card = fifth.locator('[data-testid="neo-local-ask"][data-state="pending"]')
    card.wait_for(timeout=60_000)
    diff = card.locator('[data-testid="neo-local-diff"]').inner_text()
    assert "t3.xlarge" in diff and "t3.large" in diff
    assert index.read_text() == before
    shot(page, "local-ask-edit")
    card.locator('[data-testid="neo-local-allow"]').click()
    wait_until(lambda: 't3.large"' in index.read_text(), 30)
    # Neo asks to approve the preview: the --wait cell ends, the next cell keeps the kernel
    # busy; Approve, then Allow for the preview, must reach it all the same.
    approve = fifth.locator('[data-testid="neo-approve"]')
    approve.wait_for(timeout=60_000)
    assert cell(page, 6).locator(".jp-InputPrompt").inner_text().strip() == "[*]:"
    approve.click()
    card = fifth.locator('[data-testid="neo-local-ask"][data-kind="preview"]')
    card.wait_for(timeout=60_000)
    assert "values not shown" in card.inner_text()
    card.locator('[data-testid="neo-local-allow"]').click()
    fifth.locator('[data-testid="neo-local-decision"]').last.wait_for(timeout=30_000)
    previews = wait_until(
        lambda: [r for r in results(local_emulator) if r["name"] == "pulumi__pulumi_preview"], 60
    )
    assert previews
    assert cell(page, 6).locator(".jp-InputPrompt").inner_text().strip() == "[*]:"
    flag.write_text("done")
    shot(page, "local-light")
    with dark_theme(page, lab["url"]):
        cell(page, 1).locator(".neo-chat").scroll_into_view_if_needed()
        shot(page, "local-dark-shell")
        cell(page, 5).locator('[data-testid="neo-local-ask"]').first.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)  # the notebook draws the cells it scrolled to
        shot(page, "local-dark-edit")


class dark_theme:
    """JupyterLab's dark theme for screenshots (set through the settings API, the page
    reloaded; the kernel and its panels stay), then light again for the tests after."""

    def __init__(self, page: Any, url: str) -> None:
        self.page, self.url = page, url

    def _use(self, theme: str) -> None:
        settings = f"{self.url}/lab/api/settings/@jupyterlab/apputils-extension:themes"
        raw = json.dumps({"theme": theme})
        save_notebook(self.page)  # an unsaved notebook would hold the reload with a dialog
        requests.put(settings, json={"raw": raw}, timeout=10).raise_for_status()
        self.page.reload()
        self.page.locator(".neo-chat").first.wait_for(timeout=60_000)
        self.page.wait_for_timeout(2000)  # the views re-sync with the kernel

    def __enter__(self) -> None:
        self._use("JupyterLab Dark")

    def __exit__(self, *exc: object) -> None:
        self._use("JupyterLab Light")


MARIMO_APP = """
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    from neo_notebook import NeoClient, Workspace

    client = NeoClient({org!r}, token={token!r}, base_url={url!r})
    ws = Workspace({ws!r})
    task = client.create_task("run: echo from-marimo", tool_execution_mode="cli")
    panel = mo.ui.anywidget(client.chat(task.id, workspace=ws))
    panel
    return


if __name__ == "__main__":
    app.run()
"""


def test_allow_in_marimo(page: Any, local_emulator: NeoEmulator, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    app = tmp_path / "neo_local.py"
    app.write_text(
        textwrap.dedent(MARIMO_APP).format(
            org=local_emulator.org, token=local_emulator.token, url=local_emulator.url, ws=str(ws)
        )
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    (tmp_path / "config" / "marimo").mkdir(parents=True)
    (tmp_path / "config" / "marimo" / "marimo.toml").write_text(
        "[runtime]\nauto_instantiate = true\n"
    )
    port = free_port()
    command = [sys.executable, "-m", "marimo", "edit", "--headless", "--no-token"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--skip-update-check"]
    command += ["--no-sandbox", str(app)]
    url = f"http://127.0.0.1:{port}"
    with serving(command, env=env, health=f"{url}/health", log=tmp_path / "marimo.log"):
        page.goto(url)
        card = page.locator('[data-testid="neo-local-ask"][data-state="pending"]')
        card.wait_for(timeout=90_000)
        count = len(results(local_emulator))
        card.locator('[data-testid="neo-local-allow"]').click()
        (item,) = wait_until(lambda: results(local_emulator)[count:], 30)
        assert item["content"]["stdout"] == "from-marimo\n" and item["is_error"] is False
        state = page.locator('[data-testid="neo-live-state"]').first
        wait_until(lambda: text_of(state) == "exit 0", 30)
        shot(page, "marimo-local-allowed")
