"""The benchmarks still run: each script's ``--quick`` smoke run, in its own process.

A benchmark drives the package the way a user does (the chat panel's messages, history,
export), so a change to those can leave it measuring nothing. These runs check that every
script finishes and that its own correctness checks hold (nothing lost or sent twice, frames
of the expected length); they assert no timing, which ``make bench`` reports as ratios.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(
    p.name for p in BENCHMARKS.glob("*.py") if p.name != "run.py" and not p.name.startswith("_")
)


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmark_runs_and_its_checks_hold(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (
        f"{script} --quick failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    assert "target" in done.stdout or "lost" in done.stdout  # it printed its table
