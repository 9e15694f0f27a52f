"""Full garbage collections at quiet moments, not in the middle of a keystroke.

CPython runs a full (generation 2) collection whenever enough objects have survived into the
oldest generation; in this app that is a walk over tens of thousands of snapshot, widget and
cache objects, 40-250 ms during which no key is answered. The views park what lives as long as
the app out of its sight (gc.freeze, see MlopsApp.park_long_lived); what remains is collected
here instead. While the app runs, CPython's automatic full collection is off (its threshold
out of reach; the two younger generations are collected as usual, a few ms each), and one runs
from the app's one-second tick:

- once a second has passed with no key or click, at most every `every` seconds;
- whatever the keys, when `backlog` young-generation collections have happened since the last
  full one (a storm of 200,000 alerts makes ~3 a second: its garbage is not left to pile up,
  RSS stays flat), or `at_most` seconds have passed.

What survives such a collection is alive and most of it lives on (snapshots, rows, widgets),
so it is frozen too: the next collection walks only what is newer (bench_big_answers.py, 10,000
alerts kept of 200,000: full collections of a median 120 ms fell to 60 ms). What was frozen alive and later
dies in a cycle (a closed dialog's widgets, a restyle's style nodes, a closed HTTP connection)
is not lost: a deep collection unfreezes everything and walks it all. That walk is 100-135 ms
with 10,000 alerts held (~150,000 objects, ~1 million references), and a key that arrives
during it waits, so it never runs while keys come:

- when the terminal has lost focus (`away`: nobody is typing into it), or after `deep_quiet`
  seconds with no key or click, at most every `deep_every` seconds;
- once `deep_at_most` seconds passed without one (keys came all along), in the first pause of
  `deep_pause` seconds.

It finds little: ~13 objects a poll of 200,000 alerts (0.1 MB in 600 s), so keys that never
pause for `deep_pause` seconds leave it waiting at that small cost.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

NEVER = 1_000_000_000  # a generation-2 threshold that is never reached


class IdleCollector:
    def __init__(
        self,
        every: float = 10.0,
        quiet: float = 1.0,
        at_most: float = 60.0,
        backlog: int = 40,
        deep_every: float = 300.0,
        deep_quiet: float = 60.0,
        deep_at_most: float = 3600.0,
        deep_pause: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        self.quiet = quiet
        self.at_most = at_most
        self.backlog = backlog
        self.deep_every = deep_every
        self.deep_quiet = deep_quiet
        self.deep_at_most = deep_at_most
        self.deep_pause = deep_pause
        self.clock = clock
        self.away = False
        """The terminal has lost focus (the app's AppBlur; a key or AppFocus ends it)."""
        self.last_input = self.last_collect = self.last_deep = clock()
        self.collections = 0
        self.deep_collections = 0
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            young, middle, _oldest = self._thresholds
            gc.set_threshold(young, middle, NEVER)

    def stop(self) -> None:
        """Back to CPython's own collections; what the app froze is the collector's again."""
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
            gc.unfreeze()

    def input_seen(self) -> None:
        self.last_input = self.clock()
        self.away = False

    def tick(self) -> bool:
        """Called about once a second: collect now if it is due; whether it did."""
        if self._thresholds is None or not gc.isenabled():
            return False
        now = self.clock()
        idle = now - self.last_input
        since_deep = now - self.last_deep
        resting = self.away or idle >= self.deep_quiet
        if (resting and since_deep >= self.deep_every) or (idle >= self.deep_pause and since_deep >= self.deep_at_most):
            gc.unfreeze()  # everything, what died after it was frozen too
            self.deep_collections += 1
            self.last_deep = now
        else:
            since = now - self.last_collect
            quiet = idle >= self.quiet and since >= self.every
            if not (quiet or since >= self.at_most or gc.get_count()[2] >= self.backlog):
                return False
        gc.collect()
        gc.freeze()  # what survived lives on: the next collection need not walk it again
        self.last_collect = self.clock()
        self.collections += 1
        return True
