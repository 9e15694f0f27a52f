"""`R` in an alert's detail and in a deployment's detail proposes a rollback: an urgent promotion
request that moves the target back to its previous holder, naming why. Real MLflow, a real
Alertmanager for the alert, and an `oip` deployment (its server down: the deployment is still
reported, with the registry model and alias it follows).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mlops_tui.config.loader import parse_settings
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.screens.models import ordered_requests
from tests.alertmanager.fixtures import alertmanager_case, alertmanager_server  # noqa: F401
from tests.conftest import wait_until
from tests.mlflow.app_support import (
    audit_lines,
    promotion_tags,
    seed_request,
    wait_for_text,
    wait_for_toast,
    wait_for_version,
)
from tests.server_process import free_port

SIZE = (160, 48)


async def champion_moved_once(server, make_backend, model: str, exp_id: str) -> tuple[str, str]:
    """v1 held champion, then carol's request for v2 was approved by bob: v1 is the previous holder."""
    v1, v2 = server.seed_model(model, exp_id)
    server.set_alias(model, "champion", v1)
    seed_request(server, model, v2, "carol", note="better recall")
    backend = make_backend()
    await backend.open()
    (request,) = [p for p in await backend.list_promotions() if p.model == model]
    await backend.approve_promotion(request, "bob", datetime.now(UTC))
    return v1, v2


def app_with(tmp_path, toml: str, *, read_only: bool = False) -> MlopsApp:
    runtime = build_runtime(parse_settings(toml), audit_path=tmp_path / "audit.jsonl", read_only=read_only)
    return MlopsApp(runtime)


def mlflow_toml(server, exp_name: str) -> str:
    return (
        f'[[backends]]\nname = "mlflow"\nkind = "mlflow"\nurl = "{server.url}"\n'
        f'experiments = ["{exp_name}"]\ncache = false\n'
    )


