"""Full garbage collections at quiet moments, so that few fall in the middle of a keystroke.

CPython runs a full (generation 2) collection whenever enough objects have survived into the
oldest generation; in this app that is a walk over tens of thousands of snapshot, widget and
cache objects, 40-250 ms during which no key is answered. The views park what lives as long as
the app out of its sight (gc.freeze, see MlopsApp.park_long_lived). What remains is collected
here as well, once a second has passed with no key or click, at most every `every` seconds:
each such collection resets CPython's count towards the next automatic one, so that one
rarely comes while keys are pressed. The automatic collections stay on (with them off, a
200,000-alert storm's garbage waited for the quiet moments and RSS grew by 66 MB over 10
polls), and `at_most` seconds after the last one a collection runs even while keys come.
"""

from __future__ import annotations

import gc
import time


class IdleCollector:
    def __init__(self, every: float = 10.0, quiet: float = 1.0, at_most: float = 60.0) -> None:
        self.every = every
        self.quiet = quiet
        self.at_most = at_most
        self.last_input = self.last_collect = time.monotonic()
        self.collections = 0
        self.running = False

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def input_seen(self) -> None:
        self.last_input = time.monotonic()

    def tick(self) -> bool:
        """Called about once a second: collect now if it is due; whether it did."""
        if not self.running or not gc.isenabled():
            return False
        now = time.monotonic()
        since = now - self.last_collect
        if since < self.every or (now - self.last_input < self.quiet and since < self.at_most):
            return False
        gc.collect()
        self.last_collect = time.monotonic()
        self.collections += 1
        return True
