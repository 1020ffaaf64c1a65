"""Browser tests: a real `jupyter lab` server, Debian's Chromium driven by Playwright.

The emulator runs in the test process; the Jupyter server (and so every kernel it starts)
gets its URL, org and token through the environment, exactly as `make demo` does. Each
test writes its own notebook, opens it, runs all cells and reads the DOM. Screenshots go to
``test-artifacts/`` for people to look at.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from neo_notebook.emulator import NeoEmulator

CHROMIUM = os.environ.get("NEO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def browser_emulator() -> Iterator[NeoEmulator]:
    with NeoEmulator(org="acme", seed=11, pace=0.05, history=3) as emu:
        yield emu


@pytest.fixture(scope="session")
def lab(
    browser_emulator: NeoEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A JupyterLab server on loopback, with no token, rooted in a temporary folder."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("lab-home")
    port = free_port()
    env = {
        **os.environ,
        **browser_emulator.env,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "rt"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    env.pop("PULUMI_HOME", None)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    # Save widget state into the notebook, so tests can check what a saved notebook holds.
    widgets = home / "settings" / "@jupyter-widgets" / "jupyterlab-manager"
    widgets.mkdir(parents=True)
    (widgets / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    url = f"http://127.0.0.1:{port}"
    with serving(command, env=env, health=f"{url}/api/status", log=home / "lab.log"):
        yield {"url": url, "root": root, "log": home / "lab.log"}


@contextmanager
def serving(
    command: list[str], *, env: dict[str, str], health: str, log: Path, timeout: float = 90
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server (JupyterLab, marimo) until the block ends; wait until ``health`` answers.

    It runs in a session of its own, so stopping it stops its kernels too; a server that
    dies or stays silent fails the test with the end of its log.
    """
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(health, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"{command[2]} did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.3)
        try:
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"))
    context.close()


def write_notebook(root: Path, name: str, cells: list[str]) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = root / name
    nbformat.write(nb, path)
    return path


def open_and_run(page: Any, lab: dict[str, Any], name: str, *, ui: str = "lab") -> None:
    """Open a notebook in JupyterLab (or Notebook 7, ``ui="notebooks"``) and run all cells."""
    path = f"lab/tree/{name}?reset" if ui == "lab" else f"notebooks/{name}"  # ?reset: no old tabs
    page.goto(f"{lab['url']}/{path}")
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
    deadline = time.monotonic() + 60
    while not kernel_idle(lab["url"], name):  # the same check in both UIs: the server's view
        if time.monotonic() > deadline:
            pytest.fail(f"the kernel of {name} did not start")
        time.sleep(0.2)
    for _ in range(3):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:  # a click before the page has connected to the kernel is ignored: try again
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-InputPrompt')]"
                ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))",
                timeout=10_000,
            )
            return
        except Exception:  # playwright's TimeoutError
            continue
    pytest.fail(f"the cells of {name} did not run")


def save_notebook(page: Any) -> None:
    """Save with the toolbar's button (keys typed in the panel, Ctrl+S too, stay there)."""
    page.locator('.jp-NotebookPanel-toolbar [data-command="docmanager:save"]').first.click()
    # The tab's "unsaved" dot goes once the server has the file.
    page.wait_for_function(
        "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
        timeout=30_000,
    )


def kernel_idle(url: str, name: str) -> bool:
    sessions = requests.get(f"{url}/api/sessions", timeout=5).json()
    return any(
        s.get("path", "").endswith(name) and s.get("kernel", {}).get("execution_state") == "idle"
        for s in sessions
    )


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
