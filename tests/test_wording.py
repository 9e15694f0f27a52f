"""One way of saying each thing (issue #14, wording): counts, ages, drift scores, stages, the
promotion target, and README examples that find something in the demo world."""

from __future__ import annotations

import io
import json
import re
import tokenize
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mlops_tui.cli import main
from mlops_tui.core.paths import audit_log_path
from mlops_tui.core.wording import ago, any_stage, drift_score_text, plural
from mlops_tui.domain import DriftScore, ModelVersion
from mlops_tui.ui.dialogs.prompt import missing_words
from mlops_tui.ui.scenes import frozen_clock

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mlops_tui"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

NOT_YET: set[str] = set()  # a file may be listed here only while a change to it is under way


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- counts ------------------------------------------------------------------------------------
def test_counts_say_one_or_many_never_s_in_brackets():
    assert plural(1, "alert") == "1 alert"
    assert plural(3, "alert") == "3 alerts"
    assert plural(0, "alert") == "0 alerts"
    assert plural(2, "policy check") == "2 policy checks"
    assert plural(2, "match") == "2 matches"


def test_no_string_in_the_package_says_word_s_in_brackets():
    """`alert(s)`, `check(s)`: every text a user reads goes through plural()."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if str(path.relative_to(PACKAGE)) in NOT_YET:
            continue
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for tok in tokens:
            if tok.type == tokenize.STRING and re.search(r"[A-Za-z]\(s\)", tok.string):
                found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {tok.string[:70]}")
    assert not found, "\n".join(found)


# -- ages -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "just now"),
        (0.4, "just now"),
        (42, "42s ago"),
        (3 * 60 + 59, "3m ago"),
        (20 * 3600 + 59 * 60, "20h ago"),  # one unit: never "20h59m ago"
        (2 * 86400 + 7 * 3600, "2d ago"),
        (-5 * 60, "in 5m"),
    ],
)
def test_an_age_is_one_unit(seconds, words):
    assert ago(NOW - timedelta(seconds=seconds), NOW) == words


def test_the_ui_and_headless_output_share_the_one_ago():
    from mlops_tui.services.triage import since
    from mlops_tui.ui import format as ui_format

    assert ui_format.ago is ago
    when = NOW - timedelta(hours=20, minutes=7)
    assert since(when, NOW) == ui_format.ago(when, NOW) == "20h ago"


# -- prompts ----------------------------------------------------------------------------------------
def test_a_missing_field_is_said_once():
    assert missing_words(["Reason"]) == "Reason is required"
    assert missing_words(["Duration", "Comment"]) == "Duration and Comment are required"


# -- drift ------------------------------------------------------------------------------------------
def score(value: float, threshold: float, higher_is_drift: bool) -> DriftScore:
    return DriftScore(
        model="m", feature="f", score=value, threshold=threshold, higher_is_drift=higher_is_drift, time=NOW
    )


@pytest.mark.parametrize(
    ("value", "threshold", "higher", "words"),
    [
        (0.0353, 0.05, False, "p 0.035 < 0.05"),  # a p-value drifts below its threshold
        (0.41, 0.05, False, "p 0.41 ≥ 0.05"),
        (0.31, 0.2, True, "dist 0.31 > 0.2"),  # a distance drifts above it
        (0.12, 0.2, True, "dist 0.12 ≤ 0.2"),
        (float("inf"), 0.2, True, "dist +Inf > 0.2"),
        (float("nan"), 0.2, True, "no value"),
    ],
)
def test_a_drift_score_says_its_kind_and_which_way_it_drifts(value, threshold, higher, words):
    assert drift_score_text(score(value, threshold, higher)) == words


def test_drift_list_prints_p_values_and_distances_with_their_direction(capsys):
    # the demo world stopped at the screenshots' moment, which has drift: a live demo world drifts and
    # recovers with the clock, and some minutes have no drifted feature at all (it failed CI at one)
    with frozen_clock():
        drift_list_prints_p_values_and_distances_with_their_direction(capsys)


def drift_list_prints_p_values_and_distances_with_their_direction(capsys):
    code, out, err = run_cli(capsys, "drift", "list")
    assert code == 0, err
    header, *rows = out.strip().splitlines()
    assert "score vs threshold" in header and rows
    for row in rows:
        assert re.search(r"\b(p \S+ [<≥]|dist \S+ [>≤]) \S+|no value", row), row
    assert any(" p " in r for r in rows) and any(" dist " in r for r in rows)  # the demo has both kinds

    code, out, _ = run_cli(capsys, "drift", "list", "--drifted", "--json")
    items = json.loads(out)["items"]
    assert code == 0 and items and all(i["verdict"] == "drift" for i in items)
    assert all(re.fullmatch(r"(p \S+ <|dist \S+ >) \S+", i["shown"]) for i in items)


# -- stages -------------------------------------------------------------------------------------------
def version(stage: str) -> ModelVersion:
    return ModelVersion(model="m", version="1", stage=stage, created=NOW)


def test_a_stage_column_only_when_some_version_has_a_stage():
    assert not any_stage([version("None"), version("")])
    assert any_stage([version("None"), version("Production")])


def test_the_models_view_shows_stage_only_when_a_version_has_one():
    from mlops_tui.services.snapshot import Snapshot
    from mlops_tui.ui.columns import version_columns

    def keys(*stages: str) -> list[str]:
        versions = tuple(version(s).model_copy(update={"version": str(i)}) for i, s in enumerate(stages))
        return [c.key for c in version_columns(Snapshot(versions=versions))]

    assert "stage" not in keys("None", "None")  # MLflow 2+ aliases
    assert "stage" in keys("None", "Production")  # a team still on stages


def test_models_list_drops_the_stage_column_in_an_aliases_world(capsys):
    code, out, err = run_cli(capsys, "models", "list")
    assert code == 0, err
    header = out.splitlines()[0].split()
    assert header[:3] == ["model", "version", "aliases"] and "stage" not in header
    assert " None " not in out


# -- promotions ------------------------------------------------------------------------------------------
def test_promotions_request_names_the_target_it_chose(capsys, monkeypatch):
    """Without --to the backend picks the alias; the output names it, as the audit log does."""
    monkeypatch.setenv("MLOPS_TUI_USER", "dana")
    code, out, err = run_cli(capsys, "promotions", "request", "churn-lgbm", "3", "--note", "try it")
    assert code == 0, err
    assert "default target" not in out
    entry = json.loads(audit_log_path(demo=True).read_text().splitlines()[-1])
    assert entry["action"] == "request promotion" and entry["target"].startswith("churn-lgbm v3 -> ")
    assert out.strip() == f"requested {entry['target']}"  # e.g. "requested churn-lgbm v3 -> champion"


# -- the README's example queries ----------------------------------------------------------------------
def readme_queries() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    spans = re.findall(r"`([^`\n]+)`|\"([^\"\n]+)\"", text)
    field = re.compile(r"^(metrics|params|tags|attributes)\.\S+\s*(=|!=|<|>|<=|>=|LIKE|ILIKE)\s", re.IGNORECASE)
    return sorted({q for pair in spans for q in pair if field.match(q)})


def test_the_readme_has_example_queries():
    assert readme_queries(), "no MLflow filter example found in the README"


@pytest.mark.parametrize("query", readme_queries())
def test_each_readme_query_finds_runs_in_the_demo(capsys, query):
    code, out, err = run_cli(capsys, "runs", "list", "--json", "--filter", query)
    assert code == 0, err
    assert json.loads(out)["items"], f"{query!r} finds no run in the demo world"
