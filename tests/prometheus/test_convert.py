"""Prometheus wire conversion and options, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mlops_tui.backends.prometheus.backend import PrometheusBackend
from mlops_tui.backends.prometheus.convert import WireError, drift_from_matrix, parse_duration

Options = PrometheusBackend.Options


def matrix(*series):
    return {"status": "success", "data": {"resultType": "matrix", "result": list(series)}}


def convert(body, **kw):
    args = {"threshold": 0.2, "higher_is_drift": True, "model_label": "model", "feature_label": "feature"}
    return drift_from_matrix(body, **{**args, **kw})


def test_matrix_to_scores_keeps_non_finite_values():
    body = matrix(
        {
            "metric": {"model": "fraud", "feature": "amount"},
            "values": [[1764230400, "0.1"], [1764230700.5, "NaN"], [1764231000, "+Inf"], [1764231300, "0.35"]],
        },
        {"metric": {"feature": "orphan"}, "values": [[1764230400, "-Inf"]]},
    )
    scores = convert(body, backend="prom")
    shown = [(s.model, s.feature, s.score if s.has_value else "no value", s.drifted) for s in scores]
    assert shown == [
        ("fraud", "amount", 0.1, False),
        ("fraud", "amount", "no value", False),  # NaN: a score with no value, never drifted
        ("fraud", "amount", float("inf"), True),  # +Inf: the worst drift there is
        ("fraud", "amount", 0.35, True),
        ("", "orphan", float("-inf"), False),
    ]
    assert scores[0].time == datetime(2025, 11, 27, 8, 0, tzinfo=UTC)
    assert scores[0].method == scores[0].source == "prometheus" and scores[0].backend == "prom"


def test_missing_labels_become_empty_strings():
    [score] = convert(matrix({"metric": {}, "values": [[1, "0.5"]]}))
    assert (score.model, score.feature) == ("", "")


@pytest.mark.parametrize(
    "body",
    [
        {"status": "error", "errorType": "bad_data", "error": "x"},
        {"status": "success", "data": {"resultType": "vector", "result": []}},
        matrix({"metric": {}, "values": [[1]]}),
        matrix({"metric": {}, "values": [[1, "zero"]]}),
        matrix("not a series"),
        [],
    ],
)
def test_bad_shapes(body):
    with pytest.raises(WireError):
        convert(body)


@pytest.mark.parametrize(
    "text, seconds",
    [("5m", 300), ("6h", 21600), ("1h30m", 5400), ("1d", 86400), ("500ms", 0.5), ("2w", 1209600), ("30s", 30)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5x", "m", "0s", "1.5h", "5m1h"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_options_defaults():
    o = Options(url="http://127.0.0.1:9090")
    assert (o.drift_metric, o.drift_threshold, o.drift_higher_is_drift) == ("model_drift_score", 0.2, True)
    assert (o.drift_window, o.drift_step, o.model_label, o.feature_label) == ("6h", "5m", "model", "feature")
    assert PrometheusBackend.capabilities == {"drift", "deployments"} and PrometheusBackend.kind == "prometheus"
    backend = PrometheusBackend("p", o)
    assert backend.drift_query == "max by (model, feature) (model_drift_score)"


@pytest.mark.parametrize(
    "bad",
    [
        {"drift_window": "six hours"},
        {"drift_step": "0s"},
        {"drift_window": "30d", "drift_step": "1m"},  # 43,200 points > 11,000
        {"model_label": "model name"},
        {"drift_metric": " "},
        {"drift_threshold": float("nan")},
        {"auth": {"type": "bearer", "token": "plain"}},
        {"unknown": 1},
    ],
)
def test_options_refused(bad):
    with pytest.raises(ValidationError):
        Options(url="http://127.0.0.1:9090", **bad)
