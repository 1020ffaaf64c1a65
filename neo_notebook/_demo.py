"""``neo-notebook demo``: the emulator and JupyterLab together, for a first look.

Nobody needs a Pulumi account to try neo_notebook: this starts the emulator (with a seeded
history to analyse), points every kernel at it through the environment the client reads
(``PULUMI_BACKEND_URL``, ``PULUMI_ACCESS_TOKEN``, ``PULUMI_ORG``), and opens JupyterLab on
the quickstart notebook. Ctrl-C stops both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from .emulator import NeoEmulator

QUICKSTART = Path("notebooks") / "quickstart.ipynb"


def run_demo(
    *, history: int = 40, pace: float = 0.6, port: int = 0, lab_args: list[str] | None = None
) -> int:
    """Run the demo until Ctrl-C; returns JupyterLab's exit code."""
    with NeoEmulator(history=history, pace=pace, port=port) as emulator:
        env = {**os.environ, **emulator.env}
        print(
            f"Neo emulator: {emulator.url} (org {emulator.org}, {history} past tasks)", flush=True
        )
        command = [sys.executable, "-m", "jupyter", "lab", *(lab_args or [])]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # containers and CI machines often run as root
        if QUICKSTART.exists():
            command.append(str(QUICKSTART))
        print("Starting JupyterLab; open the URL it prints. Ctrl-C stops the demo.", flush=True)
        # Its own session: Ctrl-C reaches only us, and we stop JupyterLab without its
        # "Shutdown this Jupyter server (y/[n])?" prompt.
        lab = subprocess.Popen(command, env=env, start_new_session=True)
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


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
