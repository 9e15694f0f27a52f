"""The UI's turn: threads reading big answers step aside while a key is handled and painted.

Every thread of the app shares one interpreter lock. While a backend's thread decodes and
converts 200,000 alerts (seconds of work per poll), a key's handling and paint (~20 ms of the
UI thread's own work) got the lock about half the time, the two threads trading it every
5 ms (`sys.getswitchinterval`): 40-95 ms from key to paint.

The UI takes the turn when a key or click comes and gives it back once its frame is painted,
and holds it while Textual repaints a screen for another reason (new data shown): a repaint of
20-30 ms of the UI thread's work took 40-76 ms beside a reader (bench_big_answers.py), and a
key pressed then waited for it.
A reading thread calls `step_aside()` between items (each a few microseconds), and a background
thread's loop over a snapshot's alerts goes through `stepping_aside()`: while the turn is taken
they wait there, without the lock. The turn is never held longer than `HOLD_MAX`: a
reader is slowed while keys come, never stopped.

No app running (a headless command), nobody takes the turn and `step_aside` is one check.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

HOLD_MAX = 0.2  # seconds a reader waits at most for one turn; then it goes on


class UiTurn:
    def __init__(self) -> None:
        self._free = threading.Event()
        self._free.set()
        self._taker = 0
        self.is_free = self._free.is_set  # for a reader's loop: one C call per item

    def take(self) -> None:
        """On the UI thread: a key or click came."""
        self._taker = threading.get_ident()
        self._free.clear()

    def give_back(self) -> None:
        """On the UI thread: its frame is painted."""
        self._free.set()

    @contextmanager
    def held(self) -> Iterator[None]:
        """On the UI thread, around work no key asked for (Textual's repaint after new data): readers
        step aside meanwhile, as for a key. A turn already taken (a key's, given back once its
        frame is painted) is left to its taker."""
        if not self._free.is_set():
            yield
            return
        self.take()
        try:
            yield
        finally:
            self.give_back()

    def wait(self) -> None:
        """On a reading thread: wait while the turn is taken, HOLD_MAX at most (after which
        the turn is given back: a lost `give_back` costs one pause, not every item's). The
        thread that took the turn never waits for itself."""
        if threading.get_ident() == self._taker:
            return
        if not self._free.wait(HOLD_MAX):
            self._free.set()


UI_TURN = UiTurn()


def step_aside() -> None:
    """On a reading thread, between two items: let a key being handled go first."""
    if not UI_TURN.is_free():
        UI_TURN.wait()


def stepping_aside(items: Iterable[T]) -> Iterator[T]:
    """`items`, stepping aside before each: for a background thread's loop over a snapshot's
    10,000 alerts (the ack keeper's plan, the journal's diff), tens of ms a poll otherwise
    taken in 5 ms slices from a key being handled."""
    is_free = UI_TURN.is_free
    for item in items:
        if not is_free():
            UI_TURN.wait()
        yield item


__all__ = ["HOLD_MAX", "UI_TURN", "UiTurn", "step_aside", "stepping_aside"]
