"""Big answers from Alertmanager: unchanged alerts are reused across polls, a cap keeps the
alerts that matter and says so on screen, and what a cap leaves out is not called resolved.

Against the real Alertmanager the suite already starts (tests/alertmanager/fixtures.py);
speed and memory figures are in bench/bench_big_answers.py, not here.
"""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime, timedelta

import pytest

from mlops_tui.backends.alertmanager.convert import AlertReuse, capped
from mlops_tui.backends.json_stream import NotJson, iter_json_array
from mlops_tui.core.ui_turn import UI_TURN
from mlops_tui.domain import Alert, BackendState, BackendStatus, Matcher, Silence
from mlops_tui.services.alert_journal import APPEARED, RESOLVED, AlertJournal, JournalRecorder
from mlops_tui.services.snapshot import Snapshot
from tests.alertmanager import fixtures
from tests.alertmanager.app_support import am_app, wait_for_text
from tests.server_process import wait_until

# the real Alertmanager of tests/alertmanager (pytest finds fixtures by their names here)
alertmanager_server = fixtures.alertmanager_server
alertmanager_case = fixtures.alertmanager_case


def _silence(case, alertname: str, comment: str) -> Silence:
    now = datetime.now(UTC)
    return Silence(
        id="local-ack",
        matchers=(Matcher(name="test", value=case.tag), Matcher(name="alertname", value=alertname)),
        starts_at=now,
        ends_at=now + timedelta(minutes=15),
        created_by="alice",
        comment=comment,
    )


async def test_unchanged_alerts_are_the_same_objects_next_poll(alertmanager_case, alertmanager_server):
    case = alertmanager_case
    latency, down = case.alert("ModelLatencyHigh", summary="p95 over 300ms"), case.alert("ModelDown", "critical")
    case.post(latency, down)
    backend = case.backend()
    try:
        first = (await backend.fetch()).alerts
        # Prometheus re-sends firing alerts: only updatedAt and the endsAt estimate move
        case.post(latency, down)
        second = (await backend.fetch()).alerts
        assert second is first  # the same tuple: the snapshot and screens redo nothing

        # a changed annotation is a new object; the other alert stays the very same one
        case.post(dict(latency, annotations={**latency["annotations"], "summary": "p95 over 900ms"}))
        wait_until(
            lambda: any(
                a["annotations"]["summary"] == "p95 over 900ms" for a in alertmanager_server.alerts(case.filter)
            ),
            10,
            "Alertmanager to take the new summary",
        )
        third = {a.name: a for a in (await backend.fetch()).alerts}
    finally:
        await backend.close()
    before = {a.name: a for a in first}
    assert third["ModelDown"] is before["ModelDown"]
    assert third["ModelLatencyHigh"] is not before["ModelLatencyHigh"]
    assert third["ModelLatencyHigh"].summary == "p95 over 900ms"


async def test_a_cap_keeps_firing_then_acked_alerts_and_says_how_many_it_left_out(alertmanager_case):
    case = alertmanager_case
    case.post(
        case.alert("ModelDown", "critical"),
        case.alert("ThroughputLow", "info"),
        case.alert("SilencedForMaintenance", "critical"),
        case.alert("AckedByAlice", "info"),
    )
    backend = case.backend(max_alerts=3)
    try:
        await backend.create_silence(_silence(case, "AckedByAlice", "ACK! alice is on it"))
        await backend.create_silence(_silence(case, "SilencedForMaintenance", "maintenance"))
        await backend.fetch()  # the acks are known from this poll on
        data = await backend.fetch()
    finally:
        await backend.close()
    # the firing ones first, then the acked one: before a suppressed one, critical as it is
    assert {a.name for a in data.alerts} == {"ModelDown", "ThroughputLow", "AckedByAlice"}
    assert data.cut == "showing 3 of 4 alerts (cap: max_alerts = 3)"


async def test_no_cap_when_the_answer_fits(alertmanager_case):
    case = alertmanager_case
    case.post(case.alert("ModelDown", "critical"), case.alert("ThroughputLow", "info"))
    backend = case.backend(max_alerts=2)
    try:
        data = await backend.fetch()
    finally:
        await backend.close()
    assert len(data.alerts) == 2 and data.cut == ""


