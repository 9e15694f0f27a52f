"""The `[policy]` table gates approvals, headless and in the TUI, against the real MLflow server.

What the app did is checked on the server through REST and in the audit log it writes.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest

from mlops_tui.cli import main
from mlops_tui.config.loader import parse_settings
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.dialogs.approval import ApprovalDialog
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.screens.models import ModelsScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.mlflow.app_support import (
    SIZE,
    cursor_to_row,
    mlflow_backend,
    narrow,
    promotion_tags,
    seed_request,
    seed_versions,
    type_text,
    wait_for_text,
    wait_for_toast,
    wait_for_version,
)

HOLDER = {"auc": 0.875, "rmse": 2.0}
CANDIDATE = {"auc": 0.75, "rmse": 1.5}  # auc drops by 0.125: fails "auc >= holder - 0.005"
OVERRIDE = "mlops_tui.promotion.override"


def policy_toml(gates: list[str], *, break_glass: bool = True) -> str:
    return f"[policy]\ngates = {json.dumps(gates)}\nbreak_glass = {'true' if break_glass else 'false'}\n"


def write_config(tmp_path: Path, server, exp_name: str, policy: str) -> Path:
    config = tmp_path / "mlops.toml"
    config.write_text(
        policy
        + "\n[[backends]]\n"
        + f'name = "mlflow"\nkind = "mlflow"\nurl = "{server.url}"\n'
        + f'experiments = ["{exp_name}"]\ncache = false\n'
    )
    return config


def audit(isolated_dirs: Path) -> list[dict]:
    path = isolated_dirs / "data" / "mlops-tui" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def seed(server, model: str, exp_id: str) -> tuple[str, str]:
    v1, v2 = seed_versions(server, model, exp_id, [HOLDER, CANDIDATE])
    server.set_alias(model, "champion", v1)
    seed_request(server, model, v2, "carol", note="smaller rmse")
    return v1, v2


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- headless ---------------------------------------------------------------------------------------
def test_headless_a_failing_gate_blocks_and_an_override_with_a_reason_approves(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch, isolated_dirs
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)
    config = write_config(
        tmp_path, mlflow_server, exp_name, policy_toml(["auc >= holder - 0.005", "rmse <= holder * 1.02"])
    )
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")

    code, out, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")
    assert code == 1
    assert "FAIL  auc >= holder - 0.005  (0.7500 >= 0.8700 (v1: 0.8750; worse))" in out
    assert "pass  rmse <= holder * 1.02  (1.5000 <= 2.0400 (v1: 2.0000; better))" in out
    assert "policy: 1 check failed: auc >= holder - 0.005" in err and "override" in err
    assert mlflow_server.alias_version(model, "champion") == v1

    # an override needs a reason: blank is no reason
    code, _, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes", "--override", "  ")
    assert code == 1 and "needs an override reason" in err
    assert mlflow_server.alias_version(model, "champion") == v1

    code, out, err = cli(
        capsys,
        "--config",
        str(config),
        "promotions",
        "approve",
        model,
        v2,
        "--yes",
        "--override",
        "fraud spike, holder is leaking",
    )
    assert code == 0, err
    assert f"approved: {model} v{v2} is now champion (override: break-glass)" in out
    assert mlflow_server.alias_version(model, "champion") == v2
    tags = promotion_tags(mlflow_server, model, v2)
    assert tags[OVERRIDE] == "fraud spike, holder is leaking"
    assert tags["mlops_tui.promotion.decided_by"] == "bob"
    assert tags["mlops_tui.promotion.requester"] == "carol"

    entries = [e for e in audit(isolated_dirs) if e["action"] == "approve promotion"]
    assert [(e["outcome"], e["user"]) for e in entries] == [("refused", "bob"), ("refused", "bob"), ("ok", "bob")]
    assert entries[2]["detail"]["override"] == "fraud spike, holder is leaking"
    assert entries[2]["detail"]["failed_checks"] == ["auc >= holder - 0.005"]

    # the list marks the override
    code, out, _ = cli(capsys, "--config", str(config), "promotions", "list")
    row = next(line for line in out.splitlines() if line.startswith(model))
    assert "approved (OVERRIDE)" in row and "[override: fraud spike, holder is leaking]" in row
    code, out, _ = cli(capsys, "--config", str(config), "promotions", "list", "--json")
    (listed,) = [p for p in json.loads(out)["items"] if p["model"] == model]
    assert listed["override"] == "fraud spike, holder is leaking"


def test_headless_passing_gates_approve_and_break_glass_off_refuses_any_override(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch, isolated_dirs
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")

    strict = write_config(tmp_path, mlflow_server, exp_name, policy_toml(["auc >= 0.80"], break_glass=False))
    code, _, err = cli(
        capsys, "--config", str(strict), "promotions", "approve", model, v2, "--yes", "--override", "trust me"
    )
    assert code == 1 and "break-glass is off" in err
    assert mlflow_server.alias_version(model, "champion") == v1

    lenient = write_config(tmp_path, mlflow_server, exp_name, policy_toml(["rmse <= holder * 1.02", "auc >= 0.5"]))
    code, out, err = cli(capsys, "--config", str(lenient), "promotions", "approve", model, v2, "--yes")
    assert code == 0, err
    assert "pass  auc >= 0.5  (0.7500 >= 0.5000)" in out
    assert out.strip().endswith(f"approved: {model} v{v2} is now champion")
    assert mlflow_server.alias_version(model, "champion") == v2
    assert OVERRIDE not in promotion_tags(mlflow_server, model, v2)
    assert [e["outcome"] for e in audit(isolated_dirs) if e["action"] == "approve promotion"] == ["refused", "ok"]


def test_metrics_directions_from_the_config_mark_better_and_worse_in_the_comparison_and_the_gates(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch, isolated_dirs
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    gates = policy_toml(["rmse <= holder * 1.02"])
    by_name = write_config(tmp_path, mlflow_server, exp_name, gates)
    code, out, err = cli(capsys, "--config", str(by_name), "promotions", "approve", model, v2)
    assert code == 1 and "confirm with --yes" in err  # shown, not approved
    rmse = next(line for line in out.splitlines() if line.strip().startswith("rmse "))
    assert rmse.rstrip().endswith("candidate")  # by its name, a lower rmse is better
    assert "(v1: 2.0000; better)" in out

    # this team's "rmse" is a score where higher is better: [metrics] says so, and both marks follow
    flipped = write_config(tmp_path, mlflow_server, exp_name, gates + '\n[metrics]\nhigher_is_better = ["rmse"]\n')
    _, out, _ = cli(capsys, "--config", str(flipped), "promotions", "approve", model, v2)
    rmse = next(line for line in out.splitlines() if line.strip().startswith("rmse "))
    assert rmse.rstrip().endswith("champion"), rmse
    assert "pass  rmse <= holder * 1.02  (1.5000 <= 2.0400 (v1: 2.0000; worse))" in out
    assert mlflow_server.alias_version(model, "champion") == v1  # not confirmed: nothing moved


def test_a_gate_syntax_error_is_a_config_error_with_exit_2(tmp_path, capsys, mlflow_server):
    config = write_config(tmp_path, mlflow_server, "x", policy_toml(["auc >= holdr - 0.005"]))
    code, out, err = cli(capsys, "--config", str(config), "promotions", "list")
    assert code == 2 and out == ""
    assert "policy.gates (line 2)" in err and "'auc >= holdr - 0.005'" in err
    assert "Traceback" not in err


# -- the TUI ----------------------------------------------------------------------------------------
def policy_app(tmp_path: Path, server, exp_name: str, policy: str) -> MlopsApp:
    runtime = build_runtime(
        parse_settings(policy),
        backends=[mlflow_backend(server.url, [exp_name])],
        audit_path=tmp_path / "audit.jsonl",
    )
    return MlopsApp(runtime)


async def open_request(app, pilot, model: str, version: str) -> None:
    await wait_for_version(app, pilot, model, version)
    await wait_until(
        lambda: any(p.key == (model, version) for p in app.snapshot.pending_promotions),
        timeout=10,
        pilot=pilot,
    )
    await pilot.press("3")
    await pilot.pause()
    grid = app.screen.query_one("#requests", DataGrid)
    await narrow(pilot, model)
    await cursor_to_row(pilot, grid, lambda p: p.key == (model, version))


def audit_lines(tmp_path: Path) -> list[dict]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_tui_a_failing_gate_needs_an_override_reason_and_records_it(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    _v1, v2 = seed(mlflow_server, model, exp_id)
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    app = policy_app(tmp_path, mlflow_server, exp_name, policy_toml(["auc >= holder - 0.005"]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_request(app, pilot, model, v2)
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, ApprovalDialog), timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, "Policy checks")
        assert "× FAIL  auc >= holder - 0.005  (0.7500 >= 0.8700 (v1: 0.8750; worse))" in text
        assert "1 check failed: approving needs an override reason" in text
        await pilot.press("y")
        await wait_until(lambda: isinstance(app.screen, PromptDialog), timeout=5, pilot=pilot)
        await wait_for_text(app, pilot, "Override reason")
        await type_text(pilot, "holder leaks labels")
        await pilot.press("enter")
        words = await wait_for_toast(app, pilot, "Approved")
        assert "override: holder leaks labels" in words

    assert mlflow_server.alias_version(model, "champion") == v2
    assert promotion_tags(mlflow_server, model, v2)[OVERRIDE] == "holder leaks labels"
    (entry,) = audit_lines(tmp_path)
    assert (entry["outcome"], entry["detail"]["override"]) == ("ok", "holder leaks labels")


async def test_tui_a_failing_gate_without_break_glass_is_refused_before_the_dialog(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)
    before = promotion_tags(mlflow_server, model, v2)
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    app = policy_app(tmp_path, mlflow_server, exp_name, policy_toml(["auc >= 0.80"], break_glass=False))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_request(app, pilot, model, v2)
        await pilot.press("a")
        words = await wait_for_toast(app, pilot, "Not approved")
        assert "auc >= 0.80 (0.7500 >= 0.8000)" in words and "break-glass is off" in words
        assert isinstance(app.screen, ModelsScreen)
        assert not any(isinstance(s, ApprovalDialog) for s in app.screen_stack)

    assert mlflow_server.alias_version(model, "champion") == v1
    assert promotion_tags(mlflow_server, model, v2) == before
    assert [e["outcome"] for e in audit_lines(tmp_path)] == ["refused"]


# -- two approvers ----------------------------------------------------------------------------------
def test_two_approvers_the_first_is_recorded_the_second_distinct_one_moves_the_alias(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch, isolated_dirs
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)
    # the override applies by glob: every test model is called model-<hex>
    config = write_config(
        tmp_path, mlflow_server, exp_name, '[policy]\napprovers = 1\n\n[policy.models."model-*"]\napprovers = 2\n'
    )

    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    code, out, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")
    assert code == 0, err
    assert "approved: approval 1 of 2 recorded (bob); champion moves when 1 more approve" in out
    assert mlflow_server.alias_version(model, "champion") == v1  # not yet
    tags = promotion_tags(mlflow_server, model, v2)
    assert tags["mlops_tui.promotion.approvals"].startswith("bob@")
    assert "mlops_tui.promotion.state" not in tags  # still pending

    code, _, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")
    assert code == 1 and "bob already approved this request" in err  # one person, one approval
    assert mlflow_server.alias_version(model, "champion") == v1

    monkeypatch.setenv("MLOPS_TUI_USER", "dave")
    code, out, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")
    assert code == 0, err
    assert f"approved: {model} v{v2} is now champion" in out
    assert mlflow_server.alias_version(model, "champion") == v2
    tags = promotion_tags(mlflow_server, model, v2)
    assert [e.split("@")[0] for e in tags["mlops_tui.promotion.approvals"].split(",")] == ["bob", "dave"]
    assert tags["mlops_tui.promotion.decided_by"] == "dave"

    code, out, _ = cli(capsys, "--config", str(config), "promotions", "list")
    row = next(line for line in out.splitlines() if line.startswith(model))
    assert "approved" in row and "bob, dave" in row
    approvals = [e for e in audit(isolated_dirs) if e["action"] == "approve promotion"]
    assert [(e["user"], e["outcome"], e["detail"].get("approval")) for e in approvals] == [
        ("bob", "ok", "1 of 2"),
        ("bob", "refused", None),
        ("dave", "ok", None),
    ]
    assert approvals[2]["detail"]["approvals"] == ["bob", "dave"]


# -- duplicate requests -----------------------------------------------------------------------------
def test_a_second_request_for_a_pending_version_is_refused_naming_the_first(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch, isolated_dirs
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    _v1, v2 = seed(mlflow_server, model, exp_id)  # carol's request for v2 is pending
    before = promotion_tags(mlflow_server, model, v2)
    config = write_config(tmp_path, mlflow_server, exp_name, "")
    monkeypatch.setenv("MLOPS_TUI_USER", "dave")
    code, _, err = cli(capsys, "--config", str(config), "promotions", "request", model, v2, "--note", "me too")
    assert code == 1
    assert f"{model} v{v2} already has a pending request for champion, by carol" in err
    assert promotion_tags(mlflow_server, model, v2) == before  # carol's request, untouched
    (entry,) = audit(isolated_dirs)
    assert (entry["action"], entry["outcome"], entry["user"]) == ("request promotion", "refused", "dave")
    assert "carol" in entry["detail"]["reason"]


async def test_the_backend_refuses_a_request_over_a_pending_one_it_was_not_shown(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend
):
    """The server's tags are re-read before writing: a request another client made since the
    last poll is not overwritten."""
    from datetime import datetime

    from mlops_tui.backends.errors import PromotionConflict
    from mlops_tui.domain import PromotionRequest

    model = mlflow_model_name
    _v1, v2 = seed(mlflow_server, model, mlflow_experiment[0])
    backend = make_backend()
    await backend.open()
    mine = PromotionRequest(
        model=model,
        version=v2,
        target="champion",
        requester="dave",
        requested_at=datetime.now(UTC),
        backend="mlflow",
    )
    with pytest.raises(PromotionConflict, match="by carol at 2026-01-05T09:00:00Z"):
        await backend.request_promotion(mine)
    assert promotion_tags(mlflow_server, model, v2)["mlops_tui.promotion.requester"] == "carol"


# -- who held an alias when -------------------------------------------------------------------------
def test_models_history_after_three_promotions_one_outside_mlops_tui_and_at(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2, v3, v4 = seed_versions(mlflow_server, model, exp_id, [HOLDER, HOLDER, HOLDER, HOLDER])
    mlflow_server.set_alias(model, "champion", v1)
    config = write_config(tmp_path, mlflow_server, exp_name, "")
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")

    seed_request(mlflow_server, model, v2, "carol", note="first")
    assert cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")[0] == 0
    # someone moves the alias with MLflow's own REST API, outside mlops-tui
    mlflow_server.set_alias(model, "champion", v3)
    seed_request(mlflow_server, model, v4, "erin", note="third")
    assert cli(capsys, "--config", str(config), "promotions", "approve", model, v4, "--yes")[0] == 0

    code, out, err = cli(capsys, "--config", str(config), "models", "history", model, "--json")
    assert code == 0, err
    history = json.loads(out)
    assert [(h["version"], h["outside_mlops_tui"]) for h in history] == [
        (v1, True),
        (v2, False),
        (v3, True),
        (v4, False),
    ]
    t2, t4 = history[1]["at"], history[3]["at"]
    assert t2 < t4
    assert (history[1]["requester"], history[1]["approvers"]) == ("carol", ["bob"])
    assert (history[3]["requester"], history[3]["approvers"]) == ("erin", ["bob"])
    assert history[3]["checks"] == "2 passed, 0 failed"  # READY and FINISHED, the default policy
    assert (history[2]["after"], history[2]["before"]) == (t2, t4)  # v3's move: only between

    code, out, _ = cli(capsys, "--config", str(config), "models", "history", model)
    rows = out.splitlines()[1:]
    assert rows[2].startswith(f"v{v3}") and "moved outside mlops-tui" in rows[2]
    assert rows[1].startswith(f"v{v2}") and "carol" in rows[1] and "bob" in rows[1]

    from datetime import datetime, timedelta

    after_t4 = (datetime.fromisoformat(t4) + timedelta(seconds=1)).isoformat()
    code, out, _ = cli(capsys, "--config", str(config), "models", "history", model, "--at", after_t4)
    assert code == 0 and out.strip().endswith(f": v{v4}")
    code, out, _ = cli(capsys, "--config", str(config), "models", "history", model, "--at", t2)
    # right after v2's approval v3 may already hold it: the answer says how unsure it is
    assert out.strip().endswith(
        f": v{v3} (uncertain: v{v3} was moved outside mlops-tui at an unknown time after {t2}, "
        f"before {t4}; before that v{v2})"
    )
    code, out, err = cli(capsys, "--config", str(config), "models", "history", model, "--at", "yesterday")
    assert code == 1 and "is not a time" in err


# -- rollback is a request --------------------------------------------------------------------------
async def test_the_version_detail_shows_the_alias_history_with_moves_outside_mlops_tui(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch, make_backend
):
    from datetime import datetime

    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2, v3 = seed_versions(mlflow_server, model, exp_id, [HOLDER, HOLDER, HOLDER])
    mlflow_server.set_alias(model, "champion", v1)
    seed_request(mlflow_server, model, v2, "carol", note="better recall")
    backend = make_backend()
    await backend.open()
    (request,) = [p for p in await backend.list_promotions() if p.model == model]
    await backend.approve_promotion(request, "bob", datetime.now(UTC))
    mlflow_server.set_alias(model, "champion", v3)  # with MLflow's own API, outside mlops-tui

    monkeypatch.setenv("MLOPS_TUI_USER", "dave")
    app = policy_app(tmp_path, mlflow_server, exp_name, "")
    async with app.run_test(size=(160, 80)) as pilot:
        await wait_for_version(app, pilot, model, v3)
        app.open_version(model, v2)
        text = await wait_for_text(app, pilot, "Alias history")
        text = await wait_for_text(app, pilot, "moved outside mlops-tui")
    rows = [line for line in text.splitlines() if "champion" in line and " v" in line]
    assert len(rows) == 3, text
    assert f"v{v1}" in rows[0] and "moved outside mlops-tui" in rows[0]  # before the app saw it
    assert f"v{v2} ◄" in rows[1] and "carol" in rows[1] and "bob" in rows[1]
    assert f"v{v3}" in rows[2] and "moved outside mlops-tui" in rows[2] and "now" in rows[2]


def test_a_rollback_is_an_urgent_request_approved_end_to_end_and_the_history_keeps_everything(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2, v3 = seed_versions(mlflow_server, model, exp_id, [HOLDER, HOLDER, HOLDER])
    mlflow_server.set_alias(model, "champion", v1)
    config = write_config(tmp_path, mlflow_server, exp_name, "")
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    for version in (v2, v3):
        seed_request(mlflow_server, model, version, "carol")
        assert cli(capsys, "--config", str(config), "promotions", "approve", model, version, "--yes")[0] == 0
    assert mlflow_server.alias_version(model, "champion") == v3

    monkeypatch.setenv("MLOPS_TUI_USER", "dave")
    code, out, err = cli(
        capsys,
        "--config",
        str(config),
        "promotions",
        "rollback",
        model,
        "--reason",
        "drift alert FraudScoreDrift firing",
    )
    assert code == 0, err
    assert f"rollback requested: {model} v{v2} -> champion (urgent); it needs an approval" in out
    assert mlflow_server.alias_version(model, "champion") == v3  # a request: nothing moved yet
    tags = promotion_tags(mlflow_server, model, v2)
    assert tags["mlops_tui.promotion.note"] == "rollback: drift alert FraudScoreDrift firing"
    assert tags["mlops_tui.promotion.requester"] == "dave"

    # the rollback sorts first among the pending requests, before an older ordinary one
    seed_request(mlflow_server, model, v1, "carol", note="ordinary")  # requested in January
    code, out, _ = cli(capsys, "--config", str(config), "promotions", "list", "--pending")
    pending = [line for line in out.splitlines()[1:] if line.startswith(model)]
    assert len(pending) == 2
    assert pending[0].startswith(f"{model}  {v2} ") and "rollback:" in pending[0]
    assert pending[1].startswith(f"{model}  {v1} ") and "ordinary" in pending[1]

    # the same policy: dave cannot approve his own rollback; bob can
    code, _, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")
    assert code == 1 and "four-eyes" in err
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    code, out, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")
    assert code == 0, err
    assert mlflow_server.alias_version(model, "champion") == v2

    code, out, _ = cli(capsys, "--config", str(config), "models", "history", model, "--json")
    history = json.loads(out)
    assert [(h["version"], h["outside_mlops_tui"], h["rollback"]) for h in history] == [
        (v1, True, False),
        (v2, False, False),
        (v3, False, False),
        (v2, False, True),
    ]  # v2's first approval survived its second request (archived in its tags)
    assert (history[3]["requester"], history[3]["approvers"]) == ("dave", ["bob"])
    assert (history[1]["requester"], history[1]["approvers"]) == ("carol", ["bob"])


def test_a_policy_may_let_rollbacks_to_a_previous_holder_go_without_approval(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)
    config = write_config(tmp_path, mlflow_server, exp_name, "[policy]\nrollback_needs_approval = false\n")
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    assert cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")[0] == 0
    code, out, err = cli(capsys, "--config", str(config), "promotions", "rollback", model, "--reason", "latency")
    assert code == 0, err
    assert "rolled back without approval (the policy allows it)" in out
    assert mlflow_server.alias_version(model, "champion") == v1
    tags = promotion_tags(mlflow_server, model, v1)
    assert (tags["mlops_tui.promotion.requester"], tags["mlops_tui.promotion.decided_by"]) == ("bob", "bob")


def test_doctor_reports_a_gate_metric_no_version_has(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    seed(mlflow_server, model, exp_id)  # runs with auc and rmse
    config = write_config(tmp_path, mlflow_server, exp_name, '[policy]\ngates = ["auc >= 0.5", "acurracy >= holder"]\n')
    _code, out, _err = cli(capsys, "doctor", "--config", str(config), "--json")
    report = json.loads(out)
    assert report["policy"] == ["gate metric 'acurracy' is on no registered version's source run (a typo?)"]
    _code, out, _err = cli(capsys, "doctor", "--config", str(config))
    assert "policy: gate metric 'acurracy' is on no registered version's source run" in out
    assert "'auc'" not in out


async def test_tui_R_on_a_models_versions_proposes_the_rollback_to_the_previous_holder(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch, make_backend
):
    from datetime import datetime

    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)  # v1 champion, carol asks for v2
    backend = make_backend()
    await backend.open()
    (request,) = [p for p in await backend.list_promotions() if p.model == model]
    await backend.approve_promotion(request, "bob", datetime.now(UTC))
    assert mlflow_server.alias_version(model, "champion") == v2

    monkeypatch.setenv("MLOPS_TUI_USER", "dave")
    app = policy_app(tmp_path, mlflow_server, exp_name, "")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_version(app, pilot, model, v2)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("tab")
        versions = app.screen.query_one("#versions", DataGrid)
        await narrow(pilot, model)
        await cursor_to_row(pilot, versions, lambda v: v.key == (model, v2))
        await pilot.press("R")
        await wait_until(lambda: isinstance(app.screen, PromptDialog), timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, "Propose rollback")
        assert f"back from v{v2} to v{v1}" in text
        await type_text(pilot, "alert FraudScoreDrift")
        await pilot.press("enter")
        words = await wait_for_toast(app, pilot, "Rollback")
        assert f"rollback requested: {model} v{v1} -> champion (urgent)" in words

    assert mlflow_server.alias_version(model, "champion") == v2  # a request, not a move
    tags = promotion_tags(mlflow_server, model, v1)
    assert tags["mlops_tui.promotion.note"] == "rollback: alert FraudScoreDrift"
    assert tags["mlops_tui.promotion.requester"] == "dave"
    assert [(e["action"], e["outcome"]) for e in audit_lines(tmp_path)] == [("request promotion", "ok")]


def test_two_pending_requests_for_one_target_are_both_listed_and_approving_one_supersedes_the_other(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2, v3 = seed_versions(mlflow_server, model, exp_id, [HOLDER, HOLDER, HOLDER])
    mlflow_server.set_alias(model, "champion", v1)
    seed_request(mlflow_server, model, v2, "carol")
    seed_request(mlflow_server, model, v3, "erin")
    config = write_config(tmp_path, mlflow_server, exp_name, "")
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    _code, out, _ = cli(capsys, "--config", str(config), "promotions", "list", "--pending")
    rows = [line for line in out.splitlines() if line.startswith(model)]
    assert sorted(r.split()[1] for r in rows) == sorted([v2, v3]) and all("pending" in r for r in rows)

    assert cli(capsys, "--config", str(config), "promotions", "approve", model, v3, "--yes")[0] == 0
    _code, out, _ = cli(capsys, "--config", str(config), "promotions", "list")
    (row,) = [line for line in out.splitlines() if line.startswith(f"{model}  {v2} ")]
    assert f"pending (superseded by v{v3})" in row
