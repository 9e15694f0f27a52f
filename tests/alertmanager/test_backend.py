"""The Alertmanager backend against a real Alertmanager (the Debian package, 0.25 here)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

from mlops_tui.backends.alertmanager.convert import parse_time
from mlops_tui.backends.errors import BackendUnavailable, BadResponse, NotFound
from mlops_tui.domain import AlertState, Matcher, Severity, Silence, SilenceState
from tests.alertmanager.test_convert import ALERT_025, SILENCE_025


async def poll_alerts(backend, predicate, timeout: float = 5.0):
    """fetch() until `predicate(alerts)` holds (Alertmanager applies silences within ~1 s)."""
    deadline = time.monotonic() + timeout
    while True:
        alerts = await backend.list_alerts()
        if predicate(alerts):
            return alerts
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {alerts}")
        await asyncio.sleep(0.1)


def new_silence(matchers, minutes: float = 15, start: datetime | None = None, comment: str = "maintenance"):
    start = start or datetime.now(timezone.utc)
    return Silence(
        id="local-1",
        matchers=tuple(matchers),
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        created_by="alice",
        comment=comment,
    )


async def test_fetch_maps_posted_alerts(alertmanager_case, alertmanager_server):
    case = alertmanager_case
    case.post(
        case.alert("ModelLatencyHigh", "warning", "fraud", "fraud-prod", summary="p95 over 300ms"),
        case.alert("ModelDown", "critical", "churn", "churn-canary"),
        case.alert("FeatureDriftHigh", "info", "fraud", "fraud-prod", kind="drift"),
    )
    backend = case.backend()
    try:
        data = await backend.fetch()
    finally:
        await backend.close()
    assert data.version == alertmanager_server.version
    by_name = {a.name: a for a in data.alerts}
    assert set(by_name) == {"ModelLatencyHigh", "ModelDown", "FeatureDriftHigh"}
    latency = by_name["ModelLatencyHigh"]
    assert latency.state is AlertState.FIRING
    assert latency.severity is Severity.WARNING
    assert by_name["ModelDown"].severity is Severity.CRITICAL
    assert by_name["FeatureDriftHigh"].severity is Severity.INFO
    assert latency.model == "fraud" and latency.deployment == "fraud-prod"
    assert latency.summary == "p95 over 300ms"
    assert latency.runbook_url == "https://runbooks.example/ModelLatencyHigh"
    assert latency.generator_url.startswith("http://prometheus.example/graph")
    assert latency.backend == "am"
    assert latency.starts_at.tzinfo is not None and latency.starts_at.utcoffset() == timedelta(0)
    assert abs(latency.starts_at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert backend.is_drift_alert(by_name["FeatureDriftHigh"]) and not backend.is_drift_alert(by_name["ModelDown"])
    # Fingerprints are the server's own.
    on_server = {a["labels"]["alertname"]: a["fingerprint"] for a in alertmanager_server.alerts(case.filter)}
    assert {a.name: a.fingerprint for a in data.alerts} == on_server
    assert data.silences is not None


async def test_real_025_payload_has_the_keys_the_unit_tests_use(alertmanager_case, alertmanager_server):
    """Keeps the 0.25 sample in test_convert honest against the installed server."""
    if not alertmanager_server.version.startswith("0.25"):
        pytest.skip(f"installed Alertmanager is {alertmanager_server.version}, not 0.25")
    case = alertmanager_case
    case.post(case.alert())
    raw = alertmanager_server.alerts(case.filter)[0]
    assert set(raw) == set(ALERT_025)
    assert set(raw["status"]) == set(ALERT_025["status"])
    backend = case.backend()
    sid = await backend.create_silence(new_silence([Matcher(name="test", value=case.tag)]))
    await backend.close()
    silence = alertmanager_server.silence(sid)
    assert set(silence) == set(SILENCE_025)
    assert set(silence["matchers"][0]) == set(SILENCE_025["matchers"][0])


async def test_silence_is_written_exactly_then_suppresses_then_expires(alertmanager_case, alertmanager_server):
    case = alertmanager_case
    case.post(case.alert("ModelLatencyHigh", model="fraud"), case.alert("ModelDown", model="churn"))
    backend = case.backend()
    try:
        matchers = (
            Matcher(name="test", value=case.tag),
            Matcher(name="model", value="fr.*", is_regex=True),
            Matcher(name="alertname", value="ModelDown", is_equal=False),
        )
        sent = new_silence(matchers, minutes=30, comment="deploying fraud v7")
        sid = await backend.create_silence(sent)
        assert sid and sid != sent.id

        # On the server itself, not through the backend:
        raw = alertmanager_server.silence(sid)
        assert raw["createdBy"] == "alice"
        assert raw["comment"] == "deploying fraud v7"
        assert raw["matchers"] == [
            {"name": "test", "value": case.tag, "isRegex": False, "isEqual": True},
            {"name": "model", "value": "fr.*", "isRegex": True, "isEqual": True},
            {"name": "alertname", "value": "ModelDown", "isRegex": False, "isEqual": False},
        ]
        assert parse_time(raw["endsAt"], "endsAt") == sent.ends_at.replace(
            microsecond=sent.ends_at.microsecond // 1000 * 1000
        )
        # Alertmanager moves a start in the past up to its own "now".
        started = parse_time(raw["startsAt"], "startsAt")
        assert sent.starts_at - timedelta(seconds=1) <= started <= sent.starts_at + timedelta(seconds=5)
        assert raw["status"]["state"] == "active"

        alerts = await poll_alerts(backend, lambda al: any(a.state is AlertState.SUPPRESSED for a in al))
        by_name = {a.name: a for a in alerts}
        assert by_name["ModelLatencyHigh"].state is AlertState.SUPPRESSED
        assert by_name["ModelLatencyHigh"].silenced_by == (sid,)
        assert by_name["ModelDown"].state is AlertState.FIRING  # the negative matcher spares it

        listed = {s.id: s for s in await backend.list_silences()}
        assert listed[sid].matchers == matchers
        assert listed[sid].state is SilenceState.ACTIVE and listed[sid].backend == "am"

        await backend.expire_silence(sid)
        assert alertmanager_server.silence(sid)["status"]["state"] == "expired"
        await poll_alerts(backend, lambda al: all(a.state is AlertState.FIRING for a in al))
        listed = {s.id: s for s in await backend.list_silences()}
        assert listed[sid].state is SilenceState.EXPIRED
    finally:
        await backend.close()


async def test_pending_silence_keeps_its_exact_start(alertmanager_case, alertmanager_server):
    backend = alertmanager_case.backend()
    start = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=250_000)
    sid = await backend.create_silence(
        new_silence([Matcher(name="test", value=alertmanager_case.tag)], minutes=45, start=start)
    )
    raw = alertmanager_server.silence(sid)
    assert parse_time(raw["startsAt"], "s") == start
    assert parse_time(raw["endsAt"], "e") == start + timedelta(minutes=45)
    assert raw["status"]["state"] == "pending"
    listed = {s.id: s for s in await backend.list_silences()}
    assert listed[sid].state is SilenceState.PENDING
    await backend.close()


async def test_expire_unknown_silence_is_not_found(alertmanager_case):
    backend = alertmanager_case.backend()
    try:
        with pytest.raises(NotFound, match="no silence"):
            await backend.expire_silence("00000000-0000-4000-8000-000000000000")
        with pytest.raises(NotFound):
            await backend.expire_silence("local-7")  # not even a UUID
    finally:
        await backend.close()


async def test_server_refusals_are_bad_responses(alertmanager_case):
    case = alertmanager_case
    backend = case.backend()
    try:
        start = datetime.now(timezone.utc)
        backwards = Silence(
            id="x",
            matchers=(Matcher(name="test", value=case.tag),),
            starts_at=start,
            ends_at=start - timedelta(minutes=1),
            created_by="alice",
            comment="c",
        )
        with pytest.raises(BadResponse, match="start time must be before end time"):
            await backend.create_silence(backwards)
        with pytest.raises(BadResponse, match="at least one matcher"):
            await backend.create_silence(backwards.model_copy(update={"matchers": ()}))
    finally:
        await backend.close()


async def test_filters_are_sent_to_the_server(alertmanager_case):
    case = alertmanager_case
    case.post(case.alert("A", model="fraud"), case.alert("B", model="churn"))
    backend = case.backend(filters=[case.filter, 'model="churn"'])
    try:
        assert [a.name for a in await backend.list_alerts()] == ["B"]
    finally:
        await backend.close()


async def test_server_version(alertmanager_case, alertmanager_server):
    backend = alertmanager_case.backend()
    assert await backend.server_version() == alertmanager_server.version
    await backend.close()


async def test_down_server_is_unavailable():
    from tests.server_process import free_port
    from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend

    url = f"http://127.0.0.1:{free_port()}"
    backend = AlertmanagerBackend("am", AlertmanagerBackend.Options(url=url))
    with pytest.raises(BackendUnavailable, match="cannot reach Alertmanager at .*connection refused"):
        await backend.fetch()
    await backend.close()
