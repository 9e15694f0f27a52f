"""The UI's turn: threads reading big answers step aside while a key is handled and painted.

Every thread of the app shares one interpreter lock. While a backend's thread decodes and
converts 200,000 alerts (seconds of work per poll), a key's handling and paint (~20 ms of the
UI thread's own work) got the lock about half the time, the two threads trading it every
5 ms (`sys.getswitchinterval`): 40-95 ms from key to paint.

The UI takes the turn when a key or click comes and gives it back once its frame is painted.
A reading thread calls `step_aside()` between items (each a few microseconds): while the turn
is taken it waits there, without the lock. The turn is never held longer than `HOLD_MAX`: a
reader is slowed while keys come, never stopped.

No app running (a headless command), nobody takes the turn and `step_aside` is one check.
"""

from __future__ import annotations

import threading

HOLD_MAX = 0.2  # seconds a reader waits at most for one turn; then it goes on


class UiTurn:
    def __init__(self) -> None:
        self._free = threading.Event()
        self._free.set()
        self.is_free = self._free.is_set  # for a reader's loop: one C call per item

    def take(self) -> None:
        """On the UI thread: a key or click came."""
        self._free.clear()

    def give_back(self) -> None:
        """On the UI thread: its frame is painted."""
        self._free.set()

    def wait(self) -> None:
        """On a reading thread: wait while the turn is taken, HOLD_MAX at most (after which
        the turn is given back: a lost `give_back` costs one pause, not every item's)."""
        if not self._free.wait(HOLD_MAX):
            self._free.set()


UI_TURN = UiTurn()


def step_aside() -> None:
    """On a reading thread, between two items: let a key being handled go first."""
    if not UI_TURN.is_free():
        UI_TURN.wait()


__all__ = ["HOLD_MAX", "UI_TURN", "UiTurn", "step_aside"]
