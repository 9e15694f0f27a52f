"""The promotion policy: which side of a metric is better, the comparison table, and each gate's pass and fail.

Every expected value is worked out by hand from the inputs written in the test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mlops_tui.config.loader import parse_settings
from mlops_tui.config.policy import PolicyRules
from mlops_tui.core.errors import ConfigError
from mlops_tui.domain import ModelVersion, Run, RunStatus
from mlops_tui.services.policy import (
    CheckResult,
    MetricComparison,
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
def rules(**values) -> PolicyRules:
    return PolicyRules.model_validate(values)


def test_a_ready_version_of_a_finished_run_that_improves_passes_every_gate():
    candidate = run({"auc": 0.875, "rmse": 2.5})
    holder = run({"auc": 0.75, "rmse": 3.0}, run_id="r0")
    gates = ["auc >= holder - 0.005", "rmse <= holder * 1.02", "auc >= 0.80"]
    assert evaluate(rules(gates=gates), version(), candidate, holder, "6") == [
        READY_OK,
        FINISHED_OK,
        CheckResult("auc >= holder - 0.005", True, "0.8750 >= 0.7450 (v6: 0.7500; better)"),
        CheckResult("rmse <= holder * 1.02", True, "2.5000 <= 3.0600 (v6: 3.0000; better)"),
        CheckResult("auc >= 0.80", True, "0.8750 >= 0.8000"),
    ]


def test_a_drop_past_the_allowance_fails_and_one_within_it_passes():
    holder = run({"auc": 0.875}, run_id="r0")
    gate = ["auc >= holder - 0.125"]
    assert evaluate(rules(gates=gate), version(), run({"auc": 0.75}), holder, "6")[2] == CheckResult(
        "auc >= holder - 0.125", True, "0.7500 >= 0.7500 (v6: 0.8750; worse)"
    )  # exactly at the allowance: passes
    assert evaluate(rules(gates=gate), version(), run({"auc": 0.625}), holder, "6")[2] == CheckResult(
        "auc >= holder - 0.125", False, "0.6250 >= 0.7500 (v6: 0.8750; worse)"
    )


def test_an_error_that_rises_past_the_factor_fails():
    holder = run({"rmse": 2.0}, run_id="r0")
    checks = evaluate(rules(gates=["rmse <= holder * 1.5"]), version(), run({"rmse": 3.5}), holder, "6")
    assert checks[2] == CheckResult("rmse <= holder * 1.5", False, "3.5000 <= 3.0000 (v6: 2.0000; worse)")


def test_an_absolute_gate_fails_below_its_number():
    checks = evaluate(rules(gates=["auc >= 0.80"]), version(), run({"auc": 0.75}), None, None)
    assert checks[2] == CheckResult("auc >= 0.80", False, "0.7500 >= 0.8000")


def test_unknown_is_not_a_pass_a_metric_either_side_lacks_fails_its_gate():
    gates = ["auc >= holder", "f1 >= 0.5"]
    candidate = run({"auc": 0.875})  # no f1
    holder = run({"f1": 0.5}, run_id="r0")  # no auc
    assert evaluate(rules(gates=gates), version(), candidate, holder, "6")[2:] == [
        CheckResult("auc >= holder", False, "v6 has no auc"),
        CheckResult("f1 >= 0.5", False, "the candidate has no f1"),
    ]
    assert evaluate(rules(gates=["auc >= holder"]), version(), candidate, None, "6")[2] == CheckResult(
        "auc >= holder", False, "the source run of v6 cannot be read"
    )


def test_without_a_holder_the_holder_gates_pass_and_say_why():
    checks = evaluate(rules(gates=["auc >= holder - 0.005"]), version(), run({"auc": 0.5}), None, None)
    assert checks[2] == CheckResult("auc >= holder - 0.005", True, "no current holder to compare with")


def test_required_tags_are_checked_with_what_the_version_has():
    tagged = ModelVersion(model="fraud", version="7", run_id="r1", tags={"validation_status": "failed"})
    checks = evaluate(rules(require_tags={"validation_status": "passed", "owner": "risk"}), tagged, run({}), None)
    assert checks[2:] == [
        CheckResult("tag validation_status = passed", False, "is failed"),
        CheckResult("tag owner = risk", False, "tag not set"),
    ]


def test_a_version_not_ready_fails_the_status_gate_and_says_its_status():
    checks = evaluate(rules(), version("PENDING_REGISTRATION"), run({}), None)
    assert checks == [
        CheckResult("candidate status READY", False, "status is PENDING_REGISTRATION"),
        FINISHED_OK,
    ]


@pytest.mark.parametrize("status", [RunStatus.RUNNING, RunStatus.FAILED, RunStatus.KILLED, RunStatus.SCHEDULED])
def test_a_source_run_that_has_not_finished_fails_the_run_gate(status):
    checks = evaluate(rules(), version(), run({}, status=status), None)
    assert checks == [READY_OK, CheckResult("source run FINISHED", False, f"run is {status.value}")]


def test_a_source_run_that_cannot_be_found_fails_the_run_gate_and_says_so():
    assert evaluate(rules(), version(), None, None) == [
        READY_OK,
        CheckResult("source run FINISHED", False, "source run not found"),
    ]
    assert evaluate(rules(require_finished_run=False), version(), None, None) == [READY_OK]


# -- the policy as written in the config --------------------------------------------------------
POLICY_TOML = """
[policy]
targets = ["champion"]
gates = ["auc >= holder - 0.005", "rmse <= holder * 1.02", "auc >= 0.80"]
require_tags = { validation_status = "passed" }
approvers = 1
allowed_approvers = []
break_glass = true

