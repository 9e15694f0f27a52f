"""MLflow's filter syntax evaluated locally (the demo world, and any backend without a server filter)."""

from datetime import datetime, timezone

import pytest

from mlops_tui.backends.errors import InvalidFilter
from mlops_tui.domain import Run, RunStatus
from mlops_tui.services.run_filter import matcher

T = datetime(2026, 1, 1, tzinfo=timezone.utc)


def run(name, status=RunStatus.FINISHED, **metrics):
    return Run(
        id=name,
        experiment_id="1",
        name=name,
        status=status,
        start_time=T,
        params={"model": "xgb" if name.startswith("x") else "lgbm"},
        metrics=metrics,
        tags={"team": "fraud"},
    )


RUNS = [run("x1", auc=0.95), run("x2", auc=0.85), run("l1", auc=0.97), run("x3", RunStatus.FAILED, auc=0.99)]


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("metrics.auc > 0.9 and params.model = 'xgb'", ["x1", "x3"]),
        ("metrics.auc > 0.9 AND params.model = 'xgb' and attributes.status = 'FINISHED'", ["x1"]),
        ("params.model != 'xgb'", ["l1"]),
        ("tags.team = 'fraud' and metrics.auc <= 0.85", ["x2"]),
        ("attributes.run_name LIKE 'x%'", ["x1", "x2", "x3"]),
        ("metrics.missing > 1", []),
        ("", ["x1", "x2", "l1", "x3"]),
    ],
)
def test_filters_select_the_runs_mlflow_would(expression, names):
    keep = matcher(expression)
    assert [r.name for r in RUNS if keep(r)] == names


@pytest.mark.parametrize("expression", ["auc > 0.9", "metrics.auc >> 1", "params.model = xgb", "metrics.auc = 'high'"])
def test_a_bad_filter_says_what_to_write(expression):
    with pytest.raises(InvalidFilter) as info:
        matcher(expression)
    assert str(info.value)
