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
