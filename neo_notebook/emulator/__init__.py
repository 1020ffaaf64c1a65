"""A local Pulumi Neo: a real HTTP server on loopback with a scripted agent.

The demo, every test and the benchmarks run against it. It speaks the Neo agent API
(shared/neo-api.md) in the seed's event shapes, or the current spec's with `api="current"`, and
can inject faults, seed months of history and pace its agent like the real one.

>>> from neo_notebook.emulator import NeoEmulator, Faults
>>> with NeoEmulator(org="acme", history=3) as emu:
...     sorted(emu.env)
['PULUMI_ACCESS_TOKEN', 'PULUMI_BACKEND_URL', 'PULUMI_ORG']

From a shell, `neo-notebook emulator --port 8080` serves in the foreground and prints the
`export` lines a client needs (`eval` them, or paste them into another terminal).

Modules: `_emulator` (the `NeoEmulator` object), `_server` (HTTP framing, the event stream),
`_api` (routes and auth), `_validation` (request bodies), `_agent` (the scripted agent and its
magic words), `_store` (tasks and event logs), `_pagination` (continuation tokens), `_history`
(seeded past tasks), `_content` (what the agent says), `_shapes` (seed vs current wire shapes),
`_faults` (injected failures).
"""

from ._emulator import EmulatorStats, NeoEmulator
from ._faults import Faults
from ._store import PostedEvent

__all__ = ["EmulatorStats", "Faults", "NeoEmulator", "PostedEvent"]
