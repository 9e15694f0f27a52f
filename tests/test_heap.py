"""After a big answer is read, the memory it used goes back to the system (core/heap.py):
glibc otherwise keeps freed heap memory, and RSS stayed ~140 MB above what was in use after
each poll of 200,000 alerts."""

from __future__ import annotations

import os

import pytest

from mlops_tui.core.heap import give_back_free_memory


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_memory_freed_in_the_middle_of_the_heap_goes_back_to_the_system():
    # 100 MB of 2 KB strings (malloc's heap, not Python's small-object arenas), one in ten kept:
    # what is freed lies between the kept ones, where glibc never trims by itself
    pieces = [os.urandom(1000).hex() for _ in range(50_000)]
    kept = pieces[::10]
    del pieces
    before = rss_mb()
    if not give_back_free_memory():
        pytest.skip("not glibc: no malloc_trim")
    after = rss_mb()
    assert before - after > 50, f"RSS {before:.0f} -> {after:.0f} MB"
    assert len(kept) == 5_000
