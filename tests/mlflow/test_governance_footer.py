"""Keys the user may not use on the selected request are dimmed in the footer (Screen.check_action
returns None), `?` says why, and pressing one still says why (the refusal is audited). Real MLflow."""

from __future__ import annotations

from mlops_tui.ui.dialogs.approval import ApprovalDialog
from mlops_tui.ui.screens.models import ModelsScreen
from tests.conftest import wait_until
from tests.mlflow.app_support import (
    SIZE,
    audit_lines,
    cursor_to_row,
    promotion_tags,
    seed_request,
    wait_for_text,
    wait_for_toast,
)
from tests.mlflow.test_governance import HOLDER, open_request, policy_app, policy_toml, seed, seed_versions
from tests.ui.support import grid


def approve_enabled(app) -> bool:
    return app.screen.active_bindings["a"].enabled


async def help_line(app, pilot, words: str) -> str:
    await pilot.press("question_mark")
    text = await wait_for_text(app, pilot, words)
    await pilot.press("escape")
    await pilot.pause()
    return text


async def test_approve_is_dimmed_on_your_own_request_and_lit_on_someone_elses(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2, v3 = seed_versions(mlflow_server, model, exp_id, [HOLDER, HOLDER, HOLDER])
    mlflow_server.set_alias(model, "champion", v1)
    seed_request(mlflow_server, model, v2, "carol", note="mine")
    seed_request(mlflow_server, model, v3, "erin", note="hers")
    monkeypatch.setenv("MLOPS_TUI_USER", "carol")
    app = policy_app(tmp_path, mlflow_server, exp_name, "")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_request(app, pilot, model, v2)
        await wait_until(lambda: not approve_enabled(app), timeout=5, pilot=pilot)
        await help_line(app, pilot, "Approve (unavailable: four-eyes rule")

        requests = grid(app, "#requests")
        await cursor_to_row(pilot, requests, lambda p: p.key == (model, v3))
        await wait_until(lambda: approve_enabled(app), timeout=5, pilot=pilot)  # erin's: carol may

        await cursor_to_row(pilot, requests, lambda p: p.key == (model, v2))
        await wait_until(lambda: not approve_enabled(app), timeout=5, pilot=pilot)
        before = promotion_tags(mlflow_server, model, v2)
        await pilot.press("a")  # dimmed, yet pressed: it says why, before any dialog
        words = await wait_for_toast(app, pilot, "Not approved")
        assert "four-eyes" in words
        assert isinstance(app.screen, ModelsScreen)
        assert not any(isinstance(s, ApprovalDialog) for s in app.screen_stack)
    assert promotion_tags(mlflow_server, model, v2) == before
    assert [(e["action"], e["outcome"]) for e in audit_lines(tmp_path)] == [("approve promotion", "refused")]


async def test_approve_is_dimmed_when_a_check_fails_and_break_glass_is_off(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    _v1, v2 = seed(mlflow_server, model, exp_id)  # v2's auc drops: fails the gate
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    strict = policy_app(tmp_path, mlflow_server, exp_name, policy_toml(["auc >= holder - 0.005"], break_glass=False))
    async with strict.run_test(size=SIZE, notifications=True) as pilot:
        await open_request(strict, pilot, model, v2)
        await wait_until(lambda: not approve_enabled(strict), timeout=5, pilot=pilot)
        text = await help_line(strict, pilot, "Approve (unavailable: policy: 1 check")
        assert "auc >= holder - 0.005" in text

    lenient = policy_app(tmp_path, mlflow_server, exp_name, policy_toml(["auc >= holder - 0.005"]))
    async with lenient.run_test(size=SIZE, notifications=True) as pilot:
        await open_request(lenient, pilot, model, v2)
        await pilot.pause()
        assert approve_enabled(lenient)  # break-glass allowed: the dialog asks for a reason