async def test_the_alerts_view_says_it_shows_a_cut_down_set(alertmanager_case, tmp_path, monkeypatch):
    case = alertmanager_case
    case.post(*(case.alert(f"Alert{i}", "warning", model=f"m{i}") for i in range(4)))
    app = am_app(tmp_path, monkeypatch, case.backend(max_alerts=3))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("5")
        await wait_for_text(app, pilot, "am: showing 3 of 4 alerts (cap: max_alerts = 3)")


class _Hub:
    def __init__(self) -> None:
        self.snapshot = Snapshot()


def _alert(fingerprint: str) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        labels={"alertname": f"A{fingerprint}"},
        starts_at=datetime.now(UTC) - timedelta(minutes=5),
        backend="am",
    )


def test_an_alert_beyond_the_cap_is_not_journalled_as_resolved(tmp_path):
    hub, journal = _Hub(), AlertJournal(tmp_path / "journal.db")
    recorder = JournalRecorder(hub, journal)  # type: ignore[arg-type]
    ok = (BackendStatus(name="am", kind="alertmanager", state=BackendState.OK),)
    try:
        hub.snapshot = Snapshot(generation=1, statuses=ok, alerts=(_alert("a"), _alert("b")))
        recorder.step()
        assert journal.open_fingerprints() == {"a", "b"}
        # the next poll kept only "a" under a cap: "b" is unknown, not resolved
        cut = ("am: showing 1 of 2 alerts (cap: max_alerts = 1)",)
        hub.snapshot = Snapshot(generation=2, statuses=ok, alerts=(_alert("a"),), cut_notes=cut)
        recorder.step()
        assert journal.open_fingerprints() == {"a", "b"}
        assert not journal.events(kinds=(RESOLVED,))
        # read whole again and "b" is gone: now it resolved
        hub.snapshot = Snapshot(generation=3, statuses=ok, alerts=(_alert("a"),))
        recorder.step()
        assert [e.fingerprint for e in journal.events(kinds=(RESOLVED,))] == ["b"]
        assert len(journal.events(kinds=(APPEARED,))) == 2
    finally:
        journal.close()


@pytest.mark.parametrize(
    "body",
    ["[]", " [ ] ", '[{"a": 1}]', '[\n {"a": [1, 2]} ,\n {"b": "x,]"}\n]\n', '[1, "two", null]'],
)
def test_the_streamed_decode_reads_what_json_reads(body):
    assert list(iter_json_array(body)) == json.loads(body)


@pytest.mark.parametrize("body", ["", "{}", "[", '[{"a": 1}', '[{"a": 1},]', "[1 2]", "[1] x", "<html>"])
def test_the_streamed_decode_refuses_what_is_not_a_json_array(body):
    with pytest.raises(NotJson):
        list(iter_json_array(body))


def _many_alerts(count: int) -> str:
    return json.dumps(
        [
            {
                "labels": {"alertname": f"A{i}", "severity": "critical"},
                "annotations": {"summary": "s"},
                "startsAt": f"2026-11-30T{i % 24:02d}:{i % 60:02d}:00Z",
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
                "receivers": [{"name": "x"}],
            }
            for i in range(count)
        ]
    )


@pytest.mark.parametrize("texts", [True, False], ids=["streamed", "list"])
def test_a_capped_answer_leaves_no_crowd_of_young_objects_for_the_ui_threads_next_collection(texts):
    """A full cap swaps a kept alert for a better one as often as it keeps one, so CPython's
    young-collection trigger (allocations minus frees) never fires while tens of thousands of
    kept alerts' dicts pile up young; the next young collection anywhere (a keystroke's paint
    on the UI thread) then walked them all, 50-70 ms under 200,000 alerts."""
    body = _many_alerts(50_000)
    gc.collect()
    raws = iter_json_array(body, with_text=True) if texts else iter(json.loads(body))
    kept, total = capped(raws, 5_000, texts=texts)
    assert (len(kept), total) == (5_000, 50_000)
    first = json.loads(kept[0]) if texts else kept[0]  # streamed: the kept alerts' texts
    assert first["labels"]["alertname"].startswith("A")
    young = len(gc.get_objects(generation=0))
    assert young < 5_000, f"{young:,} objects left young by reading one answer"


