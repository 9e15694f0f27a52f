"""Promotions driven through the app with the keyboard, against a real MLflow server.

What the app did is checked on the server through REST (`mlflow_server.rest`), never through
the app's own snapshot, and in the audit log the app writes.
"""

from __future__ import annotations

import re

from mlops_tui.domain import PromotionState
from mlops_tui.ui.dialogs.approval import ApprovalDialog
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.format import number
from mlops_tui.ui.screens.models import ModelsScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.helpers import wait_for_writes
from tests.mlflow.app_support import (
    REQUEST_TAGS,
    SIZE,
    audit_lines,
    cursor_to_row,
    mlflow_app,
    mlflow_backend,
    narrow,
    promotion_tags,
    screen,
    seed_request,
    seed_versions,
    type_text,
    wait_for_text,
    wait_for_toast,
    wait_for_version,
)

CHAMPION_METRICS = {"auc": 0.81, "f1": 0.7, "logloss": 0.41}
CANDIDATE_METRICS = {"auc": 0.86, "f1": 0.72, "logloss": 0.38}


def seed(server, model: str, exp_id: str, versions: int = 2) -> list[str]:
    """v1 holds champion; v2 (and v3) are candidates with better metrics."""
    metrics = [CHAMPION_METRICS, CANDIDATE_METRICS, {"auc": 0.9, "f1": 0.75, "logloss": 0.35}]
    made = seed_versions(server, model, exp_id, metrics[:versions])
    server.set_alias(model, "champion", made[0])
    return made


def requests_grid(app) -> DataGrid:
    return app.screen.query_one("#requests", DataGrid)


async def open_models_at_request(app, pilot, model: str, version: str) -> DataGrid:
    """`3`, then narrow the requests list to the model and put the cursor on its request."""
    await wait_for_version(app, pilot, model, version)
    await wait_until(
        lambda: any(p.key == (model, version) for p in app.snapshot.pending_promotions),
        timeout=10,
        pilot=pilot,
    )
    await pilot.press("3")
    await pilot.pause()
    assert isinstance(app.screen, ModelsScreen)
    grid = requests_grid(app)
    assert grid.has_focus
    await narrow(pilot, model)
    await cursor_to_row(pilot, grid, lambda p: p.key == (model, version))
    return grid


