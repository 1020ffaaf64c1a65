"""``neo-notebook demo``: the emulator and JupyterLab together, for a first look.

Nobody needs a Pulumi account to try neo_notebook: this starts the emulator (speaking the
current Neo API, with a seeded history to analyse), points every kernel at it through the
environment the client reads (``PULUMI_BACKEND_URL``, ``PULUMI_ACCESS_TOKEN``,
``PULUMI_ORG``), and starts JupyterLab so that the URL it prints opens the quickstart
notebook itself, not the Launcher. JupyterLab's "get notified about official Jupyter news?"
prompt is switched off for the demo only (the user's own settings are not touched). Ctrl-C
stops both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from .emulator import NeoEmulator
from .emulator._shapes import ApiShape

QUICKSTART = Path("notebooks") / "quickstart.ipynb"

ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"
"""JupyterLab's plugin that asks about news over the first notebook, and checks for updates."""


def lab_command(lab_args: Sequence[str] = (), *, root: Path | None = None) -> list[str]:
    """The ``jupyter lab`` command line of the demo, started in ``root`` (default: here).

    Its default URL is the quickstart (when ``root`` has one), so the URL JupyterLab prints,
    and the page a browser opens, is the notebook. ``lab_args`` come last and win.

    >>> lab_command(root=Path("/nowhere"))[1:4]
    ['-m', 'jupyter', 'lab']
    """
    command = [sys.executable, "-m", "jupyter", "lab"]
    if ((root or Path.cwd()) / QUICKSTART).exists():
        command.append(f"--LabApp.default_url=/lab/tree/{QUICKSTART.as_posix()}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    return [*command, *lab_args]


def lab_environment(
    emulator_env: Mapping[str, str], config_dir: Path, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of JupyterLab and its kernels: the emulator's, and a config directory.

    ``config_dir`` gets a ``labconfig/page_config.json`` that disables the announcements
    plugin; it is put first on ``JUPYTER_CONFIG_PATH``, which adds to Jupyter's search path
    without replacing the user's own configuration.
    """
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {ANNOUNCEMENTS: True}}, indent=2)
    )
    env = {**(os.environ if base is None else base), **emulator_env}
    extra = env.get("JUPYTER_CONFIG_PATH")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(config_dir), extra]))
    return env


def quickstart_url(server: Mapping[str, Any]) -> str:
    """The quickstart's URL, token included, from a running server's ``jpserver-*.json``.

    >>> quickstart_url({"port": 8888, "base_url": "/", "token": "abc", "secure": False})
    'http://127.0.0.1:8888/lab/tree/notebooks/quickstart.ipynb?token=abc'
    """
    scheme = "https" if server.get("secure") else "http"
    base = str(server.get("base_url") or "/").rstrip("/")
    url = f"{scheme}://127.0.0.1:{server['port']}{base}/lab/tree/{QUICKSTART.as_posix()}"
    return f"{url}?token={server['token']}" if server.get("token") else url


def run_demo(
    *,
    history: int = 40,
    pace: float = 0.6,
    port: int = 0,
    api: ApiShape = "current",
    lab_args: Sequence[str] = (),
) -> int:
    """Run the demo until Ctrl-C; returns JupyterLab's exit code."""
    with (
        NeoEmulator(history=history, pace=pace, port=port, api=api) as emulator,
        tempfile.TemporaryDirectory(prefix="neo-demo-") as config_dir,
    ):
        print(
            f"Neo emulator: {emulator.url} (org {emulator.org}, {history} past tasks)", flush=True
        )
        env = lab_environment(emulator.env, Path(config_dir))
        command = lab_command(lab_args)
        print("Starting JupyterLab; Ctrl-C stops the demo.", flush=True)
        # Its own session: Ctrl-C reaches only us, and we stop JupyterLab without its
        # "Shutdown this Jupyter server (y/[n])?" prompt.
        lab = subprocess.Popen(command, env=env, start_new_session=True)
        if QUICKSTART.exists():
            threading.Thread(target=_announce, args=(lab, env), daemon=True).start()
        # A plain `kill` (SIGTERM) must stop JupyterLab too: it is in a session of its own.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            return lab.wait()
        except KeyboardInterrupt:
            print("\nStopping JupyterLab and the emulator…", flush=True)
            lab.send_signal(signal.SIGTERM)
            try:
                lab.wait(timeout=15)
            except subprocess.TimeoutExpired:
                lab.kill()
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)


def _announce(lab: subprocess.Popen[bytes], env: Mapping[str, str], timeout: float = 120) -> None:
    """Print the quickstart's URL once JupyterLab is up, below its own busy log."""
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = Path(env.get("JUPYTER_RUNTIME_DIR") or jupyter_runtime_dir())
    info = runtime / f"jpserver-{lab.pid}.json"  # `python -m jupyter lab` execs: the same pid
    deadline = time.monotonic() + timeout
    while lab.poll() is None and time.monotonic() < deadline:
        try:
            server = json.loads(info.read_text())
        except (OSError, ValueError):
            time.sleep(0.25)
            continue
        rule = "─" * 72
        print(
            f"\n{rule}\n  The quickstart is ready. Open this URL in your browser:\n\n"
            f"  {quickstart_url(server)}\n{rule}\n",
            flush=True,
        )
        return


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
