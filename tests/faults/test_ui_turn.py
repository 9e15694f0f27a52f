"""While a key is handled and painted, a thread reading a big answer, and the ack keeper's and
the journal's loops over a poll's alerts, wait between items, so the key does not share the
interpreter lock with them (core/ui_turn.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from types import SimpleNamespace

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.backends.json_stream import iter_json_array
from mlops_tui.core import ui_turn
from mlops_tui.core.ui_turn import UI_TURN, step_aside, stepping_aside
from mlops_tui.domain import Alert, BackendState, BackendStatus, Matcher, Silence
from mlops_tui.services.ack_keeper import plan_acks
from mlops_tui.services.alert_journal import AlertJournal, JournalRecorder
from mlops_tui.services.runtime import build_runtime
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.widgets.grid_column import Column
from mlops_tui.ui.widgets.row_index import build_haystack, in_chunks
from tests.conftest import wait_until


def _reader(items: int):
    """A thread reading a JSON array of `items`; it stops at item 1,000 until told to go on."""
    read: list[int] = []
    at_1000, go_on = threading.Event(), threading.Event()

    def run() -> None:
        for item in iter_json_array(json.dumps(list(range(items)))):
            read.append(item)
            if item == 1_000:
                at_1000.set()
                go_on.wait(5)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert at_1000.wait(5)
    return thread, read, go_on


def test_a_reader_waits_between_items_while_the_ui_has_its_turn_and_goes_on_after():
    thread, read, go_on = _reader(50_000)
    UI_TURN.take()
    try:
        go_on.set()
        time.sleep(0.1)
        assert len(read) <= 1_002, f"{len(read) - 1_001} items read while the UI had its turn"
    finally:
        UI_TURN.give_back()
    thread.join(5)
    assert len(read) == 50_000


def test_a_turn_never_given_back_stops_a_reader_for_hold_max_only(monkeypatch):
    monkeypatch.setattr(ui_turn, "HOLD_MAX", 0.05)
    thread, read, go_on = _reader(5_000)
    UI_TURN.take()  # and never given back
    started = time.monotonic()
    go_on.set()
    thread.join(5)
    assert len(read) == 5_000
    assert time.monotonic() - started < 2
    assert UI_TURN.is_free()


@asynccontextmanager
async def turn_at_each_frame(tmp_path, shown: Callable[[MlopsApp], bool] = lambda app: True):
    """A demo app with its data shown, and a list that gets, for each frame painted after (of
    those `shown` says count), whether the UI's turn was "taken" or "free" as it was painted."""
    runtime = build_runtime(
        None, backends=[DemoBackend("demo", DemoBackend.Options(runs=20))], audit_path=tmp_path / "a"
    )
    app = MlopsApp(runtime)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: bool(app.snapshot.runs), timeout=15, pilot=pilot)
        await pilot.pause()
        display = app._display

        def painted(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None and shown(app):
                seen.append("free" if UI_TURN.is_free() else "taken")

        app._display = painted  # type: ignore[method-assign]
        yield app, pilot, seen


async def test_a_key_takes_the_turn_until_its_frame_is_painted(tmp_path):
    async with turn_at_each_frame(tmp_path, lambda app: app.current_mode == "runs") as (_, pilot, seen):
        await pilot.press("2")  # to Runs
        await pilot.pause()
        assert seen and seen[0] == "taken"  # the key's own frame: readers waited for it
        assert UI_TURN.is_free()  # given back once painted


async def test_a_repaint_no_key_asked_for_holds_the_turn_while_it_paints(tmp_path):
    """New data repainted while a reader decodes: the repaint shared the interpreter lock with
    it (20-30 ms of work took 40-76 ms) and a key pressed then waited. It holds the turn now."""
    async with turn_at_each_frame(tmp_path) as (app, pilot, seen):
        app.screen.refresh()  # no key: as a poll's new data is shown
        await pilot.pause()
        assert seen and set(seen) == {"taken"}  # readers waited for each frame
        assert UI_TURN.is_free()  # and went on after it


def test_holding_the_turn_leaves_a_keys_turn_to_the_key():
    UI_TURN.take()  # a key's, given back once its frame is painted
    try:
        with UI_TURN.held():  # a repaint between the key and its frame
            pass
        assert not UI_TURN.is_free()
    finally:
        UI_TURN.give_back()
    with UI_TURN.held():
        assert not UI_TURN.is_free()
    assert UI_TURN.is_free()


def _waits_for_the_turn(work) -> None:
    """`work` on a thread of its own: held while the UI has its turn, done once it is given back."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (work(), done.set()), daemon=True)
    UI_TURN.take()
    try:
        thread.start()
        assert not done.wait(0.3), "it ran to the end while the UI had its turn"
    finally:
        UI_TURN.give_back()
    assert done.wait(10)


def _firing(count: int) -> list[Alert]:
    now = datetime.now(UTC)
    return [
        Alert(fingerprint=f"f{i}", labels={"alertname": f"A{i % 20}", "i": str(i)}, starts_at=now, backend="am")
        for i in range(count)
    ]


def test_the_ack_keepers_plan_over_many_alerts_waits_while_the_ui_has_its_turn(monkeypatch):
    monkeypatch.setattr(ui_turn, "HOLD_MAX", 5.0)
    now = datetime.now(UTC)
    ack = Silence(
        id="s1",
        matchers=(Matcher(name="alertname", value="A3"),),
        starts_at=now - timedelta(minutes=12),
        ends_at=now + timedelta(minutes=2),
        created_by="erin",
        comment="ACK! acknowledged by erin in mlops-tui",
        backend="am",
    )
    alerts = _firing(20_000)
    plans = []
    _waits_for_the_turn(lambda: plans.append(plan_acks(alerts, [ack], now, ack_minutes=15, ack_max_hours=12)))
    [extension] = plans[0].extend  # and the plan is the same as ever
    assert extension.silence.id == "s1" and extension.alerts == ("A3",)


def test_the_journals_step_over_many_alerts_waits_while_the_ui_has_its_turn(tmp_path, monkeypatch):
    monkeypatch.setattr(ui_turn, "HOLD_MAX", 5.0)
    alerts = _firing(20_000)

    def snapshot(generation: int, alerts: list[Alert]) -> Snapshot:
        status = BackendStatus(name="am", kind="alertmanager", state=BackendState.OK)
        return Snapshot(generation=generation, statuses=(status,), alerts=tuple(alerts))

    hub = SimpleNamespace(snapshot=snapshot(1, alerts))
    journal = AlertJournal(tmp_path / "journal.sqlite3")
    recorder = JournalRecorder(hub, journal)
    recorder.step()  # 20,000 appearances journalled
    hub.snapshot = snapshot(2, alerts[:-1])  # a new poll: the last alert resolved
    _waits_for_the_turn(recorder.step)
    assert [e.fingerprint for e in journal.events(kinds=("alert resolved",))] == ["f19999"]
    journal.close()


def test_the_alertmanager_polls_comparison_with_the_last_waits_while_the_ui_has_its_turn(monkeypatch):
    """After a big answer is read, its kept alerts are compared with the last poll's, one by one
    (AlertReuse.convert). A bench found that loop running beside a repaint that held the turn."""
    from mlops_tui.backends.alertmanager.convert import AlertReuse

    monkeypatch.setattr(ui_turn, "HOLD_MAX", 5.0)
    raws = [
        {
            "fingerprint": f"{i:016x}",
            "labels": {"alertname": f"A{i % 20}", "i": str(i)},
            "annotations": {},
            "startsAt": "2026-11-27T08:18:14.545Z",
            "endsAt": "2099-01-01T00:00:00.000Z",
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        }
        for i in range(20_000)
    ]
    reuse = AlertReuse("am")
    first = reuse.convert(raws)
    again: list[tuple] = []
    _waits_for_the_turn(lambda: again.append(reuse.convert(raws)))
    assert again[0] is first  # and the answer is the same as ever: nothing changed, the same tuple


def test_the_thread_that_took_the_turn_never_waits_for_itself():
    UI_TURN.take()
    try:
        started = time.monotonic()
        assert list(stepping_aside(range(3))) == [0, 1, 2]
        step_aside()
        assert time.monotonic() - started < 0.1
    finally:
        UI_TURN.give_back()


def test_a_lists_filter_text_built_on_a_worker_thread_waits_while_the_ui_has_its_turn(monkeypatch):
    """DataGrid builds a long list's filter text and sort keys on a worker thread after each
    poll (10,000 alerts: ~100 ms), a chunk of rows at a time."""
    monkeypatch.setattr(ui_turn, "HOLD_MAX", 5.0)
    column = Column("name", "Name", lambda alert: alert.name)
    alerts = _firing(20_000)
    built: list[list[str]] = []
    _waits_for_the_turn(lambda: built.append(in_chunks(partial(build_haystack, [column]), alerts)))
    assert built[0] == build_haystack([column], alerts)


def test_the_heap_trim_after_a_big_answer_waits_while_the_ui_has_its_turn(monkeypatch):
    """malloc_trim holds the allocator's locks for tens of ms: a key being handled, which
    allocates, waited for it (a 90 ms wait of the UI thread in bench_big_answers.py)."""
    from mlops_tui.core import heap

    monkeypatch.setattr(ui_turn, "HOLD_MAX", 5.0)
    trimmed: list[int] = []
    monkeypatch.setattr(heap, "_TRIM", trimmed.append)
    _waits_for_the_turn(heap.give_back_free_memory)
    assert trimmed == [0]
