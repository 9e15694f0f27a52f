"""Full collections wait for a quiet moment (ui/idle_gc.py), and still come: memory stays bounded."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from mlops_tui.ui.idle_gc import NEVER, IdleCollector


class Node:
    me: object = None


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def collecting(**options: float) -> Iterator[tuple[IdleCollector, Clock]]:
    """An IdleCollector on a hand-moved clock, started (as the app starts it) and stopped after."""
    clock = Clock()
    collector = IdleCollector(clock=clock, **options)
    collector.start()
    try:
        yield collector, clock
    finally:
        collector.stop()


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
    before = gc.get_threshold()
    with collecting(every=0.0, quiet=0.2, at_most=60.0) as (collector, clock):
        assert gc.get_threshold()[2] == NEVER  # no automatic full collection while the app runs
        ref = oldest_generation_cycle()
        collector.input_seen()  # a key just now
        assert not collector.tick() and ref() is not None
        clock.now += 0.25  # a quarter of a second with no key
        assert collector.tick() and ref() is None
    assert gc.get_threshold() == before


def test_keys_without_a_pause_still_get_a_collection_after_at_most():
    with collecting(every=0.0, quiet=10.0, at_most=0.1) as (collector, clock):
        collector.input_seen()
        assert not collector.tick()
        clock.now += 0.15
        collector.input_seen()  # still typing
        assert collector.tick()


def test_a_backlog_of_young_collections_gets_a_full_one_whatever_the_keys():
    """A storm of new data (each poll of 200,000 alerts) must not pile its garbage up until a
    quiet moment: RSS would grow by tens of MB per poll."""
    with collecting(every=0.0, quiet=10.0, at_most=600.0, backlog=3) as (collector, _clock):
        ref = oldest_generation_cycle()
        collector.input_seen()
        assert not collector.tick() and ref() is not None
        for _ in range(3):
            gc.collect(1)  # each counts as one towards the next full collection
        collector.input_seen()
        assert collector.tick() and ref() is None


def test_what_survives_a_collection_is_not_walked_again_by_the_next():
    """The 10,000 alerts of a storm live through every collection: walking them each time was
    ~100 ms of a keystroke. After a collection they are frozen, out of the next one's walk."""
    with collecting(every=0.0, quiet=0.2) as (collector, clock):
        kept = [Node() for _ in range(1000)]
        clock.now += 1.0
        assert collector.tick()
        oldest = {id(o) for o in gc.get_objects(2)}  # what the next full collection walks
        assert not any(id(node) in oldest for node in kept)
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0  # the app gone, everything is the collector's again


def frozen_cycle() -> weakref.ref[Node]:
    """A cycle frozen alive, as the app's quick collections and parked views freeze what
    lives, then dropped: only a deep collection frees it."""
    node = Node()
    node.me = node
    ref = weakref.ref(node)
    gc.collect()
    gc.freeze()
    del node
    gc.collect()
    assert ref() is not None
    return ref


def test_a_cycle_frozen_alive_and_dropped_later_is_freed_by_a_deep_collection():
    with collecting(every=0.0, quiet=0.2, deep_every=300.0, deep_quiet=60.0) as (collector, clock):
        node = Node()
        node.me = node
        ref = weakref.ref(node)
        clock.now += 1.0
        assert collector.tick()  # it is alive: frozen with the rest
        del node
        clock.now += 1.0
        assert collector.tick() and ref() is not None  # the quick collections do not see it
        clock.now += 300.0
        collector.input_seen()
        clock.now += 59.0  # the deep collection waits for a minute with no key
        assert collector.tick() and collector.deep_collections == 0 and ref() is not None
        clock.now += 1.0
        assert collector.tick() and collector.deep_collections == 1 and ref() is None


