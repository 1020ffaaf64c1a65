"""The `neo-notebook` command.

Each subcommand is a pair of functions: `_add_<name>(subparsers)` declares its options and sets
`run` to `_run_<name>(args) -> exit code`. Adding one is adding a pair and a line in `_parser`.

    $ neo-notebook emulator --port 8080 --history 40
    export PULUMI_BACKEND_URL=http://127.0.0.1:8080
    export PULUMI_ACCESS_TOKEN=pul-...
    export PULUMI_ORG=acme

or, to keep it in the background of one shell:

    $ neo-notebook emulator --port 8080 > neo.env & sleep 1; eval "$(cat neo.env)"
"""

from __future__ import annotations

import argparse
import logging
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType


def main(argv: Sequence[str] | None = None) -> int:
    """Run `neo-notebook` with `argv` (default: the process's arguments); returns the exit code."""
    args = _parser().parse_args(argv)
    code: int = args.run(args)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neo-notebook", description="Pulumi Neo in Jupyter: tools around the notebook."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_emulator(subparsers)
    _add_demo(subparsers)
    return parser


def _add_demo(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "demo",
        help="the emulator and JupyterLab on the quickstart notebook",
        description=(
            "Start the emulator with a seeded history and JupyterLab on "
            "notebooks/quickstart.ipynb (run it from the repository's root), with the "
            "environment set so notebooks talk to the emulator, and print the quickstart's "
            "URL. Ctrl-C stops both. Options after -- go to `jupyter lab` (e.g. -- --no-browser "
            "--ip 0.0.0.0 in a container)."
        ),
    )
    p.add_argument("--history", type=int, default=40, help="seeded past tasks (default: 40)")
    p.add_argument(
        "--pace", type=float, default=0.6, help="seconds between the agent's events (default: 0.6)"
    )
    p.add_argument("--port", type=int, default=0, help="emulator port (default: any free one)")
    p.add_argument(
        "--api",
        choices=("seed", "current"),
        default="current",
        help="the emulator's event shapes: the current spec's or the seed contract's "
        "(default: current)",
    )
    p.add_argument("lab_args", nargs=argparse.REMAINDER, help="arguments for `jupyter lab`")
    p.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    lab_args = [a for a in args.lab_args if a != "--"]
    return run_demo(
        history=args.history, pace=args.pace, port=args.port, api=args.api, lab_args=lab_args
    )


def _add_emulator(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "emulator",
        help="serve a local Neo with a scripted agent",
        description=(
            "Serve a local Pulumi Neo agent API with a scripted agent, in the foreground until "
            "Ctrl-C. It prints three `export` lines for the client; `eval` them in a shell."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument(
        "--port", type=int, default=8080, help="port, 0 for any free one (default: 8080)"
    )
    p.add_argument("--org", default="acme", help="organization name (default: %(default)s)")
    p.add_argument("--token", default=None, help="access token to accept (default: a random one)")
    p.add_argument("--history", type=int, default=25, help="seeded past tasks (default: 25)")
    p.add_argument(
        "--events-per-task",
        type=int,
        default=None,
        help="exact events per seeded task (default: varied, 10 to 60)",
    )
    p.add_argument(
        "--pace", type=float, default=0.6, help="seconds between the agent's events (default: 0.6)"
    )
    p.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every request (default: 0)"
    )
    p.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="probability of an injected 429/5xx/dropped connection per request (default: 0)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for everything random (default: 0)")
    p.add_argument(
        "--api",
        choices=("current", "seed"),
        default="current",
        help="event shapes: today's service or the seed contract's (default: current)",
    )
    p.add_argument(
        "--confirmation-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds before an accepted approval answer shows in the events, as on the live "
        "service (default: 0)",
    )
    p.add_argument(
        "--no-echo-confirmations",
        dest="echo_confirmations",
        action="store_false",
        help="act on approval answers but never list them (a server that loses the echo)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    p.set_defaults(run=_run_emulator)


def _run_emulator(args: argparse.Namespace) -> int:
    from .emulator import Faults, NeoEmulator

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        emulator = NeoEmulator(
            org=args.org,
            token=args.token,
            host=args.host,
            port=args.port,
            history=args.history,
            events_per_task=args.events_per_task,
            pace=args.pace,
            latency=args.latency,
            faults=Faults(rate=args.fault_rate, seed=args.seed),
            api=args.api,
            seed=args.seed,
            confirmation_delay=args.confirmation_delay,
            echo_confirmations=args.echo_confirmations,
        )
        emulator.start()
    except (ValueError, OSError) as error:
        print(f"neo-notebook emulator: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_terminate(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Ctrl-C and kill alike. SIGINT is handled explicitly, not left to KeyboardInterrupt:
    # a shell starts background jobs with SIGINT ignored, and Python then never raises it.
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, on_terminate)
    try:
        for name, value in emulator.env.items():
            print(f"export {name}={shlex.quote(value)}", flush=True)
        print(
            f"Neo emulator for org {args.org!r} on {emulator.url}; Ctrl-C stops it.",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
