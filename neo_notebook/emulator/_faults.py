"""Injected failures: what a client's retries, timeouts and reconnects are tested against.

Each request, independently, draws from one `random.Random(Faults.seed)` in arrival order, so a
client that sends the same requests one after another meets the same faults every run. Three
numbers are drawn per request whatever happens (fault?, which kind?, latency spike?), so one
outcome never shifts the draws of the next request.

The default kinds are decided BEFORE the request acts: a faulted POST creates nothing and posts
nothing, exactly what makes retrying it safe. The `-after` kinds let the request act and then
lose the answer, the case where a client must find out whether its write landed. Kinds:

| kind | what the client sees |
|---|---|
| `"429"` | 429 with `Retry-After: <retry_after>` (integer seconds) |
| `"500"`, `"502"`, `"503"` | that status with a JSON error body |
| `"drop"` | the connection closed without any response |
| `"hang"` | no response at all until the emulator stops (for timeout tests; not a default kind) |
| `"500-after"`, `"drop-after"` | the request acts, then a 500 or a dropped connection (opt-in) |
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import NamedTuple

FAULT_KINDS = ("429", "500", "502", "503", "drop", "hang", "500-after", "drop-after")


@dataclass(frozen=True)
class Faults:
    """What to inject: a fault with probability `rate`, and added latency.

    `latency` seconds are added to every request, and with probability `spike_rate` another
    `spike_latency`. Faults are drawn uniformly from `kinds`. `retry_after` is the integer the
    429 responses put in `Retry-After`.

    >>> Faults(rate=0.2, seed=1).kinds
    ('429', '500', '502', '503', 'drop')
    """

    rate: float = 0.0
    latency: float = 0.0
    spike_rate: float = 0.0
    spike_latency: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = ("429", "500", "502", "503", "drop")
    retry_after: int = 0

    def __post_init__(self) -> None:
        for name in ("rate", "spike_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Faults.{name} must be between 0 and 1, got {value!r}")
        if self.latency < 0 or self.spike_latency < 0 or self.retry_after < 0:
            raise ValueError("Faults latencies and retry_after must not be negative")
        unknown = [k for k in self.kinds if k not in FAULT_KINDS]
        if unknown or (self.rate > 0 and not self.kinds):
            raise ValueError(f"Faults.kinds must be a non-empty subset of {FAULT_KINDS}")


class FaultDecision(NamedTuple):
    """What happens to one request: `kind` is None when it is handled normally."""

    kind: str | None
    delay: float


class FaultInjector:
    """Draws one `FaultDecision` per request from `faults`, thread-safely and reproducibly."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._lock = threading.Lock()

    def decide(self) -> FaultDecision:
        """The fate of the next request."""
        f = self.faults
        with self._lock:
            fault, which, spike = self._rng.random(), self._rng.random(), self._rng.random()
        kind = f.kinds[int(which * len(f.kinds))] if f.kinds and fault < f.rate else None
        delay = f.latency + (f.spike_latency if spike < f.spike_rate else 0.0)
        return FaultDecision(kind, delay)
