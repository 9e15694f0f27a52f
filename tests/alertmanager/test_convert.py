"""Wire -> domain conversion, options and drift rules, without a server."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.backends.alertmanager.convert import (
    WireError,
    alert_from_wire,
    alerts_from_wire,
    format_time,
    parse_time,
    silence_from_wire,
    silence_to_wire,
)
from mlops_tui.backends.alertmanager.drift_rules import DriftRules, is_drift_alert, parse_matcher
from mlops_tui.domain import Alert, AlertState, Matcher, Severity, Silence, SilenceState

# What Alertmanager 0.25 sends (copied from the Debian package's answer; see test_backend for
# the check that the real server still sends exactly these keys).
ALERT_025 = {
    "annotations": {"runbook_url": "https://runbooks.example/DriftHigh", "summary": "drift on fraud"},
    "endsAt": "2026-11-27T08:23:14.545Z",
    "fingerprint": "95681903394770ab",
    "receivers": [{"name": "null"}],
    "startsAt": "2026-11-27T08:18:14.545Z",
    "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
    "updatedAt": "2026-11-27T08:18:14.545Z",
    "generatorURL": "http://prometheus.example/graph",
    "labels": {"alertname": "DriftHigh", "deployment": "fraud-prod", "model": "fraud", "severity": "warning"},
}
SILENCE_025 = {
    "id": "01523aa2-941d-4818-8db5-3c9dac7dae14",
    "status": {"state": "active"},
    "updatedAt": "2026-11-27T08:18:20.782Z",
    "comment": "ACK! acknowledged by alice in mlops-tui",
    "createdBy": "alice",
    "endsAt": "2026-11-27T08:33:20.000Z",
    "matchers": [{"isEqual": True, "isRegex": False, "name": "model", "value": "fraud"}],
    "startsAt": "2026-11-27T08:18:20.782Z",
}


def newer(alert: dict) -> dict:
    """The same alert as a newer Alertmanager writes it: extra optional fields."""
    out = copy.deepcopy(alert)
    out["status"]["mutedBy"] = ["some-time-interval"]
    out["receivers"] = [{"name": "null", "receiver_matchers": []}]
    out["someFieldFromTheFuture"] = {"x": 1}
    return out


def test_alert_025_maps_every_field():
    alert = alert_from_wire(ALERT_025, "am")
    assert alert.fingerprint == "95681903394770ab"
    assert alert.name == "DriftHigh"
    assert alert.severity is Severity.WARNING
    assert alert.model == "fraud" and alert.deployment == "fraud-prod"
    assert alert.summary == "drift on fraud"
    assert alert.runbook_url == "https://runbooks.example/DriftHigh"
    assert alert.generator_url == "http://prometheus.example/graph"
    assert alert.state is AlertState.FIRING
    assert alert.starts_at == datetime(2026, 11, 27, 8, 18, 14, 545000, tzinfo=timezone.utc)
    assert alert.ends_at == datetime(2026, 11, 27, 8, 23, 14, 545000, tzinfo=timezone.utc)
    assert alert.starts_at.utcoffset() == timedelta(0)
    assert alert.backend == "am"


def test_newer_optional_fields_are_ignored():
    assert alert_from_wire(newer(ALERT_025), "am") == alert_from_wire(ALERT_025, "am")
    silence = {**SILENCE_025, "annotations": {"team": "ml"}, "somethingElse": True}
    assert silence_from_wire(silence) == silence_from_wire(SILENCE_025)


def test_suppressed_alert_keeps_who_silenced_and_inhibited_it():
    raw = copy.deepcopy(ALERT_025)
    raw["status"] = {"state": "suppressed", "silencedBy": ["s1", "s2"], "inhibitedBy": ["f1"]}
    alert = alert_from_wire(raw)
    assert alert.state is AlertState.SUPPRESSED
    assert alert.silenced_by == ("s1", "s2")
    assert alert.inhibited_by == ("f1",)


def test_unprocessed_and_unknown_states_count_as_firing():
    for state in ("unprocessed", "something-new"):
        raw = copy.deepcopy(ALERT_025)
        raw["status"]["state"] = state
        assert alert_from_wire(raw).state is AlertState.FIRING


def test_minimal_alert_without_optional_fields():
    raw = {"fingerprint": "f", "startsAt": "2026-01-01T00:00:00Z", "labels": {"alertname": "A"}}
    alert = alert_from_wire(raw)
    assert alert.annotations == {} and alert.ends_at is None and alert.generator_url == ""
    assert alert.silenced_by == () and alert.state is AlertState.FIRING


@pytest.mark.parametrize(
    "mutate, words",
    [
        (lambda a: a.pop("fingerprint"), "fingerprint"),
        (lambda a: a.update(startsAt="yesterday"), "startsAt"),
        (lambda a: a.update(labels={"severity": 3}), "labels.severity"),
        (lambda a: a.update(labels=["a"]), "labels"),
        (lambda a: a["status"].update(silencedBy="s1"), "silencedBy"),
    ],
)
def test_bad_alert_shapes_raise_wire_error(mutate, words):
    raw = copy.deepcopy(ALERT_025)
    mutate(raw)
    with pytest.raises(WireError, match=words):
        alert_from_wire(raw)


def test_alerts_body_must_be_a_list():
    with pytest.raises(WireError, match="list of alerts"):
        alerts_from_wire({"alerts": []})


def test_times():
    assert parse_time("2026-11-27T08:18:14.545123456Z", "t") == datetime(
        2026, 11, 27, 8, 18, 14, 545123, tzinfo=timezone.utc
    )
    assert parse_time("2026-11-27T09:18:14+01:00", "t") == datetime(2026, 11, 27, 8, 18, 14, tzinfo=timezone.utc)
    assert parse_time("0001-01-01T00:00:00.000Z", "t") is None  # Go's zero time
    assert parse_time(None, "t") is None
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=timezone.utc)) == "2026-01-02T03:04:05.678Z"
    assert format_time(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"  # naive = UTC
    plus_two = timezone(timedelta(hours=2))
    assert format_time(datetime(2026, 1, 2, 5, 0, tzinfo=plus_two)) == "2026-01-02T03:00:00.000Z"


def test_silence_025_and_without_is_equal():
    silence = silence_from_wire(SILENCE_025, "am")
    assert silence.id == SILENCE_025["id"]
    assert silence.state is SilenceState.ACTIVE
    assert silence.is_ack and silence.created_by == "alice"
    assert silence.matchers == (Matcher(name="model", value="fraud"),)
    assert silence.ends_at == datetime(2026, 11, 27, 8, 33, 20, tzinfo=timezone.utc)
    old = copy.deepcopy(SILENCE_025)
    old["matchers"] = [{"isRegex": True, "name": "model", "value": "fr.*"}]  # no isEqual (< 0.22)
    assert silence_from_wire(old).matchers == (Matcher(name="model", value="fr.*", is_regex=True, is_equal=True),)
    negative = copy.deepcopy(SILENCE_025)
    negative["matchers"][0]["isEqual"] = False
    assert silence_from_wire(negative).matchers[0].is_equal is False


def test_silence_state_derived_when_missing():
    now = datetime.now(timezone.utc)
    raw = {
        **SILENCE_025,
        "status": {},
        "startsAt": format_time(now + timedelta(hours=1)),
        "endsAt": format_time(now + timedelta(hours=2)),
    }
    assert silence_from_wire(raw).state is SilenceState.PENDING
    raw.update(startsAt=format_time(now - timedelta(hours=2)), endsAt=format_time(now - timedelta(hours=1)))
    assert silence_from_wire(raw).state is SilenceState.EXPIRED


def test_silence_to_wire_leaves_out_the_local_id():
    start = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    silence = Silence(
        id="local-3",
        matchers=(Matcher(name="model", value="fraud"), Matcher(name="env", value="dev", is_equal=False)),
        starts_at=start,
        ends_at=start + timedelta(minutes=15),
        created_by="alice",
        comment="ACK! x",
    )
    assert silence_to_wire(silence) == {
        "matchers": [
            {"name": "model", "value": "fraud", "isRegex": False, "isEqual": True},
            {"name": "env", "value": "dev", "isRegex": False, "isEqual": False},
        ],
        "startsAt": "2026-01-01T12:00:00.000Z",
        "endsAt": "2026-01-01T12:15:00.000Z",
        "createdBy": "alice",
        "comment": "ACK! x",
    }


# -- options -------------------------------------------------------------------------------------
Options = AlertmanagerBackend.Options


def test_options_defaults_and_normalised_url():
    o = Options(url=" http://127.0.0.1:9093/ ")
    assert o.url == "http://127.0.0.1:9093"
    assert o.auth.type == "none" and o.verify is True and o.ca_bundle is None
    assert o.filters == [] and o.drift_label == 'kind="drift"' and o.drift_alertname_contains == "Drift"
    assert AlertmanagerBackend.capabilities == {"alerts", "silences"}
    assert AlertmanagerBackend.kind == "alertmanager"


@pytest.mark.parametrize(
    "bad",
    [
        {"url": "ftp://x"},
        {"url": "http://user:hunter2@am:9093"},
        {"url": "http://am:9093", "colour": "red"},
        {"url": "http://am:9093", "filters": ["not a matcher"]},
        {"url": "http://am:9093", "drift_label": 'kind=~"("'},
        {"url": "http://am:9093", "auth": {"type": "bearer", "token": "hunter2"}},
        {"url": "http://am:9093", "auth": {"type": "basic", "username": "u", "password": "hunter2"}},
        {"url": "http://am:9093", "auth": {"type": "oauth"}},
        {"url": "http://am:9093", "auth": {"type": "bearer"}},
        {"url": "http://am:9093", "auth": {"type": "basic", "password": "env:X"}},
        {"url": "http://am:9093", "auth": {"type": "none", "token": "env:X"}},
        {"url": "http://am:9093", "auth": {"type": "bearer", "tokn": "env:X"}},
    ],
)
def test_options_refused(bad):
    with pytest.raises(ValidationError) as info:
        Options.model_validate(bad)
    assert "hunter2" not in str(info.value)


def test_options_auth_refs_accepted():
    o = Options(url="https://am", auth={"type": "bearer", "token": "env:AM_TOKEN"}, ca_bundle="/ca.pem")
    assert o.auth.token == "env:AM_TOKEN"
    o = Options(url="https://am", auth={"type": "basic", "username": "bot", "password": "keyring:am"})
    assert o.auth.password == "keyring:am"


def test_backend_needs_options():
    with pytest.raises(TypeError):
        AlertmanagerBackend("am")


# -- drift rules -----------------------------------------------------------------------------------
def _alert(name: str, **labels: str) -> Alert:
    return Alert(
        fingerprint=name,
        labels={"alertname": name, **labels},
        starts_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )


def test_is_drift_alert_by_label_or_name():
    rules = DriftRules.parse()
    assert is_drift_alert(_alert("Whatever", kind="drift"), rules)
    assert is_drift_alert(_alert("FeatureDriftHigh"), rules)
    assert is_drift_alert(_alert("model_drift_psi"), rules)  # case-insensitive
    assert not is_drift_alert(_alert("ModelDown", kind="availability"), rules)
    only_label = DriftRules.parse('kind=~"drift|skew"', "")
    assert is_drift_alert(_alert("X", kind="skew"), only_label)
    assert not is_drift_alert(_alert("FeatureDriftHigh"), only_label)
    off = DriftRules.parse("", "")
    assert not is_drift_alert(_alert("FeatureDriftHigh", kind="drift"), off)
    backend = AlertmanagerBackend(
        "am", Options(url="http://am", drift_label='team="ds"', drift_alertname_contains="Skew")
    )
    assert backend.is_drift_alert(_alert("TrainServeSkew"))
    assert backend.is_drift_alert(_alert("X", team="ds"))
    assert not backend.is_drift_alert(_alert("FeatureDriftHigh"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ('kind="drift"', Matcher(name="kind", value="drift")),
        ("kind=drift", Matcher(name="kind", value="drift")),
        ('{kind!="drift"}', Matcher(name="kind", value="drift", is_equal=False)),
        ('alertname=~".*Drift.*"', Matcher(name="alertname", value=".*Drift.*", is_regex=True)),
        ('x!~"a\\"b"', Matcher(name="x", value='a"b', is_regex=True, is_equal=False)),
    ],
)
def test_parse_matcher(text, expected):
    assert parse_matcher(text) == expected


@pytest.mark.parametrize("text", ["", "kind", '="x"', "1a=b", 'a="b" c="d"'])
def test_parse_matcher_refuses(text):
    with pytest.raises(ValueError):
        parse_matcher(text)
