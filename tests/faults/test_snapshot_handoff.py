"""Polls that end while the UI is busy are shown once, as the newest: a failing backend and a
healthy one publishing side by side must not queue one screen rebuild per poll, and a snapshot
handed over late by a racing hub thread must never replace a newer one."""

from __future__ import annotations

import threading
from dataclasses import replace

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from tests.conftest import wait_until


async def test_a_burst_of_snapshots_is_shown_once_as_the_newest(tmp_path):
    runtime = build_runtime(
        None, backends=[DemoBackend("demo", DemoBackend.Options(runs=20))], audit_path=tmp_path / "a"
    )
    app = MlopsApp(runtime, start_hub=False)
    async with app.run_test(size=(160, 48)) as pilot:
        base = runtime.hub.snapshot
        shown: list[int] = []
        screen = app.screen
        original = screen.show_snapshot
        screen.show_snapshot = lambda snapshot: (shown.append(snapshot.generation), original(snapshot))  # type: ignore[method-assign]

        def burst() -> None:  # from another thread, as the hub's runners hand them over
            for generation in (7, 9, 8):
                app._from_hub(replace(base, generation=generation))

        thread = threading.Thread(target=burst)
        thread.start()
        thread.join()
        await wait_until(lambda: app.snapshot.generation == 9, timeout=10, pilot=pilot)
        await pilot.pause()
        assert app.snapshot.generation == 9
        assert shown == [9]
        # and the hand-off is open again for the next poll
        app._from_hub(replace(base, generation=10))
        await wait_until(lambda: app.snapshot.generation == 10, timeout=10, pilot=pilot)
        assert shown == [9, 10]


async def test_a_poll_landing_while_keys_come_is_shown_when_they_pause_and_never_a_second_later(tmp_path):
    """A view's repaint for a poll (10-25 ms at 160x48) that ran between a key and its paint
    made the key wait for it. New data now waits for a pause in the keys (150 ms), and for at
    most a second while they keep coming. The app's clock is the test's, so "at once" and
    "later" do not depend on this machine's speed."""
    runtime = build_runtime(
        None, backends=[DemoBackend("demo", DemoBackend.Options(runs=20))], audit_path=tmp_path / "a"
    )
    app = MlopsApp(runtime, start_hub=False)
    now = [1_000.0]
    app.idle_gc.clock = lambda: now[0]
    app.idle_gc.last_input = now[0]
    async with app.run_test(size=(160, 48)) as pilot:
        base = runtime.hub.snapshot
        app._from_hub(replace(base, generation=1))  # the first data is never held
        await wait_until(lambda: app.snapshot.generation == 1, timeout=10, pilot=pilot)

        now[0] += 10  # a quiet while: a poll is shown at once
        app._from_hub(replace(base, generation=2))
        await wait_until(lambda: app.snapshot.generation == 2, timeout=10, pilot=pilot)

        await pilot.press("j")
        now[0] += 0.05  # a poll lands 50 ms after a key
        app._from_hub(replace(base, generation=3))
        await hold_timer_ran(app, pilot)
        assert app.snapshot.generation == 2, "shown while the keys were coming"
        now[0] += 0.2  # the keys paused
        await wait_until(lambda: app.snapshot.generation == 3, timeout=10, pilot=pilot)

        # keys every 100 ms: the poll waits, but not beyond a second
        await pilot.press("j")
        now[0] += 0.05
        handed_over = now[0]
        app._from_hub(replace(base, generation=4))
        await hold_timer_ran(app, pilot)
        for key in "kjkjkjkj":  # 0.8 s of keys
            now[0] += 0.1
            await pilot.press(key)
            await hold_timer_ran(app, pilot)
        assert app.snapshot.generation == 3, "shown before a second of keys had passed"
        # past the second, the last key 50 ms ago: not shown between keys, but right after
        # the next key's frame
        now[0] = handed_over + 1.15
        await pilot.press("j")
        now[0] += 0.05
        await hold_timer_ran(app, pilot)
        assert app.snapshot.generation == 3, "shown between two keys"
        await pilot.press("j")
        await wait_until(lambda: app.snapshot.generation == 4, timeout=10, pilot=pilot)


async def hold_timer_ran(app: MlopsApp, pilot) -> None:
    """Until the snapshot handed over is held and the hold's timer (on the real clock) has run
    once more: then it has either been shown or been held again."""
    await wait_until(lambda: app._hold_timer is not None or app._handoff is None, timeout=10, pilot=pilot)
    timer = app._hold_timer
    if timer is not None:  # held (not shown at once)
        await wait_until(lambda: app._hold_timer is not timer, timeout=10, pilot=pilot)