async def test_R_in_an_alerts_detail_requests_an_urgent_rollback_naming_the_alert(
    mlflow_server,
    mlflow_experiment,
    mlflow_model_name,
    make_backend,
    alertmanager_case,  # noqa: F811 - the fixture imported above
    tmp_path,
    monkeypatch,
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = await champion_moved_once(mlflow_server, make_backend, model, exp_id)
    case = alertmanager_case
    case.post(case.alert("FraudScoreDrift", severity="critical", model=model, deployment="fraud-prod"))
    case.post(case.alert("DiskFull", severity="warning", model="", deployment=""))
    toml = (
        mlflow_toml(mlflow_server, exp_name)
        + f'\n[[backends]]\nname = "am"\nkind = "alertmanager"\nurl = "{case.server.url}"\n'
        + f"filters = ['{case.filter}']\n"
    )
    monkeypatch.setenv("MLOPS_TUI_USER", "dave")
    app = app_with(tmp_path, toml)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_version(app, pilot, model, v2)
        await wait_until(lambda: len(app.snapshot.alerts) == 2, timeout=15, pilot=pilot)
        drift = next(a for a in app.snapshot.alerts if a.name == "FraudScoreDrift")
        disk = next(a for a in app.snapshot.alerts if a.name == "DiskFull")

        # an alert that names no model: refused before any prompt, with the reason
        app.open_alert(disk.fingerprint)
        await wait_for_text(app, pilot, "DiskFull")
        await pilot.press("R")
        words = await wait_for_toast(app, pilot, "No rollback")
        assert "no model is known here" in words
        assert not isinstance(app.screen, PromptDialog)

        app.open_alert(drift.fingerprint)
        await wait_for_text(app, pilot, "FraudScoreDrift")
        await pilot.press("R")
        await wait_until(lambda: isinstance(app.screen, PromptDialog), timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, "Propose rollback")
        assert f"back from v{v2} to v{v1}" in text
        await pilot.press("enter")  # the reason is prefilled from the alert
        words = await wait_for_toast(app, pilot, "Rollback")
        assert f"rollback requested: {model} v{v1} -> champion (urgent)" in words
        await wait_until(lambda: any(p.key == (model, v1) for p in app.snapshot.pending_promotions), pilot=pilot)
        # urgent: it sorts before every other pending request
        assert ordered_requests(app.snapshot)[0].key == (model, v1)

    assert mlflow_server.alias_version(model, "champion") == v2  # a request, not a move
    note = promotion_tags(mlflow_server, model, v1)["mlops_tui.promotion.note"]
    started = f"{drift.starts_at.astimezone(UTC):%Y-%m-%d %H:%M}"
    assert note == f"rollback: alert FraudScoreDrift on {model}, deployment fraud-prod, started {started} UTC"
    assert [(e["action"], e["outcome"], e["user"]) for e in audit_lines(tmp_path)] == [
        ("request promotion", "ok", "dave")
    ]


def deployment_toml(model: str) -> str:
    return (
        f'\n[[backends]]\nname = "serving"\nkind = "oip"\nserver_timeout_seconds = 1\n'
        f'[[backends.deployments]]\nname = "fraud-prod"\nurl = "http://127.0.0.1:{free_port()}"\n'
        f'model = "fraud"\nenvironment = "prod"\nregistered_model = "{model}"\nalias = "champion"\n'
    )


async def test_R_in_a_deployments_detail_requests_the_rollback_of_the_alias_it_follows(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = await champion_moved_once(mlflow_server, make_backend, model, exp_id)
    monkeypatch.setenv("MLOPS_TUI_USER", "dave")
    app = app_with(tmp_path, mlflow_toml(mlflow_server, exp_name) + deployment_toml(model))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_version(app, pilot, model, v2)
        await wait_until(lambda: "fraud-prod" in app.snapshot.deployments_by_name, timeout=15, pilot=pilot)
        app.open_deployment("fraud-prod")
        await wait_for_text(app, pilot, "fraud-prod")
        await pilot.press("R")
        await wait_until(lambda: isinstance(app.screen, PromptDialog), timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, "Propose rollback")
        assert f"Roll champion of {model} back from v{v2} to v{v1}" in text
        await pilot.press("enter")
        words = await wait_for_toast(app, pilot, "Rollback")
        assert f"rollback requested: {model} v{v1} -> champion (urgent)" in words
    note = promotion_tags(mlflow_server, model, v1)["mlops_tui.promotion.note"]
    assert note.startswith("rollback: deployment fraud-prod (serving")


async def test_R_in_a_deployments_detail_is_refused_before_asking_read_only_or_without_a_previous_holder(
    mlflow_server, mlflow_experiment, tmp_path, monkeypatch
):
    model = f"model-{uuid.uuid4().hex[:10]}"
    exp_id, exp_name = mlflow_experiment
    (v1,) = mlflow_server.seed_model(model, exp_id, versions=1)
    mlflow_server.set_alias(model, "champion", v1)  # one holder ever: nothing to go back to
    monkeypatch.setenv("MLOPS_TUI_USER", "dave")
    try:
        for read_only, reason in ((True, "read-only mode"), (False, "no previous holder of champion")):
            app = app_with(tmp_path, mlflow_toml(mlflow_server, exp_name) + deployment_toml(model), read_only=read_only)
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                await wait_for_version(app, pilot, model, v1)
                await wait_until(lambda: "fraud-prod" in app.snapshot.deployments_by_name, timeout=15, pilot=pilot)
                app.open_deployment("fraud-prod")
                await wait_for_text(app, pilot, "fraud-prod")
                await pilot.press("R")
                words = await wait_for_toast(app, pilot, "No rollback")
                assert reason in words
                assert not isinstance(app.screen, PromptDialog)
        assert promotion_tags(mlflow_server, model, v1) == {}  # nothing was requested
    finally:
        mlflow_server.rest("DELETE", "registered-models/delete", {"name": model})
