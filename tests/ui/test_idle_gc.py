"""Full collections wait for a quiet moment (ui/idle_gc.py), and still come: memory stays bounded."""

from __future__ import annotations

import gc
import time
import weakref

from mlops_tui.ui.idle_gc import IdleCollector


class Node:
    me: object = None


def test_a_cycle_in_the_oldest_generation_is_freed_at_a_quiet_moment_not_during_keys():
    """(CPython's automatic full collections stay on; this adds collections when the user is
    not typing, so that fewer of them land on a key.)"""
    collector = IdleCollector(every=0.0, quiet=0.2, at_most=60.0)
    collector.start()
    try:
        node = Node()
        node.me = node
        ref = weakref.ref(node)
        gc.collect()  # it survives: now in the oldest generation
        del node
        gc.collect(1)  # the young generations' collections go on, and leave it
        assert ref() is not None
        collector.input_seen()  # a key just now
        assert not collector.tick() and ref() is not None
        time.sleep(0.25)
        assert collector.tick() and ref() is None
    finally:
        collector.stop()
    assert not collector.tick()  # stopped with the app


def test_keys_without_a_pause_still_get_a_collection_after_at_most():
    collector = IdleCollector(every=0.0, quiet=10.0, at_most=0.1)
    collector.start()
    try:
        collector.input_seen()
        assert not collector.tick()
        time.sleep(0.15)
        collector.input_seen()  # still typing
        assert collector.tick()
    finally:
        collector.stop()