def test_while_an_answer_is_read_the_alerts_a_cap_holds_are_not_walked_by_collections():
    """Each full collection while a poll is read (on the UI thread, between keys) walked the
    parsed alerts the cap held, ~7 objects each: 50-100 ms with 10,000 kept. The cap holds
    each kept alert's text instead, which a collection does not walk."""
    body = _many_alerts(50_000)
    gc.collect()
    baseline = len(gc.get_objects())
    walked = []

    def reading():
        for n, pair in enumerate(iter_json_array(body, with_text=True)):
            if n == 40_000:  # mid-read, as a collection on the UI thread would find it
                gc.collect()
                walked.append(len(gc.get_objects()) - baseline)
            yield pair

    kept, _ = capped(reading(), 5_000, texts=True)
    assert len(kept) == 5_000
    assert walked[0] < 2_000, f"{walked[0]:,} objects held for 5,000 kept alerts"


def test_a_capped_answers_kept_alerts_are_decoded_and_freed_one_at_a_time(monkeypatch):
    """The kept alerts of a big answer were decoded all together and handed to the comparison with
    the last poll, which freed them all together when it returned: 10,000 alerts' dicts in one C
    call of 25-70 ms on the reading thread, with no point between where a key could go first
    (py-spy named it: the backend's thread in `unicode_dealloc` under `list_alerts`, the UI thread
    waiting for the lock). Each is now decoded when its turn comes and freed before the next."""
    body = json.dumps([{**a, "fingerprint": f"{i:016x}"} for i, a in enumerate(json.loads(_many_alerts(20_000)))])
    alive: list[int] = []
    steps = 0

    def is_free() -> bool:  # asked before each alert read, decoded or compared (core/ui_turn.py)
        nonlocal steps
        steps += 1
        if steps > 20_000 and steps % 500 == 0:  # the 20,000 read; then the 5,000 kept ones
            alive.append(sum(1 for o in gc.get_objects() if type(o) is dict and "receivers" in o))
        return True

    monkeypatch.setattr(UI_TURN, "is_free", is_free)
    reuse = AlertReuse("am")
    alerts = reuse.convert(iter_json_array(body, with_text=True), 5_000)
    assert (len(alerts), reuse.total) == (5_000, 20_000)
    assert len(alive) >= 9 and max(alive) < 50, f"{max(alive):,} decoded alerts held at once"


def test_a_polls_new_alerts_leave_the_young_generations_while_they_are_converted(monkeypatch):
    """While the app runs, CPython collects only its youngest generation by itself
    (ui/idle_gc.py). When every alert of a storm changed since the last poll (an annotation
    with a value in it), its ~3 tracked objects each piled up in the middle generation, and
    the UI thread's next collection walked them all: 40-70 ms that a key could meet. The
    reading thread moves them on every thousand alerts, as it converts them."""
    from mlops_tui.ui.idle_gc import IdleCollector

    body = json.dumps([{**a, "fingerprint": f"{i:016x}"} for i, a in enumerate(json.loads(_many_alerts(5_000)))])
    middle: list[int] = []
    steps = 0

    def is_free() -> bool:  # asked before each alert converted (core/ui_turn.py)
        nonlocal steps
        steps += 1
        if steps % 250 == 0:
            middle.append(len(gc.get_objects(0)) + len(gc.get_objects(1)))
        return True

    monkeypatch.setattr(UI_TURN, "is_free", is_free)
    collector = IdleCollector()
    collector.start()  # the app's thresholds
    try:
        gc.collect()
        alerts = AlertReuse("am").convert(iter_json_array(body, with_text=True))  # as the backend reads
        left = len(gc.get_objects(0)) + len(gc.get_objects(1))
    finally:
        collector.stop()
    assert len(alerts) == 5_000
    assert max(middle) < 6_000, f"{max(middle):,} young objects while 5,000 new alerts were converted"
    assert left < 1_000, f"{left:,} young objects left for the UI thread's next collection"


