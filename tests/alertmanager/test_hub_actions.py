"""Real Alertmanagers through the Hub and the Actions service (ack, silence, expire, read-only)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from mlops_tui.backends.alertmanager.convert import parse_time
from mlops_tui.domain import AlertState, BackendState
from mlops_tui.services.actions import ActionRefused, Actions
from mlops_tui.services.audit import AuditLog
from mlops_tui.services.hub import Hub
from tests.conftest import wait_until


@pytest.fixture
def hub_for():
    hubs: list[Hub] = []

    def make(*backends, refresh: float = 0.3) -> Hub:
        hub = Hub(list(backends), refresh_seconds=refresh)
        hubs.append(hub)
        hub.start()
        return hub

    yield make
    for hub in hubs:
        hub.stop()


async def first_poll(hub: Hub, timeout: float = 10):
    await wait_until(lambda: all(s.state != BackendState.PENDING for s in hub.snapshot.statuses), timeout)
    bad = [s for s in hub.snapshot.statuses if s.state not in (BackendState.OK, BackendState.SLOW)]
    assert not bad, bad
    return hub.snapshot


async def test_two_alertmanagers_with_the_same_alerts_show_each_once(
    alertmanager_case, alertmanager_server, alertmanager_server_b, hub_for
):
    case = alertmanager_case
    alerts = [case.alert(f"ModelAlert{i}", model=f"m{i % 3}") for i in range(5)]
    case.post(*alerts, to=[alertmanager_server, alertmanager_server_b])
    # One alert only the second member knows about (e.g. it arrived while the first was down).
    case.post(case.alert("OnlyOnB"), to=[alertmanager_server_b])
    hub = hub_for(case.backend("am-a"), case.backend("am-b", server=alertmanager_server_b))
    snapshot = await first_poll(hub)
    names = sorted(a.name for a in snapshot.alerts)
    assert names == sorted([f"ModelAlert{i}" for i in range(5)] + ["OnlyOnB"])
    fingerprints = [a.fingerprint for a in snapshot.alerts]
    assert len(fingerprints) == len(set(fingerprints)) == 6
    # The same labels give the same fingerprint on both servers.
    on_a = {a["fingerprint"] for a in alertmanager_server.alerts(case.filter)}
    on_b = {a["fingerprint"] for a in alertmanager_server_b.alerts(case.filter)}
    assert on_a < on_b and set(fingerprints) == on_b
    assert {s.version for s in snapshot.statuses} == {alertmanager_server.version}


async def test_ack_creates_a_15_minute_silence_on_the_alert_labels(
    alertmanager_case, alertmanager_server, hub_for, tmp_path: Path
):
    case = alertmanager_case
    case.post(case.alert("ModelLatencyHigh", "critical", "fraud", "fraud-prod"), case.alert("Other"))
    hub = hub_for(case.backend())
    snapshot = await first_poll(hub)
    alert = next(a for a in snapshot.alerts if a.name == "ModelLatencyHigh")
    before = {s["id"] for s in alertmanager_server.silences()}

    audit = AuditLog(tmp_path / "audit.jsonl")
    actions = Actions(hub, audit, user="alice", context="prod")
    [sid] = await actions.ack([alert])

    created = [s for s in alertmanager_server.silences() if s["id"] not in before]
    assert [s["id"] for s in created] == [sid]
    raw = created[0]
    assert raw["createdBy"] == "alice"
    assert raw["comment"].startswith("ACK!")
    assert sorted((m["name"], m["value"], m["isRegex"], m["isEqual"]) for m in raw["matchers"]) == sorted(
        (k, v, False, True) for k, v in alert.labels.items()
    )
    length = parse_time(raw["endsAt"], "e") - parse_time(raw["startsAt"], "s")
    assert timedelta(minutes=15) - timedelta(seconds=3) <= length <= timedelta(minutes=15)

    # The hub was asked to refresh: the alert shows as acked, the other one still fires.
    def acked():
        snap = hub.snapshot
        mine = next((a for a in snap.alerts if a.fingerprint == alert.fingerprint), None)
        silence = snap.silence_for(mine) if mine else None
        return mine is not None and mine.state is AlertState.SUPPRESSED and silence is not None and silence.is_ack

    await wait_until(acked, timeout=5)
    other = next(a for a in hub.snapshot.alerts if a.name == "Other")
    assert other.state is AlertState.FIRING
    [entry] = audit.entries()
    assert (entry["action"], entry["outcome"], entry["user"], entry["backend"]) == ("ack", "ok", "alice", "am")

    # Expire through the service: the alert fires again.
    silence = hub.snapshot.silence_for(next(a for a in hub.snapshot.alerts if a.fingerprint == alert.fingerprint))
    await actions.expire(silence)
    assert alertmanager_server.silence(sid)["status"]["state"] == "expired"
    await wait_until(
        lambda: all(a.state is AlertState.FIRING for a in hub.snapshot.alerts if a.fingerprint == alert.fingerprint),
        timeout=5,
    )


async def test_silence_with_chosen_matchers_and_duration(alertmanager_case, alertmanager_server, hub_for, tmp_path):
    from mlops_tui.domain import Matcher

    case = alertmanager_case
    case.post(case.alert("ModelDown", model="fraud"), case.alert("ModelDown", model="churn"))
    hub = hub_for(case.backend())
    snapshot = await first_poll(hub)
    actions = Actions(hub, AuditLog(tmp_path / "audit.jsonl"), user="bob")
    matchers = [Matcher(name="test", value=case.tag), Matcher(name="alertname", value="ModelDown")]
    [sid] = await actions.silence([snapshot.alerts[0]], timedelta(hours=2), "planned maintenance", matchers)
    raw = alertmanager_server.silence(sid)
    assert raw["comment"] == "planned maintenance" and raw["createdBy"] == "bob"
    length = parse_time(raw["endsAt"], "e") - parse_time(raw["startsAt"], "s")
    assert timedelta(hours=2) - timedelta(seconds=3) <= length <= timedelta(hours=2)
    await wait_until(
        lambda: len(hub.snapshot.alerts) == 2 and all(a.state is AlertState.SUPPRESSED for a in hub.snapshot.alerts),
        timeout=5,
    )


async def test_read_only_sends_nothing_and_audits_a_refusal(
    alertmanager_case, alertmanager_server, hub_for, tmp_path: Path
):
    case = alertmanager_case
    case.post(case.alert("ModelLatencyHigh"))
    hub = hub_for(case.backend())
    snapshot = await first_poll(hub)
    before = alertmanager_server.silences()
    audit = AuditLog(tmp_path / "audit.jsonl")
    actions = Actions(hub, audit, user="alice", read_only=True)

    with pytest.raises(ActionRefused, match="read-only"):
        await actions.ack(list(snapshot.alerts))
    with pytest.raises(ActionRefused, match="read-only"):
        await actions.silence(list(snapshot.alerts), timedelta(hours=1), "x")

    assert alertmanager_server.silences() == before
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(e["action"], e["outcome"]) for e in lines] == [("ack", "refused"), ("silence", "refused")]
    assert all("read-only" in e["detail"]["reason"] for e in lines)
