"""Give the memory a big answer used back to the system once it is read.

A poll of 200,000 alerts reads 150 MB of text in pieces. Python frees them, but glibc's
allocator keeps what it freed in its heap for later, so ~140 MB stayed with the process and
RSS crept up as later allocations touched more of it (~0.1 MB a poll over an hour of polls).
`malloc_trim` hands the free pages back. It runs on the reading thread, after the answer is
converted; ctypes releases the interpreter lock for the call. It walks the heap holding the
allocator's locks (13-27 ms after each poll of 200,000 alerts), and the UI thread allocates as
it handles a key: bench_big_answers.py's stall watch saw the UI thread held 84 and 93 ms in
120 polls, both times while this ran and a key was switching views. So it first steps aside
while a key is being handled (core/ui_turn.py).

Elsewhere than glibc (macOS, musl) there is no such call, and this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from mlops_tui.core.ui_turn import step_aside

T = TypeVar("T")

# Answers at least this big are followed by a trim (a small one frees little, and each trim
# costs page faults on the next read).
TRIM_AFTER_CHARS = 16 * 1024 * 1024


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _malloc_trim()


def give_back_free_memory() -> bool:
    """Return the allocator's free pages to the system; whether it could (glibc only)."""
    if _TRIM is None:
        return False
    step_aside()  # not while a key is handled and painted: it would wait for the allocator
    _TRIM(0)
    return True


# A bulk conversion (a poll's alerts, a page of runs) collects the young generations every this
# many items, on its own thread: see settle_young_objects and settling.
SETTLE_EVERY = 1_000


def settle_young_objects() -> None:
    """Collect the young generations here, on the thread that made them (a backend's, converting
    a big answer). While the app runs, CPython collects only its youngest generation by itself
    (ui/idle_gc.py), so 10,000 new alerts or runs (~30,000 tracked objects) piled up in the
    middle one, and the UI thread's next collection walked them all at once: 40-70 ms that a key
    could meet. Every SETTLE_EVERY new models this walks ~3,000 objects, a few ms, and moves them
    to the oldest generation, where only the app's deep collection walks them again. Without
    the app (a headless command) it is one young collection more."""
    if gc.isenabled():
        gc.collect(1)


def settling(items: Iterable[T]) -> Iterator[T]:
    """`items`, with the young generations collected after every SETTLE_EVERY of them and after
    the last (when there were that many): for a loop that turns each into a new model."""
    count = 0
    for count, item in enumerate(items, 1):
        yield item
        if count % SETTLE_EVERY == 0:
            settle_young_objects()
    if count > SETTLE_EVERY and count % SETTLE_EVERY:
        settle_young_objects()


__all__ = ["SETTLE_EVERY", "TRIM_AFTER_CHARS", "give_back_free_memory", "settle_young_objects", "settling"]
