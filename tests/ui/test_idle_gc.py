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


def young_cycle() -> weakref.ref[Node]:
    """A cycle that survived the youngest generation's collections into the middle one, then
    was dropped: the app's quick collection frees it."""
    node = Node()
    node.me = node
    ref = weakref.ref(node)
    gc.collect(0)
    del node
    gc.collect(0)  # the youngest generation's collections go on, and leave it
    assert ref() is not None
    return ref


def oldest_generation_cycle() -> weakref.ref[Node]:
    """A cycle that lived through a quick collection into the oldest generation, then was
    dropped: only a deep collection frees it."""
    node = Node()
    node.me = node
    ref = weakref.ref(node)
    gc.collect(1)
    del node
    gc.collect(1)  # the quick collections go on, and leave it
    assert ref() is not None
    return ref


def test_a_cycle_in_the_middle_generation_is_freed_at_a_quiet_moment_not_during_keys():
    before = gc.get_threshold()
    with collecting(every=0.0, quiet=0.2, at_most=60.0) as (collector, clock):
        # only the youngest generation is collected automatically while the app runs
        assert gc.get_threshold() == (before[0], NEVER, NEVER)
        ref = young_cycle()
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


def test_a_backlog_of_young_collections_gets_a_quick_one_whatever_the_keys():
    """A storm of new data (each poll of 200,000 alerts) must not pile its garbage up until a
    quiet moment: RSS would grow by tens of MB per poll."""
    with collecting(every=0.0, quiet=10.0, at_most=600.0, backlog=3) as (collector, _clock):
        ref = young_cycle()
        collector.input_seen()
        assert not collector.tick() and ref() is not None
        for _ in range(3):
            gc.collect(0)  # each counts as one towards the next quick collection
        collector.input_seen()
        assert collector.tick() and ref() is None


def test_what_survives_a_quick_collection_is_walked_again_only_by_a_deep_one():
    """The 10,000 alerts of a storm live through every collection: walking them each time was
    ~100 ms of a keystroke. After a quick collection they are in the oldest generation, which
    only a deep collection walks; they are not frozen, so if they die in a cycle it frees them."""
    with collecting(every=0.0, quiet=0.2) as (collector, clock):
        frozen = gc.get_freeze_count()
        kept = [Node() for _ in range(1000)]
        clock.now += 1.0
        assert collector.tick()
        quick = {id(o) for o in gc.get_objects(0) + gc.get_objects(1)}  # what the next quick one walks
        oldest = {id(o) for o in gc.get_objects(2)}  # what a deep one walks
        assert not any(id(node) in quick for node in kept)
        assert all(id(node) in oldest for node in kept)
        assert gc.get_freeze_count() == frozen


def test_a_cycle_that_reached_the_oldest_generation_and_was_dropped_is_freed_by_a_deep_collection():
    with collecting(every=0.0, quiet=0.2, deep_every=300.0, deep_quiet=60.0) as (collector, clock):
        node = Node()
        node.me = node
        ref = weakref.ref(node)
        clock.now += 1.0
        assert collector.tick()  # it is alive: moved to the oldest generation with the rest
        del node
        clock.now += 1.0
        assert collector.tick() and ref() is not None  # the quick collections do not see it
        clock.now += 300.0
        collector.input_seen()
        clock.now += 59.0  # the deep collection waits for a minute with no key
        assert collector.tick() and collector.deep_collections == 0 and ref() is not None
        clock.now += 1.0
        assert collector.tick() and collector.deep_collections == 1 and ref() is None


def test_what_lives_as_long_as_the_app_is_frozen_and_no_collection_walks_it_again():
    """The imported modules and the app's views (~78,000 objects with 10,000 alerts held) are
    parked for good: a deep collection that unfroze and walked them as well took 125-206 ms,
    a key's wait if it came then. The deep collection leaves them frozen."""
    with collecting(every=0.0, quiet=0.2, deep_every=300.0, deep_quiet=60.0) as (collector, clock):
        views = [Node() for _ in range(1000)]
        collector.park()
        frozen = gc.get_freeze_count()
        assert frozen >= len(views)
        later = [Node() for _ in range(1000)]  # lives for a while: not frozen by what follows
        clock.now += 400.0  # quiet long enough for a deep collection
        assert collector.tick() and collector.deep_collections == 1
        # nothing was unfrozen and frozen again (another test's thread may free what is frozen)
        assert gc.get_freeze_count() <= frozen
        walked = {id(o) for o in gc.get_objects()}
        assert not any(id(view) in walked for view in views)
        assert all(id(node) in walked for node in later)
    assert gc.get_freeze_count() == 0  # the app gone, everything is the collector's again


def test_no_deep_collection_while_keys_come_even_past_deep_at_most():
    """A deep collection walks everything the app has not frozen for good (up to 90 ms with
    10,000 alerts held): a key that arrived during it waited that long. Overdue, it runs in the first
    pause of deep_pause."""
    with collecting(every=0.0, quiet=10.0, at_most=3600.0, deep_at_most=1800.0, deep_pause=5.0) as (collector, clock):
        ref = oldest_generation_cycle()
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
        ref = oldest_generation_cycle()
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


async def test_each_new_storm_of_alerts_is_kept_out_of_the_quick_collections(tmp_path):
    """Each poll of an alert storm brings thousands of new alerts (10,000 in the 200,000-alert
    bench). Only the first storm was moved out of the collector's sight, so every full
    collection (every few seconds while keys come) walked the newest one: 60-100 ms of a key.
    Each storm goes to the oldest generation, which only a deep collection walks."""
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
        quick = {id(o) for o in gc.get_objects(0) + gc.get_objects(1)}  # what a quick collection walks
        assert not any(id(alert) in quick for alert in alerts)
        assert not any(id(alert.labels) in quick for alert in alerts)
        oldest = {id(o) for o in gc.get_objects(2)}  # not frozen: a deep collection sees them
        assert all(id(alert) in oldest for alert in alerts)