def test_no_deep_collection_while_keys_come_even_past_deep_at_most():
    """A deep collection walks everything (100-150 ms with 10,000 alerts held): a key that
    arrived during it waited that long. Overdue, it runs in the first pause of deep_pause."""
    with collecting(every=0.0, quiet=10.0, at_most=3600.0, deep_at_most=1800.0, deep_pause=5.0) as (collector, clock):
        ref = frozen_cycle()
        for _ in range(2 * 1800):  # keys every second for an hour
            clock.now += 1.0
            collector.input_seen()
            collector.tick()
        assert collector.deep_collections == 0 and ref() is not None
        clock.now += 4.9
        collector.tick()
        assert collector.deep_collections == 0 and ref() is not None
        clock.now += 0.1  # five seconds without a key
        assert collector.tick() and collector.deep_collections == 1 and ref() is None


def test_a_terminal_that_lost_focus_gets_its_deep_collection_without_waiting_for_quiet():
    with collecting(every=0.0, quiet=10.0, deep_every=300.0, deep_quiet=60.0) as (collector, clock):
        ref = frozen_cycle()
        clock.now += 300.0
        collector.input_seen()
        collector.tick()  # a key just now: at most a quick collection
        assert collector.deep_collections == 0 and ref() is not None
        collector.away = True  # the user switched to another window: nobody types here
        assert collector.tick() and collector.deep_collections == 1 and ref() is None
        collector.input_seen()  # a key: back
        assert not collector.away


async def test_the_app_tells_its_collector_when_the_terminal_loses_and_regains_focus(tmp_path):
    from textual import events

    from mlops_tui.backends.demo.backend import DemoBackend
    from mlops_tui.services.runtime import build_runtime
    from mlops_tui.ui.app import MlopsApp
    from tests.conftest import wait_until

    runtime = build_runtime(
        None, backends=[DemoBackend("demo", DemoBackend.Options(runs=5))], audit_path=tmp_path / "a"
    )
    app = MlopsApp(runtime, start_hub=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.idle_gc.away
        app.post_message(events.AppBlur())
        await wait_until(lambda: app.idle_gc.away, timeout=5, pilot=pilot)
        app.post_message(events.AppFocus())
        await wait_until(lambda: not app.idle_gc.away, timeout=5, pilot=pilot)
        app.post_message(events.AppBlur())
        await wait_until(lambda: app.idle_gc.away, timeout=5, pilot=pilot)
        await pilot.press("j")  # a key in a terminal that said it lost focus: someone is here
        assert not app.idle_gc.away


async def test_each_new_storm_of_alerts_is_kept_out_of_the_full_collections(tmp_path):
    """Each poll of an alert storm brings thousands of new alerts (10,000 in the 200,000-alert
    bench). Only the first storm was moved out of the collector's sight, so every full
    collection (every few seconds while keys come) walked the newest one: 60-100 ms of a key."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from mlops_tui.backends.demo.backend import DemoBackend
    from mlops_tui.domain import Alert
    from mlops_tui.services.runtime import build_runtime
    from mlops_tui.ui.app import MlopsApp
    from tests.conftest import wait_until

    def storm(tag: str) -> tuple[Alert, ...]:
        started = datetime(2026, 12, 1, tzinfo=UTC)
        return tuple(
            Alert(fingerprint=f"{tag}{i:06x}", labels={"alertname": "Storm", "pod": f"{tag}-{i}"}, starts_at=started)
            for i in range(5_000)
        )

    runtime = build_runtime(
        None, backends=[DemoBackend("demo", DemoBackend.Options(runs=20))], audit_path=tmp_path / "a"
    )
    app = MlopsApp(runtime, start_hub=False)
    async with app.run_test(size=(160, 48)) as pilot:
        base = runtime.hub.snapshot
        for generation, tag in ((1, "a"), (2, "b")):
            alerts = storm(tag)
            app._from_hub(replace(base, generation=generation, alerts=alerts))
            await wait_until(lambda alerts=alerts: app.snapshot.alerts is alerts, timeout=10, pilot=pilot)
        walked = {id(o) for o in gc.get_objects()}  # what a full collection walks (not the frozen)
        assert not any(id(alert) in walked for alert in alerts)
        assert not any(id(alert.labels) in walked for alert in alerts)