def test_alerts_and_runs_share_one_set_of_their_given_field_names():
    """Pydantic keeps a set of the field names each model was given: 728 bytes an alert, 7 MB
    for 10,000 alerts of identical sets. Converted alerts and runs share one; a copy with a
    change gets its own."""
    from mlops_tui.backends.alertmanager.convert import alert_from_wire
    from mlops_tui.backends.mlflow.convert import run_from_row

    raws = [{**raw, "fingerprint": f"{i:016x}"} for i, raw in enumerate(json.loads(_many_alerts(3)))]
    first, second, third = (alert_from_wire(raw, "am") for raw in raws)
    assert first.model_fields_set is second.model_fields_set is third.model_fields_set
    assert {"fingerprint", "labels", "starts_at", "backend"} <= first.model_fields_set
    changed = first.model_copy(update={"drift": True})
    assert "drift" in changed.model_fields_set and "drift" not in second.model_fields_set
    assert changed.model_fields_set is not first.model_fields_set
    # the Alertmanager backend marks each new alert with its drift rules (a copy with a change)
    marked = AlertReuse("am", lambda a: a.model_copy(update={"drift": False})).convert(raws)
    assert len({id(alert.model_fields_set) for alert in marked}) == 1 and "drift" in marked[0].model_fields_set

    rows = [(f"r{i}", "1", f"run {i}", "FINISHED", 0, None, "ann", {}, {"acc": 0.5}, {}) for i in range(2)]
    one, two = (run_from_row(row, "mlflow") for row in rows)
    assert one.model_fields_set is two.model_fields_set and one.name == "run 0" and two.name == "run 1"


def test_runs_from_the_cache_leave_the_young_generations_as_they_are_converted():
    """The runs cache's 50,000 runs (and each page of a full reload) became new models at once,
    ~2 tracked objects each; with only the youngest generation collected automatically while
    the app runs, the UI thread's next collection walked them all. The backend's thread moves
    them on as it converts them."""
    from mlops_tui.backends.mlflow.cache import CachedRuns
    from mlops_tui.backends.mlflow.runs import RunSync
    from mlops_tui.ui.idle_gc import IdleCollector

    rows = [
        (f"r{i:05d}", "1", f"run {i}", "FINISHED", 1_700_000_000_000 + i, None, "ann", {"lr": "0.1"}, {"acc": 0.5}, {})
        for i in range(5_000)
    ]
    sync = RunSync(None, backend="mlflow", page_size=1000, full_reload_seconds=0, report=lambda *_: None)  # type: ignore[arg-type]
    collector = IdleCollector()
    collector.start()  # the app's thresholds
    try:
        gc.collect()
        runs = sync.adopt(CachedRuns(("", (), ("1",)), (), rows, (), 0.0))
        left = len(gc.get_objects(0)) + len(gc.get_objects(1))
    finally:
        collector.stop()
    assert len(runs) == 5_000 and runs[0].name == "run 0"
    assert left < 1_000, f"{left:,} young objects left for the UI thread's next collection"


def test_the_alerts_a_poll_keeps_cost_the_collector_two_objects_each():
    """What a deep collection walks grows with the alerts held: each was the alert, its dict, its
    own set of field names and the converter's (startsAt, endsAt, alert) record, 4 tracked
    objects; a deep collection over two polls' 10,000 changed alerts took 95-130 ms. Now the
    alert and its dict: the set is shared, the record holds only text."""
    body = json.dumps([{**a, "fingerprint": f"{i:016x}"} for i, a in enumerate(json.loads(_many_alerts(2_000)))])
    reuse = AlertReuse("am", lambda a: a.model_copy(update={"drift": False}))  # as the backend marks them
    gc.collect()
    before = len(gc.get_objects())
    alerts = reuse.convert(iter_json_array(body, with_text=True))
    gc.collect()
    tracked = len(gc.get_objects()) - before
    assert len(alerts) == 2_000 and alerts[0].summary == "s"
    assert tracked <= 2 * 2_000 + 100, f"{tracked:,} more tracked objects for 2,000 alerts"
