"""The promotion policy: which side of a metric is better, the comparison table, and each gate's pass and fail.

Every expected value is worked out by hand from the inputs written in the test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mlops_tui.domain import ModelVersion, Run, RunStatus
from mlops_tui.services.policy import (
    CheckResult,
    MetricComparison,
    PolicyRules,
    compare_metrics,
    evaluate,
    lower_is_better,
)

STARTED = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def run(metrics: dict[str, float], status: RunStatus = RunStatus.FINISHED, run_id: str = "r1") -> Run:
    return Run(id=run_id, experiment_id="1", name=run_id, status=status, start_time=STARTED, metrics=metrics)


def version(status: str = "READY") -> ModelVersion:
    return ModelVersion(model="fraud", version="7", status=status, run_id="r1")


READY_OK = CheckResult("candidate status READY", True, "status is READY")
FINISHED_OK = CheckResult("source run FINISHED", True, "run is FINISHED")


# -- which way is better ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "metric", ["loss", "val_loss", "logloss", "RMSE", "mae", "mse", "error_rate", "latency_p99_ms", "mape"]
)
def test_losses_errors_and_latencies_are_better_lower(metric):
    assert lower_is_better(metric)


@pytest.mark.parametrize("metric", ["auc", "accuracy", "f1", "precision", "recall", "r2"])
def test_scores_are_better_higher(metric):
    assert not lower_is_better(metric)


@pytest.mark.parametrize(
    "metric, candidate, champion, delta, better",
    [
        ("auc", 0.75, 0.5, 0.25, "candidate"),  # higher is better, and higher
        ("auc", 0.5, 0.75, -0.25, "champion"),
        ("rmse", 2.5, 3.0, -0.5, "candidate"),  # lower is better, and lower
        ("rmse", 3.5, 3.0, 0.5, "champion"),
        ("latency_ms", 120.0, 80.0, 40.0, "champion"),
        ("f1", 0.5, 0.5, 0.0, "equal"),
    ],
)
def test_a_comparison_says_the_difference_and_which_side_wins(metric, candidate, champion, delta, better):
    # halves and quarters are exact in binary, so the deltas compare exactly
    comparison = MetricComparison(metric, candidate, champion)
    assert comparison.delta == delta
    assert comparison.better == better


@pytest.mark.parametrize("candidate, champion", [(0.9, None), (None, 0.9), (None, None)])
def test_a_metric_one_side_lacks_has_no_difference_and_no_winner(candidate, champion):
    comparison = MetricComparison("auc", candidate, champion)
    assert comparison.delta is None
    assert comparison.better == ""


# -- the comparison table -----------------------------------------------------------------------
def test_the_table_lists_every_metric_of_either_run_by_name_with_gaps_where_one_lacks_it():
    candidate = run({"rmse": 3.25, "auc": 0.875})
    champion = run({"auc": 0.75, "f1": 0.625}, run_id="r0")
    assert compare_metrics(candidate, champion) == [
        MetricComparison("auc", 0.875, 0.75),
        MetricComparison("f1", None, 0.625),
        MetricComparison("rmse", 3.25, None),
    ]


def test_without_a_champion_the_table_shows_the_candidate_alone():
    assert compare_metrics(run({"auc": 0.875}), None) == [MetricComparison("auc", 0.875, None)]
    assert compare_metrics(None, run({"auc": 0.75})) == [MetricComparison("auc", None, 0.75)]
    assert compare_metrics(None, None) == []


# -- the gates ----------------------------------------------------------------------------------
def test_a_ready_version_of_a_finished_run_that_improves_passes_every_gate():
    candidate = run({"auc": 0.875, "accuracy": 0.9375, "rmse": 2.5, "logloss": 0.25})
    champion = run({"auc": 0.75, "accuracy": 0.9375, "rmse": 3.0, "logloss": 0.5}, run_id="r0")
    assert evaluate(version(), candidate, champion) == [
        READY_OK,
        FINISHED_OK,
        CheckResult("auc must not drop", True, "Δ +0.1250"),
        CheckResult("accuracy must not drop", True, "Δ +0.0000"),  # equal is no drop
        CheckResult("rmse must not rise", True, "Δ -0.5000"),
        CheckResult("logloss must not rise", True, "Δ -0.2500"),
    ]


def test_a_version_not_ready_fails_the_status_gate_and_says_its_status():
    checks = evaluate(version("PENDING_REGISTRATION"), run({}), None)
    assert checks == [
        CheckResult("candidate status READY", False, "status is PENDING_REGISTRATION"),
        FINISHED_OK,
    ]


@pytest.mark.parametrize("status", [RunStatus.RUNNING, RunStatus.FAILED, RunStatus.KILLED, RunStatus.SCHEDULED])
def test_a_source_run_that_has_not_finished_fails_the_run_gate(status):
    checks = evaluate(version(), run({}, status=status), None)
    assert checks == [READY_OK, CheckResult("source run FINISHED", False, f"run is {status.value}")]


def test_a_source_run_that_cannot_be_found_fails_the_run_gate_and_says_so():
    assert evaluate(version(), None, None) == [
        READY_OK,
        CheckResult("source run FINISHED", False, "source run not found"),
    ]


def test_a_score_that_drops_fails_its_gate_with_the_drop():
    candidate = run({"auc": 0.75, "f1": 0.5})
    champion = run({"auc": 0.875, "f1": 0.5}, run_id="r0")
    assert evaluate(version(), candidate, champion)[2:] == [
        CheckResult("auc must not drop", False, "Δ -0.1250"),
        CheckResult("f1 must not drop", True, "Δ +0.0000"),
    ]


def test_an_error_that_rises_fails_its_gate_with_the_rise():
    candidate = run({"rmse": 3.5, "mae": 1.0})
    champion = run({"rmse": 3.0, "mae": 1.25}, run_id="r0")
    assert evaluate(version(), candidate, champion)[2:] == [
        CheckResult("rmse must not rise", False, "Δ +0.5000"),
        CheckResult("mae must not rise", True, "Δ -0.2500"),
    ]


def test_a_gated_metric_one_side_lacks_is_not_checked():
    candidate = run({"auc": 0.875, "rmse": 3.0})
    champion = run({"f1": 0.5, "rmse": 3.0}, run_id="r0")  # no auc on the champion, no f1 on the candidate
    assert evaluate(version(), candidate, champion) == [
        READY_OK,
        FINISHED_OK,
        CheckResult("rmse must not rise", True, "Δ +0.0000"),
    ]


def test_without_a_champion_only_the_status_gates_apply():
    assert evaluate(version(), run({"auc": 0.5, "rmse": 9.0}), None) == [READY_OK, FINISHED_OK]


def test_rules_choose_the_gates():
    rules = PolicyRules(
        must_not_drop=("precision",), must_not_rise=("latency_ms",), require_ready=False, require_finished_run=False
    )
    candidate = run({"precision": 0.625, "latency_ms": 40.0, "auc": 0.5}, status=RunStatus.FAILED)
    champion = run({"precision": 0.75, "latency_ms": 50.0, "auc": 0.875}, run_id="r0")
    assert evaluate(version("FAILED_REGISTRATION"), candidate, champion, rules) == [
        CheckResult("precision must not drop", False, "Δ -0.1250"),
        CheckResult("latency_ms must not rise", True, "Δ -10.0000"),
    ]  # the auc drop is not gated by these rules, nor the failed run and version