async def test_carol_requests_and_bob_approves_through_the_keyboard(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)

    # -- carol asks for v2 to become champion ----------------------------------------------
    monkeypatch.setenv("MLOPS_TUI_USER", "carol")
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_version(app, pilot, model, v2)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("tab")  # the versions list
        versions = app.screen.query_one("#versions", DataGrid)
        assert versions.has_focus
        await narrow(pilot, model)
        await cursor_to_row(pilot, versions, lambda v: v.key == (model, v2))
        await pilot.press("p")
        await wait_until(lambda: isinstance(app.screen, PromptDialog), timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, f"Request promotion of {model} v{v2}")
        assert "Target alias" in text and "champion" in text
        await pilot.press("enter")  # keep the target, on to the note
        await type_text(pilot, "better auc")
        await pilot.press("enter")
        words = await wait_for_toast(app, pilot, "Requested")
        assert f"{model} v{v2} → champion" in words

    tags = promotion_tags(mlflow_server, model, v2)
    assert tags.keys() == REQUEST_TAGS
    assert tags["mlops_tui.promotion.target"] == "champion"
    assert tags["mlops_tui.promotion.requester"] == "carol"
    assert tags["mlops_tui.promotion.note"] == "better auc"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", tags["mlops_tui.promotion.requested_at"])
    assert mlflow_server.alias_version(model, "champion") == v1

    # -- bob, another person, approves it ----------------------------------------------------
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_version(app, pilot, model, v2)
        await wait_until(
            lambda: any(p.key == (model, v2) for p in app.snapshot.pending_promotions),
            timeout=10,
            pilot=pilot,
        )
        await pilot.press("3")
        await pilot.pause()
        grid = requests_grid(app)
        # pending requests come first: nothing decided is listed above carol's request
        rows = list(grid.visible_rows)
        ours = next(i for i, p in enumerate(rows) if p.key == (model, v2))
        assert all(p.state == PromotionState.PENDING for p in rows[: ours + 1])
        await narrow(pilot, model)
        assert grid.visible_rows[0].key == (model, v2)
        assert re.search(rf"{re.escape(model)}\s+{v2} champion\s+carol\s+.*pending\s+better auc", screen(app))

        await cursor_to_row(pilot, grid, lambda p: p.key == (model, v2))
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, ApprovalDialog), timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, "Policy checks")
        assert f"{model} v{v2} → champion" in text
        assert "requested by carol" in text and "better auc" in text
        assert f"now held by v{v1}" in text
        assert re.search(rf"metric\s+candidate v{v2}\s+champion v{v1}\s+delta", text)
        for metric in ("auc", "f1", "logloss"):  # both versions' metrics, side by side
            cand, champ = CANDIDATE_METRICS[metric], CHAMPION_METRICS[metric]
            assert re.search(
                rf"{metric}\s+{re.escape(number(cand))}\s+{re.escape(number(champ))}\s+"
                rf"{re.escape(f'{cand - champ:+.4f}')}",
                text,
            ), metric
        assert "√ pass  candidate status READY" in text
        assert "√ pass  source run FINISHED" in text  # the default policy; gates: test_governance.py
        assert "Approve as bob?" in text

        await pilot.press("y", "y")  # an impatient double press
        words = await wait_for_toast(app, pilot, "Approved")
        assert f"{model} v{v2} is now champion" in words
        await wait_for_writes(app, pilot)  # the second press handled, and any write it started done

    assert mlflow_server.alias_version(model, "champion") == v2
    answer = mlflow_server.rest("GET", "registered-models/alias", params={"name": model, "alias": "champion"})
    assert str(answer["model_version"]["version"]) == v2
    tags = promotion_tags(mlflow_server, model, v2)
    assert tags["mlops_tui.promotion.requester"] == "carol"  # the decision keeps the request
    assert tags["mlops_tui.promotion.note"] == "better auc"
    assert tags["mlops_tui.promotion.state"] == "approved"
    assert tags["mlops_tui.promotion.decided_by"] == "bob"
    assert "mlops_tui.promotion.decided_at" in tags
    approvals = [e for e in audit_lines(tmp_path) if e["action"] == "approve promotion"]
    assert [(e["outcome"], e["user"]) for e in approvals] == [("ok", "bob")]
    assert approvals[0]["target"] == f"{model} v{v2} -> champion"
    assert approvals[0]["detail"]["previous_holder"] == v1
    requests = [e for e in audit_lines(tmp_path) if e["action"] == "request promotion"]
    assert [(e["outcome"], e["user"]) for e in requests] == [("ok", "carol")]


async def test_x_rejects_with_a_reason_and_leaves_the_alias(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)
    seed_request(mlflow_server, model, v2, "carol", note="try it")
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_models_at_request(app, pilot, model, v2)
        await pilot.press("x")
        await wait_until(lambda: isinstance(app.screen, PromptDialog), timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, "Reject promotion")
        assert f"Reject {model} v{v2} → champion, requested by carol?" in text
        await type_text(pilot, "slower")
        await pilot.press("enter")
        words = await wait_for_toast(app, pilot, "Rejected")
        assert f"{model} v{v2} rejected" in words

    assert mlflow_server.alias_version(model, "champion") == v1
    tags = promotion_tags(mlflow_server, model, v2)
    assert tags["mlops_tui.promotion.requester"] == "carol"  # the decision keeps the request
    assert tags["mlops_tui.promotion.state"] == "rejected"
    assert tags["mlops_tui.promotion.decided_by"] == "bob"
    assert tags["mlops_tui.promotion.reason"] == "slower"
    entries = audit_lines(tmp_path)
    assert [(e["action"], e["outcome"], e["user"]) for e in entries] == [("reject promotion", "ok", "bob")]
    assert entries[0]["detail"]["reason"] == "slower"


