"""Run every benchmark script in this folder, one after another, each in its own process.

A fresh interpreter per script keeps one benchmark's memory and threads out of the next's
numbers. Extra arguments (``--quick``) are passed to every script.

    python benchmarks/run.py [--quick]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run.py" and p.name[0] != "_")
    failed = []
    for script in scripts:
        print(f"== {script.name} ==", flush=True)
        if subprocess.run([sys.executable, str(script), *argv], check=False).returncode:
            failed.append(script.name)
        print(flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
