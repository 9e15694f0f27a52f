"""Full garbage collections at quiet moments, not in the middle of a keystroke.

CPython runs a full (generation 2) collection whenever enough objects have survived into the
oldest generation; in this app that is a walk over tens of thousands of snapshot, widget and
cache objects, 60-250 ms during which no key is answered, every few seconds while polls bring
new data. The views park what lives as long as the app out of its sight (gc.freeze, see
MlopsApp.park_long_lived); what remains is collected here instead: automatic full collections
are turned off while the app runs, and one runs once a second has passed with no key or click,
at most every `every` seconds, and in any case after `at_most` seconds. The two younger
generations are collected as usual (a few ms each). Cyclic garbage waits at most `at_most`
seconds, so memory stays bounded.
"""

from __future__ import annotations

import gc
import time

NEVER = 1_000_000_000  # a generation-2 threshold that is never reached


class IdleCollector:
    def __init__(self, every: float = 10.0, quiet: float = 1.0, at_most: float = 60.0) -> None:
        self.every = every
        self.quiet = quiet
        self.at_most = at_most
        self.last_input = self.last_collect = time.monotonic()
        self.collections = 0
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            young, middle, _oldest = self._thresholds
            gc.set_threshold(young, middle, NEVER)

    def stop(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def input_seen(self) -> None:
        self.last_input = time.monotonic()

    def tick(self) -> bool:
        """Called about once a second: collect now if it is due; whether it did."""
        if self._thresholds is None or not gc.isenabled():
            return False
        now = time.monotonic()
        since = now - self.last_collect
        if since < self.every or (now - self.last_input < self.quiet and since < self.at_most):
            return False
        gc.collect()
        self.last_collect = time.monotonic()
        self.collections += 1
        return True
