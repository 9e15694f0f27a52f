"""Garbage collections at quiet moments, not in the middle of a keystroke.

CPython collects its middle and oldest generations whenever enough objects have survived into
them; in this app that is a walk over tens of thousands of snapshot, widget and cache objects,
40-250 ms during which no key is answered. So while the app runs only the youngest generation
is collected automatically (a fraction of a millisecond), and the app keeps three tiers:

- What lives as long as the app (the imported modules, the app's widgets, each view once it is
  first shown) is frozen (gc.freeze, MlopsApp.park_long_lived): no collection walks it again.
  That is ~78,000 of the ~150,000 objects the app holds with 10,000 alerts.
- What lives for a while (a poll's alerts, the rows shown, the rendered lines) sits in the
  oldest generation. A new storm of alerts is moved there at once (`settle`).
- What is new sits in the middle generation until a quick collection walks it: survivors move
  to the oldest, cycles are freed. It runs from the app's one-second tick:
  - once a second has passed with no key or click, at most every `every` seconds;
  - whatever the keys, when `backlog` young collections have happened since the last (a storm
    of 200,000 alerts makes ~30 a second: its garbage is not left to pile up, RSS stays flat),
    or `at_most` seconds have passed.

What dies in a cycle after it reached the oldest generation (a closed dialog, a replaced style,
a closed HTTP connection) waits for a deep collection, which walks the oldest generation, not
what is frozen. With 10,000 alerts held (bench_big_answers.py) that is 9-28 ms when most alerts
are the same objects poll after poll (~20,000 objects walked), 75-90 ms when every alert changed
on each poll (~62,500), where unfreezing and walking everything took 125-206 ms. It finds
little (~13 objects a poll of 200,000 alerts, 0.1 MB in 600 s), and a key that arrives during
it waits, so it waits for a moment without keys:

- when the terminal has lost focus (`away`: nobody is typing into it), or after `deep_quiet`
  seconds with no key or click, at most every `deep_every` seconds;
- once `deep_at_most` seconds passed without one (keys came all along), in the first pause of
  `deep_pause` seconds.

What was frozen is never walked while the app runs: what of it dies in a cycle stays. That is
bounded: a freeze happens once at start and once per view, and what it strands is what died
of that moment's objects (the app's own objects live on), not something that grows per poll.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from mlops_tui.core.heap import settle_young_objects

NEVER = 1_000_000_000  # a threshold that is never reached: no automatic collection of that generation


class IdleCollector:
    def __init__(
        self,
        every: float = 10.0,
        quiet: float = 1.0,
        at_most: float = 60.0,
        backlog: int = 400,
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
            young, _middle, _oldest = self._thresholds
            gc.set_threshold(young, NEVER, NEVER)

    def settle(self) -> None:
        """What the young generations hold now (a new storm of alerts) lives for a while: free
        their garbage and move the rest to the oldest generation, out of the quick collections'
        walk. Only a deep collection walks it again."""
        settle_young_objects()

    def park(self) -> None:
        """What exists now lives as long as the app: freeze it, after freeing the young garbage.
        No collection walks it again (see the module's docstring for what that leaves)."""
        if gc.isenabled():
            settle_young_objects()
            gc.freeze()

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
            gc.collect(2)  # the oldest generation: what lives for a while, not what is frozen
            self.deep_collections += 1
            self.last_deep = now
        else:
            since = now - self.last_collect
            quiet = idle >= self.quiet and since >= self.every
            if not (quiet or since >= self.at_most or gc.get_count()[1] >= self.backlog):
                return False
            gc.collect(1)  # what is new: its survivors go to the oldest generation
        self.last_collect = self.clock()
        self.collections += 1
        return True
