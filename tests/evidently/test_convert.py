"""Evidently wire format -> domain, on a report body saved from the real server.

data/fraud-report.json is `GET /api/projects/{pid}/{sid}/download?report_format=json` for the
first "fraud" snapshot of build_workspace.py, as Evidently 0.7.23 answered it (re-indented).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlops_tui.backends.evidently.convert import (
    ProjectRef,
    SnapshotRef,
    WireError,
    columns_from_report,
    higher_is_drift,
    model_for,
    newest,
    parse_time,
    projects_from_wire,
    scores_for,
    snapshots_from_wire,
)

REPORT = json.loads((Path(__file__).parent / "data" / "fraud-report.json").read_text())
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_saved_report_gives_one_column_per_value_drift():
    columns = {c.feature: c for c in columns_from_report(REPORT)}
    assert list(columns) == ["age", "income", "amount", "tenure", "country", "plan"]  # report order
    assert {f: (c.method, c.threshold, c.higher_is_drift) for f, c in columns.items()} == {
        "age": ("K-S p_value", 0.05, False),
        "income": ("K-S p_value", 0.05, False),
        "amount": ("psi", 0.1, True),
        "tenure": ("wasserstein", 0.1, True),
        "country": ("chi-square p_value", 0.05, False),
        "plan": ("Z-test p_value", 0.05, False),
    }
    scores = {s.feature: s for s in scores_for(list(columns.values()), model="fraud", time=T0, backend="ev")}
    assert {f for f, s in scores.items() if s.drifted} == {"age", "amount", "country"}
    assert all(s.source == "evidently" and s.backend == "ev" and s.time == T0 for s in scores.values())
    # DriftedColumnsCount agrees with what we call drifted.
    count = next(m for m in REPORT["metrics"] if m["metric_name"].startswith("DriftedColumnsCount"))
    assert count["value"]["count"] == 3


@pytest.mark.parametrize(
    ("method", "higher"),
    [
        ("K-S p_value", False), ("ks", False), ("chisquare", False), ("Z-test p_value", False),
        ("TVD", False), ("Anderson-Darling", False), ("mannw", False), ("t_test", False),
        ("psi", True), ("PSI", True), ("wasserstein", True), ("Wasserstein distance (normed)", True),
        ("jensenshannon", True), ("kl_div", True), ("Hellinger distance", True), ("ed", True),
        ("perc_text_content_drift", True),
        ("custom function 'my_test_p_value'", False), ("custom function 'my_distance'", True), ("", True),
    ],
)  # fmt: skip
def test_direction_of_each_method(method, higher):
    assert higher_is_drift(method) is higher


def value_drift(column="x", method="psi", threshold=0.1, value=0.2, **config):
    return {
        "id": "m",
        "metric_name": f"ValueDrift(column={column},method={method},threshold={threshold})",
        "config": {"type": "evidently:metric_v2:ValueDrift", "column": column, "method": method,
                   "threshold": threshold, **config},
        "value": value,
    }  # fmt: skip


def test_unusable_metrics_are_skipped_and_others_ignored():
    body = {
        "metrics": [
            {"metric_name": "RowCount()", "config": {"type": "evidently:metric_v2:RowCount"}, "value": 10},
            value_drift("nan", value=float("nan")),
            value_drift("none", value=None),
            value_drift("no-threshold", threshold=None),
            value_drift("ok", value=0.3),
        ],
        "tests": [],
    }
    assert [c.feature for c in columns_from_report(body)] == ["ok"]


def test_fields_missing_from_config_come_from_the_metric_name():
    metric = {
        "metric_name": "ValueDrift(column=age,method=K-S p_value,threshold=0.05)",
        "config": {"type": "evidently:metric_v2:ValueDrift"},
        "value": 0.01,
    }
    (column,) = columns_from_report({"metrics": [metric]})
    assert (column.feature, column.method, column.threshold) == ("age", "K-S p_value", 0.05)
    assert not column.higher_is_drift


@pytest.mark.parametrize(
    "body",
    [None, [], "report", {"tests": []}, {"metrics": {"a": 1}}, {"metrics": ["ValueDrift"]}],
)
def test_a_body_that_is_no_report_is_a_wire_error(body):
    with pytest.raises(WireError):
        columns_from_report(body)


def test_snapshots_are_sorted_and_times_utc():
    body = [
        {"id": "b", "metadata": {"model": "m"}, "tags": ["x"], "timestamp": "2026-11-01T13:00:00Z"},
        {"id": "a", "metadata": None, "tags": None, "timestamp": "2026-11-01T12:00:00"},  # naive: UTC
        {"id": "c", "timestamp": "2026-11-01T15:30:00+02:00"},
    ]
    snaps = snapshots_from_wire(body)
    assert [s.id for s in snaps] == ["a", "b", "c"]
    assert [s.time.hour for s in snaps] == [12, 13, 13]
    assert all(s.time.tzinfo is not None and s.time.utcoffset() == timedelta(0) for s in snaps)
    assert snaps[0].metadata == {} and snaps[0].tags == ()
    assert [s.id for s in newest(snaps, 2)] == ["b", "c"]


@pytest.mark.parametrize("body", [{}, [1], [{"timestamp": "2026-11-01T00:00:00Z"}], [{"id": "a", "timestamp": "soon"}]])
def test_bad_snapshot_lists_are_wire_errors(body):
    with pytest.raises(WireError):
        snapshots_from_wire(body)


def test_projects_from_wire():
    assert projects_from_wire([{"id": "p1", "name": "fraud"}, {"id": "p2", "name": None}]) == [
        ProjectRef("p1", "fraud"),
        ProjectRef("p2", ""),
    ]
    for bad in ({"projects": []}, [None], [{"name": "x"}]):
        with pytest.raises(WireError):
            projects_from_wire(bad)


def test_which_model_a_snapshot_is_about():
    project = ProjectRef("p1", "fraud")

    def snap(metadata=None, tags=()):
        return SnapshotRef("s", T0, metadata or {}, tuple(tags))

    assert model_for(project, snap({"model": "xgb"}), "project", "model") == "fraud"
    assert model_for(project, snap({"model": "xgb"}), "tag", "model") == "xgb"
    assert model_for(project, snap(tags=["nightly", "model=lgbm"]), "tag", "model") == "lgbm"
    assert model_for(project, snap(tags=["model: rf"]), "tag", "model") == "rf"
    assert model_for(project, snap({"model": ""}, ["modelx=no"]), "tag", "model") == "fraud"
    assert model_for(ProjectRef("p1", ""), snap(), "project", "model") == "p1"


def test_parse_time_rejects_nonsense():
    assert parse_time("2026-11-01T00:00:00.123456Z") == T0 + timedelta(microseconds=123456)
    for bad in (None, "", "yesterday", 17):
        with pytest.raises(WireError):
            parse_time(bad)
