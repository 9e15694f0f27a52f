"""The comparison service with values written by hand: rows, differences only, best marks,
the config's per-metric override, Markdown and JSON export, downsampling."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from mlops_tui.config.loader import parse_settings
from mlops_tui.core.errors import ConfigError
from mlops_tui.domain import LoggedModel, ModelVersion, Run, RunStatus
from mlops_tui.services import compare as cmp
from mlops_tui.services.policy import MetricComparison

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def run(
    run_id: str,
    name: str,
    *,
    params=None,
    metrics=None,
    tags=None,
    minutes: float = 10,
    status: RunStatus = RunStatus.FINISHED,
) -> Run:
    return Run(
        id=run_id,
        experiment_id="1",
        name=name,
        status=status,
        start_time=T0,
        end_time=T0 + timedelta(minutes=minutes),
        user="ana",
        params=params or {},
        metrics=metrics or {},
        tags=tags or {},
        backend="mlflow",
    )


A = run(
    "a" * 32,
    "xgb-small",
    params={"model": "xgb", "depth": "4", "seed": "1"},
    metrics={"auc": 0.91, "rmse": 0.30, "loss": 0.5},
    tags={"team": "fraud"},
)
B = run(
    "b" * 32,
    "xgb-deep",
    params={"model": "xgb", "depth": "8", "seed": "1"},
    metrics={"auc": 0.93, "rmse": 0.35, "loss": 0.5},
    tags={"team": "fraud", "note": "deep"},
    minutes=25,
)
C = run(
    "c" * 32,
    "lgbm",
    params={"model": "lgbm", "seed": "1", "leaves": "31"},
    metrics={"auc": 0.89, "rmse": 0.28},
    tags={"team": "fraud"},
)


def rows_by_key(comparison: cmp.Comparison, differences_only: bool = False):
    return {(r.group, r.key): r for r in comparison.shown(differences_only)}


def test_rows_cover_params_metrics_tags_and_attributes_of_every_run():
    c = cmp.compare([cmp.run_subject(A), cmp.run_subject(B), cmp.run_subject(C)])
    rows = rows_by_key(c)
    assert [s.label for s in c.subjects] == ["xgb-small", "xgb-deep", "lgbm"]
    assert rows[("params", "depth")].cells == ("4", "8", "-")  # missing is "-", not ""
    assert rows[("params", "leaves")].values == (None, None, "31")
    assert rows[("metrics", "auc")].values == (0.91, 0.93, 0.89)
    assert rows[("tags", "note")].cells == ("-", "deep", "-")
    assert rows[("attributes", "status")].cells == ("FINISHED",) * 3
    assert rows[("attributes", "duration")].cells == ("10m00s", "25m00s", "10m00s")
    assert rows[("attributes", "start")].cells == ("2026-11-01 12:00:00Z",) * 3
    # grouped in the order the screen shows them
    groups = [r.group for r in c.rows]
    assert groups == sorted(groups, key=cmp.GROUPS.index)


def test_differences_only_hides_the_rows_where_all_runs_agree():
    c = cmp.compare([cmp.run_subject(A), cmp.run_subject(B), cmp.run_subject(C)])
    differing = rows_by_key(c, differences_only=True)
    everything = rows_by_key(c, differences_only=False)
    assert ("params", "seed") in everything and ("params", "seed") not in differing
    assert ("tags", "team") not in differing
    assert ("attributes", "status") not in differing
    assert ("params", "depth") in differing and ("params", "leaves") in differing
    # a value missing from one run is a difference, even when the others agree
    assert ("metrics", "loss") in differing
    assert ("attributes", "duration") in differing
    assert len(c.rows) > len(c.differing)


def test_best_marks_follow_the_approval_rule_for_higher_and_lower_is_better():
    c = cmp.compare([cmp.run_subject(A), cmp.run_subject(B), cmp.run_subject(C)])
    rows = rows_by_key(c)
    auc, rmse = rows[("metrics", "auc")], rows[("metrics", "rmse")]
    assert auc.lower_is_better is False and auc.best == (1,)
    assert auc.cells[1] == f"0.93 {cmp.BEST}" and cmp.BEST not in auc.cells[0]
    assert rmse.lower_is_better is True and rmse.best == (2,)
    assert rmse.label == f"rmse {cmp.LOWER}" and auc.label == f"auc {cmp.HIGHER}"
    # the approval dialog's own comparison agrees on what "better" means
    assert MetricComparison("rmse", 0.28, 0.30).better == "candidate"
    assert MetricComparison("auc", 0.93, 0.91).better == "candidate"


def test_a_tie_or_a_single_value_marks_nothing():
    c = cmp.compare([cmp.run_subject(A), cmp.run_subject(B), cmp.run_subject(C)])
    loss = rows_by_key(c)[("metrics", "loss")]  # 0.5, 0.5, missing
    assert loss.best == () and cmp.BEST not in "".join(loss.cells)
    assert cmp.best_indices([0.4, None], lower_is_better=True) == ()
    assert cmp.best_indices([math.nan, 0.2, 0.3], lower_is_better=True) == (1,)
    assert cmp.best_indices([0.9, 0.9, 0.8], lower_is_better=False) == (0, 1)


def test_the_config_overrides_the_direction_per_metric():
    x = run("x" * 32, "x", metrics={"auc": 0.9, "rmse": 0.2, "coverage_gap": 0.1})
    y = run("y" * 32, "y", metrics={"auc": 0.8, "rmse": 0.4, "coverage_gap": 0.3})
    subjects = [cmp.run_subject(x), cmp.run_subject(y)]
    plain = rows_by_key(cmp.compare(subjects))
    assert plain[("metrics", "coverage_gap")].best == (1,)  # no rule word: higher is better
    settings = parse_settings('[metrics]\nlower_is_better = ["coverage_gap"]\nhigher_is_better = ["rmse"]\n')
    directions = cmp.MetricDirections.from_settings(settings)
    rows = rows_by_key(cmp.compare(subjects, directions))
    assert rows[("metrics", "coverage_gap")].best == (0,)
    assert rows[("metrics", "rmse")].best == (1,) and rows[("metrics", "rmse")].lower_is_better is False
    assert rows[("metrics", "auc")].best == (0,)  # not named: the approval rule


@pytest.mark.parametrize(
    "toml, words",
    [
        ('[metrics]\nlower_is_better = "rmse"\n', "must be a list"),
        ('[metrics]\nlower = ["rmse"]\n', "unknown key: 'lower'"),
        ('[metrics]\nlower_is_better = ["a"]\nhigher_is_better = ["a"]\n', "cannot be both"),
    ],
)
def test_a_wrong_metrics_setting_is_explained(toml, words):
    with pytest.raises(ConfigError) as err:
        parse_settings(toml)
    assert words in str(err.value)


def test_no_config_means_the_approval_rule_only():
    assert cmp.MetricDirections.from_settings(None).lower_is_better("val_loss") is True
    assert cmp.MetricDirections.from_settings(parse_settings("")).lower_is_better("f1") is False


def test_markdown_export_is_a_table_of_the_shown_rows():
    c = cmp.compare([cmp.run_subject(A), cmp.run_subject(B)])
    md = cmp.to_markdown(c, differences_only=True)
    lines = md.splitlines()
    assert lines[0] == "|  | xgb-small | xgb-deep |"
    assert lines[1] == "|---|---|---|"
    assert "| **params** | | |" in lines
    assert "| depth | 4 | 8 |" in lines
    assert f"| auc {cmp.HIGHER} | 0.91 | 0.93 {cmp.BEST} |" in lines
    assert not any(line.startswith("| seed ") for line in lines)
    assert "| seed | 1 | 1 |" in cmp.to_markdown(c, differences_only=False).splitlines()


def test_markdown_cells_cannot_break_the_table():
    weird = run("w" * 32, "a|b", params={"p": "x|y\x1b[2J"})
    other = run("v" * 32, "plain", params={"p": "z"})
    md = cmp.to_markdown(cmp.compare([cmp.run_subject(weird), cmp.run_subject(other)]))
    assert "a\\|b" in md and "x\\|y\\x1b[2J" in md and "\x1b" not in md


def test_json_names_columns_values_and_best():
    c = cmp.compare([cmp.run_subject(A), cmp.run_subject(C)])
    data = cmp.to_json(c, differences_only=True)
    assert [col["key"] for col in data["columns"]] == [A.id, C.id]
    rmse = next(r for r in data["rows"] if r["key"] == "rmse")
    assert rmse == {
        "group": "metrics",
        "key": "rmse",
        "values": {A.id: 0.30, C.id: 0.28},
        "differs": True,
        "better": "lower",
        "best": [C.id],
    }
    assert not any(r["key"] == "seed" for r in data["rows"])
    assert any(r["key"] == "seed" for r in cmp.to_json(c, differences_only=False)["rows"])


def test_runs_of_one_name_get_columns_told_apart():
    c = cmp.compare([cmp.run_subject(run("1" * 32, "same")), cmp.run_subject(run("2" * 32, "same"))])
    assert [s.label for s in c.subjects] == ["same (11111111)", "same (22222222)"]


def test_count_limits():
    with pytest.raises(cmp.CompareRefused, match="at least 2"):
        cmp.check_count(1)
    with pytest.raises(cmp.CompareRefused, match="at most 8"):
        cmp.check_count(9)
    cmp.check_count(2)
    cmp.check_count(8)


def test_versions_take_their_source_runs_values_and_logged_model_metrics():
    v1 = ModelVersion(model="fraud", version="1", run_id=A.id)
    v2 = ModelVersion(model="fraud", version="2", run_id=B.id, aliases=("champion",))
    v3 = ModelVersion(model="fraud", version="3", run_id=C.id, model_id="m-123")
    logged = LoggedModel(id="m-123", params={"calibrated": "yes"}, metrics={"auc": 0.95})
    c = cmp.compare(
        [
            cmp.version_subject(v1, A),
            cmp.version_subject(v2, B),
            cmp.version_subject(v3, C, logged),
        ]
    )
    assert [s.label for s in c.subjects] == ["v1", "v2 @champion", "v3"]
    rows = rows_by_key(c)
    assert rows[("metrics", "auc")].values == (0.91, 0.93, 0.95)  # the logged model's own
    assert rows[("metrics", "auc")].best == (2,)
    assert rows[("metrics", "rmse")].values == (0.30, 0.35, 0.28)  # from the source run
    assert rows[("params", "calibrated")].values == (None, None, "yes")
    assert rows[("attributes", "aliases")].cells == ("-", "champion", "-")
    assert rows[("attributes", "logged model")].cells == ("-", "-", "m-123")
    assert cmp.across_versions(c, "auc") == ([1.0, 2.0, 3.0], [0.91, 0.93, 0.95], ["v1", "v2 @champion", "v3"])


def test_a_version_whose_run_is_not_loaded_says_so():
    v = ModelVersion(model="fraud", version="4", run_id="gone")
    subject = cmp.version_subject(v, None)
    assert subject.attributes["source run"] == "gone (not loaded)"
    assert subject.metrics == {}


def test_metric_text_keeps_the_digits_that_differ():
    assert cmp.metric_text(0.91234) == "0.91234" and cmp.metric_text(0.91236) == "0.91236"
    assert cmp.metric_text(3.0) == "3"
    assert cmp.metric_text(None) == "-"
    assert cmp.metric_text(math.nan) == "nan"


def test_downsample_never_gives_more_points_than_the_width_and_keeps_spikes():
    xs = list(range(10_000))
    ys = [0.0] * 10_000
    ys[5_001] = 9.0  # one spike
    dx, dy = cmp.downsample(xs, ys, 150)
    assert len(dx) == len(dy) <= 150
    assert 9.0 in dy
    assert dx == sorted(dx)
    assert cmp.downsample([1, 2, 3], [4, 5, 6], 150) == ([1, 2, 3], [4, 5, 6])
