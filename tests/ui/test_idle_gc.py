"""Full collections wait for a quiet moment (ui/idle_gc.py), and still come: memory stays bounded."""

from __future__ import annotations

import gc
import weakref

from mlops_tui.ui.idle_gc import NEVER, IdleCollector


class Node:
    me: object = None


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def oldest_generation_cycle() -> weakref.ref[Node]:
    """A cycle that survived into the oldest generation, then was dropped: only a full
    collection frees it."""
    node = Node()
    node.me = node
    ref = weakref.ref(node)
    gc.collect()
    del node
    gc.collect(1)  # the young generations' collections go on, and leave it
    assert ref() is not None
    return ref


def test_a_cycle_in_the_oldest_generation_is_freed_at_a_quiet_moment_not_during_keys():
    clock = Clock()
    collector = IdleCollector(every=0.0, quiet=0.2, at_most=60.0, clock=clock)
    before = gc.get_threshold()
    collector.start()
    try:
        assert gc.get_threshold()[2] == NEVER  # no automatic full collection while the app runs
        ref = oldest_generation_cycle()
        collector.input_seen()  # a key just now
        assert not collector.tick() and ref() is not None
        clock.now += 0.25  # a quarter of a second with no key
        assert collector.tick() and ref() is None
    finally:
        collector.stop()
    assert gc.get_threshold() == before


def test_keys_without_a_pause_still_get_a_collection_after_at_most():
    clock = Clock()
    collector = IdleCollector(every=0.0, quiet=10.0, at_most=0.1, clock=clock)
    collector.start()
    try:
        collector.input_seen()
        assert not collector.tick()
        clock.now += 0.15
        collector.input_seen()  # still typing
        assert collector.tick()
    finally:
        collector.stop()


def test_a_backlog_of_young_collections_gets_a_full_one_whatever_the_keys():
    """A storm of new data (each poll of 200,000 alerts) must not pile its garbage up until a
    quiet moment: RSS would grow by tens of MB per poll."""
    collector = IdleCollector(every=0.0, quiet=10.0, at_most=600.0, backlog=3)
    collector.start()
    try:
        ref = oldest_generation_cycle()
        collector.input_seen()
        assert not collector.tick() and ref() is not None
        for _ in range(3):
            gc.collect(1)  # each counts as one towards the next full collection
        collector.input_seen()
        assert collector.tick() and ref() is None
    finally:
        collector.stop()
