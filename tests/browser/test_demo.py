"""`neo-notebook demo` as a newcomer meets it: the URL it prints opens the quickstart, quietly."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from .conftest import free_port, shot

REPO = Path(__file__).resolve().parents[2]
URL = re.compile(r"^\s+(http://127\.0\.0\.1:\d+/lab/tree/notebooks/quickstart\.ipynb\?token=\w+)$")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The demo in a copy of the repository's notebooks, with Jupyter's folders to itself."""
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # no settings: a newcomer's defaults
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    env.pop("PULUMI_HOME", None)
    port = free_port()
    command = [sys.executable, "-m", "neo_notebook._cli", "demo", "--history", "3", "--"]
    command += ["--no-browser", f"--port={port}", "--ServerApp.port_retries=0"]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    log: list[str] = []
    url = None
    try:
        deadline = time.monotonic() + 90
        while url is None and process.poll() is None and time.monotonic() < deadline:
            try:
                log.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            match = URL.match(log[-1].rstrip("\n"))
            if match and any("The quickstart is ready" in line for line in log):
                url = match.group(1)  # our banner's line, not JupyterLab's own
        if url is None:
            pytest.fail("the demo printed no quickstart URL:\n" + "".join(log[-40:]))
        yield {"url": url, "log": log, "port": port}
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # what `kill` does to `make demo`
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_the_printed_url_opens_the_quickstart_without_the_news_prompt(
    demo: dict[str, Any], page: Any
) -> None:
    assert (
        f"http://127.0.0.1:{demo['port']}/lab/tree/notebooks/quickstart.ipynb?token="
        in (demo["url"])
    )
    page.goto(demo["url"])
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
    current = page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel")
    assert "quickstart.ipynb" in current.all_inner_texts()
    assert page.locator(".jp-Launcher").count() == 0
    page.locator(".jp-Cell").nth(2).wait_for(timeout=30_000)
    time.sleep(3)  # JupyterLab asks about news a moment after the app is restored
    assert "official Jupyter news" not in page.content()
    assert page.locator(".jp-Notification-Toast, .Toastify__toast").count() == 0
    shot(page, "demo-landing")
