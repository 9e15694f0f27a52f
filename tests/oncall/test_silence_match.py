"""Alertmanager's matching rules, with hand-written expectations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mlops_tui.domain import Alert, Matcher
from mlops_tui.services.silence_match import AlertIndex, impact, matching

T = datetime(2026, 11, 30, tzinfo=UTC)


def alert(fp: str, **labels: str) -> Alert:
    return Alert(fingerprint=fp, labels=labels, starts_at=T)


ALERTS = [
    alert("a", alertname="ModelDown", model="fraud", env="prod"),
    alert("b", alertname="ModelDown", model="fraud-canary", env="prod"),
    alert("c", alertname="LatencyHigh", model="fraud", env="staging"),
    alert("d", alertname="LatencyHigh", model="churn"),  # no env label
]


def m(name: str, op: str, value: str) -> Matcher:
    is_regex, is_equal = {"=": (False, True), "!=": (False, False), "=~": (True, True), "!~": (True, False)}[op]
    return Matcher(name=name, value=value, is_regex=is_regex, is_equal=is_equal)


@pytest.mark.parametrize(
    ("matchers", "expected"),
    [
        ([m("alertname", "=", "ModelDown")], "ab"),
        ([m("model", "=", "fraud")], "ac"),
        ([m("model", "=~", "fraud")], "ac"),  # anchored: not fraud-canary
        ([m("model", "=~", "fraud.*")], "abc"),
        ([m("model", "=~", "raud")], ""),  # anchored at the start too
        ([m("model", "!~", "fraud.*")], "d"),
        ([m("model", "!=", "fraud")], "bd"),
        ([m("env", "=", "")], "d"),  # a missing label is the empty string
        ([m("env", "!=", "")], "abc"),
        ([m("env", "=~", "prod|staging")], "abc"),  # alternation stays inside the anchors
        ([m("env", "=~", ".*")], "abcd"),
        ([m("alertname", "=", "ModelDown"), m("model", "=", "fraud")], "a"),  # all must match
        ([m("alertname", "=", "ModelDown"), m("env", "!=", "prod")], ""),
        ([m("nolabel", "=", "x")], ""),
        ([], ""),  # no matchers: nothing (Alertmanager refuses such a silence)
    ],
)
def test_matching_follows_alertmanager(matchers, expected):
    assert "".join(a.fingerprint for a in matching(matchers, ALERTS)) == expected
    assert "".join(sorted(a.fingerprint for a in AlertIndex(ALERTS).matching(matchers))) == expected


def test_impact_warns_for_nothing_too_many_and_several_names():
    index = AlertIndex(ALERTS)
    assert impact([m("model", "=", "none")], index).warnings == ("it matches no active alert",)
    one = impact([m("alertname", "=", "ModelDown"), m("model", "=", "fraud")], index)
    assert one.warnings == () and one.summary() == "matches 1 active alert: ModelDown"
    wide = impact([m("model", "=~", "fraud.*")], index, warn_over=2)
    assert wide.warnings == ("it matches 3 alerts (more than 2)", "it matches alerts of 2 different names")
    assert wide.summary() == "matches 3 active alerts: LatencyHigh, ModelDown"