async def test_four_eyes_carol_cannot_approve_her_own_request(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed(mlflow_server, model, exp_id)
    seed_request(mlflow_server, model, v2, "carol")
    before = promotion_tags(mlflow_server, model, v2)
    monkeypatch.setenv("MLOPS_TUI_USER", "carol")
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_models_at_request(app, pilot, model, v2)
        await pilot.press("a")  # refused before any dialog: nothing to confirm
        words = await wait_for_toast(app, pilot, "Not approved")
        assert "four-eyes" in words and "carol" in words
        assert isinstance(app.screen, ModelsScreen)
        assert not any(isinstance(s, ApprovalDialog) for s in app.screen_stack)

    assert mlflow_server.alias_version(model, "champion") == v1
    assert promotion_tags(mlflow_server, model, v2) == before  # still pending, untouched
    entries = audit_lines(tmp_path)
    assert [(e["action"], e["outcome"], e["user"]) for e in entries] == [("approve promotion", "refused", "carol")]


async def test_an_alias_moved_behind_the_apps_back_is_a_conflict(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2, v3 = seed(mlflow_server, model, exp_id, versions=3)
    seed_request(mlflow_server, model, v2, "carol")
    before = promotion_tags(mlflow_server, model, v2)
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_models_at_request(app, pilot, model, v2)
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, ApprovalDialog), timeout=5, pilot=pilot)
        assert f"now held by v{v1}" in await wait_for_text(app, pilot, "Policy checks")

        # someone else moves the alias while the dialog is open
        mlflow_server.rest("POST", "registered-models/alias", {"name": model, "alias": "champion", "version": v3})
        await pilot.press("y")
        words = await wait_for_toast(app, pilot, "Not approved")
        assert "conflict" in words and f"version {v3}" in words
        assert "nothing was changed" in words

    assert mlflow_server.alias_version(model, "champion") == v3
    assert promotion_tags(mlflow_server, model, v2) == before
    entries = audit_lines(tmp_path)
    assert [(e["action"], e["outcome"]) for e in entries] == [("approve promotion", "refused")]
    assert f"version {v3}" in entries[0]["detail"]["reason"]


async def test_read_only_refuses_every_write_and_sends_none(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2, v3 = seed(mlflow_server, model, exp_id, versions=3)
    seed_request(mlflow_server, model, v2, "carol")
    before = {v: promotion_tags(mlflow_server, model, v) for v in (v1, v2, v3)}
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    backend = mlflow_backend(mlflow_server.url, [exp_name], recording=True)
    app = mlflow_app(tmp_path, backend, read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_models_at_request(app, pilot, model, v2)
        assert "READ-ONLY" in screen(app)

        # a, x and p are dimmed in the footer, with the reason in `?`; pressing them asks nothing
        for key in ("a", "x", "p"):
            assert app.screen.active_bindings[key].enabled is False, key
        await pilot.press("a", "x")
        await pilot.press("tab")
        versions = app.screen.query_one("#versions", DataGrid)
        assert versions.has_focus
        await narrow(pilot, model)
        await cursor_to_row(pilot, versions, lambda v: v.key == (model, v3))
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ModelsScreen)  # no dialog, no prompt
        await pilot.press("question_mark")
        help_text = await wait_for_text(app, pilot, "Approve (unavailable: read-only mode")
        assert "Reject (unavailable: read-only mode" in help_text
        assert "Request promotion (unavailable: read-only mode" in help_text
        await pilot.press("escape")
        assert backend.sent  # it did talk to the server: reads only
        assert backend.writes() == []

    assert mlflow_server.alias_version(model, "champion") == v1
    assert {v: promotion_tags(mlflow_server, model, v) for v in (v1, v2, v3)} == before
    assert audit_lines(tmp_path) == []  # nothing was attempted


def stages_of(server, model: str) -> dict[str, str]:
    found = server.rest("GET", "model-versions/search", params={"filter": f"name='{model}'"})
    return {v["version"]: v["current_stage"] for v in found["model_versions"]}


async def test_stages_mode_approval_of_a_request_for_the_default_target(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed_versions(mlflow_server, model, exp_id, [CHAMPION_METRICS, CANDIDATE_METRICS])
    mlflow_server.rest(
        "POST",
        "model-versions/transition-stage",
        {"name": model, "version": v1, "stage": "Production", "archive_existing_versions": False},
    )
    seed_request(mlflow_server, model, v2, "carol")  # target champion: the default everywhere
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    backend = mlflow_backend(mlflow_server.url, [exp_name], use_stages=True)
    app = mlflow_app(tmp_path, backend)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_models_at_request(app, pilot, model, v2)
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, ApprovalDialog), timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, "Policy checks")
        assert f"now held by v{v1}" in text  # the version in Production
        await pilot.press("y")
        words = await wait_for_toast(app, pilot, "Approved")
        assert f"{model} v{v2} is now champion" in words

    assert stages_of(mlflow_server, model) == {v1: "Archived", v2: "Production"}
    assert [(e["action"], e["outcome"]) for e in audit_lines(tmp_path)] == [("approve promotion", "ok")]