[policy.models."fraud-*"]
approvers = 2
break_glass = false
"""


def test_the_issue_shape_loads_and_globs_override_per_model():
    policy = parse_settings(POLICY_TOML).policy
    fraud, churn = policy.for_model("fraud-xgb"), policy.for_model("churn")
    assert (fraud.approvers, fraud.break_glass) == (2, False)
    assert (churn.approvers, churn.break_glass) == (1, True)
    assert fraud.gates == churn.gates == ["auc >= holder - 0.005", "rmse <= holder * 1.02", "auc >= 0.80"]
    assert fraud.require_tags == {"validation_status": "passed"}
    assert fraud.guards("champion") and not fraud.guards("challenger")
    assert [(g.metric, g.op, g.number, g.arith, g.amount) for g in churn.parsed_gates] == [
        ("auc", ">=", None, "-", 0.005),
        ("rmse", "<=", None, "*", 1.02),
        ("auc", ">=", 0.8, "", 0.0),
    ]


def test_without_a_policy_table_champion_is_guarded_by_status_and_run_only():
    policy = parse_settings("").policy.for_model("anything")
    assert (policy.targets, policy.gates, policy.approvers, policy.break_glass) == (["champion"], [], 1, True)


@pytest.mark.parametrize("gate", ["auc >= holdr - 0.005", "auc => 0.8", "auc >= holder / 2", ">= 0.8", "auc >= "])
def test_a_gate_syntax_error_is_a_config_error_naming_the_gate_and_its_line(gate):
    with pytest.raises(ConfigError) as caught:
        parse_settings(f'[policy]\ngates = ["{gate}"]\n')
    error = caught.value
    assert error.where == "policy.gates" and error.line == 2
    assert repr(gate) in error.problem and "METRIC OP NUMBER" in error.problem


def test_an_unknown_policy_key_is_a_config_error_with_a_suggestion():
    with pytest.raises(ConfigError) as caught:
        parse_settings('[policy.models."fraud-*"]\napprover = 2\n')
    assert "approver" in caught.value.problem and "approvers" in (caught.value.fix or "")
