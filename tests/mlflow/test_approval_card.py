"""The approval card beyond metrics, against the real MLflow server: both versions' signatures
(from the run's log-model history, or the MLmodel file the server hands out), their source
runs' dataset inputs, the deployments that serve the target, and the signature check.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlops_tui.ui.dialogs.approval import ApprovalDialog, checks_text, data_text
from tests.conftest import wait_until
from tests.mlflow.app_support import audit_lines, seed_request, seed_versions, wait_for_text
from tests.mlflow.test_governance import HOLDER, cli, open_request, write_config
from tests.mlflow.test_governance_rollback_keys import app_with, deployment_toml, mlflow_toml

X_Y = [{"type": "double", "name": "x", "required": True}, {"type": "long", "name": "y", "required": True}]
X_Z = [{"type": "double", "name": "x", "required": True}, {"type": "string", "name": "z", "required": True}]
SCORE = [{"type": "double", "name": "score", "required": True}]


def run_of(server, model: str, version: str) -> str:
    mv = server.rest("GET", "model-versions/get", params={"name": model, "version": version})
    return mv["model_version"]["run_id"]


def log_history_signature(server, run_id: str, inputs: list, outputs: list) -> None:
    """What an MLflow 2 client's log_model records on the run."""
    entry = {
        "run_id": run_id,
        "artifact_path": "model",
        "flavors": {"python_function": {}},
        "signature": {"inputs": json.dumps(inputs), "outputs": json.dumps(outputs), "params": None},
    }
    server.rest(
        "POST", "runs/set-tag", {"run_id": run_id, "key": "mlflow.log-model.history", "value": json.dumps([entry])}
    )


def write_mlmodel(server, run_id: str, inputs: list, outputs: list) -> None:
    """An MLmodel file in the run's artifacts, as log_model writes it (YAML, single-quoted JSON
    folded over lines when long)."""
    uri = server.rest("GET", "runs/get", params={"run_id": run_id})["run"]["info"]["artifact_uri"]
    folder = Path(uri.removeprefix("file://")) / "model"
    folder.mkdir(parents=True, exist_ok=True)
    quoted = json.dumps(inputs).replace("'", "''")
    folded = quoted[:40] + "\n    " + quoted[40:].replace(", ", ",\n    ", 1)  # YAML folds at a space
    (folder / "MLmodel").write_text(
        "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
        f"signature:\n  inputs: '{folded}'\n  outputs: '{json.dumps(outputs)}'\n  params: null\n"
    )


def log_dataset(server, run_id: str, name: str, digest: str, context: str) -> None:
    server.rest(
        "POST",
        "runs/log-inputs",
        {
            "run_id": run_id,
            "datasets": [
                {
                    "dataset": {"name": name, "digest": digest, "source_type": "local", "source": "{}"},
                    "tags": [{"key": "mlflow.data.context", "value": context}],
                }
            ],
        },
    )


def seed_pair(server, model: str, exp_id: str) -> tuple[str, str]:
    v1, v2 = seed_versions(server, model, exp_id, [HOLDER, HOLDER])
    server.set_alias(model, "champion", v1)
    seed_request(server, model, v2, "carol", note="new feature z")
    return v1, v2


async def test_the_card_shows_both_signatures_datasets_and_deployments_and_a_changed_schema_fails(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, monkeypatch
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed_pair(mlflow_server, model, exp_id)
    r1, r2 = run_of(mlflow_server, model, v1), run_of(mlflow_server, model, v2)
    log_history_signature(mlflow_server, r1, X_Y, SCORE)  # the holder: MLflow 2's run tag
    write_mlmodel(mlflow_server, r2, X_Z, SCORE)  # the candidate: only its MLmodel file
    log_dataset(mlflow_server, r1, "fraud-2026-10", "abcdef1234567890", "training")
    log_dataset(mlflow_server, r2, "fraud-2026-11", "0123456789abcdef", "training")
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    app = app_with(tmp_path, mlflow_toml(mlflow_server, exp_name) + deployment_toml(model))
    async with app.run_test(size=(160, 60), notifications=True) as pilot:
        await wait_until(lambda: "fraud-prod" in app.snapshot.deployments_by_name, timeout=15, pilot=pilot)
        await open_request(app, pilot, model, v2)
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, ApprovalDialog), timeout=10, pilot=pilot)
        text = await wait_for_text(app, pilot, "from the MLmodel file")
        assert "x: double" in text and "y: long" in text and "z: string" in text
        assert "from the run's log-model history" in text and "from the MLmodel file" in text
        screen_text = await wait_for_text(app, pilot, "fraud-2026-11")
        assert "serving champion now: fraud-prod (version unknown)" in screen_text
        assert "1 deployment will be mismatched" in screen_text
        dialog = app.screen  # the rest is below the fold: read what the dialog's sections hold
        data = data_text(dialog.card, dialog.request).plain
        assert f"candidate v{v2}: run {r2}; datasets fraud-2026-11 @01234567 (training)" in data
        assert f"champion v{v1}: run {r1}; datasets fraud-2026-10 @abcdef12 (training)" in data
        checks = checks_text(dialog.checks).plain
        assert "× FAIL  model signature unchanged" in checks and "+z: string" in checks and "-y: long" in checks
        data = screen_text
        assert "1 check failed" in data


def test_headless_a_changed_signature_blocks_and_an_unknown_one_is_said_never_unchanged(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch, isolated_dirs
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, v2 = seed_pair(mlflow_server, model, exp_id)
    log_history_signature(mlflow_server, run_of(mlflow_server, model, v1), X_Y, SCORE)
    log_history_signature(mlflow_server, run_of(mlflow_server, model, v2), X_Z, SCORE)
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    config = write_config(tmp_path, mlflow_server, exp_name, "")
    code, out, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v2, "--yes")
    assert code == 1 and "model signature unchanged" in err and "+z: string" in err, err
    assert mlflow_server.alias_version(model, "champion") == v1
    # the card is printed before the refusal, as the dialog shows it: both sides, then the check
    assert f"candidate v{v2}: inputs x: double, z: string; outputs score: double" in out, out
    assert f"champion v{v1}: inputs x: double, y: long; outputs score: double" in out, out
    assert f"run {run_of(mlflow_server, model, v2)}; no dataset inputs logged" in out, out
    assert "FAIL  model signature unchanged  (changed from v" in out, out

    # a policy that only warns: approved, and the record says what changed
    lenient = write_config(tmp_path, mlflow_server, exp_name, "[policy]\nsame_signature = false\n")
    code, out, err = cli(capsys, "--config", str(lenient), "promotions", "approve", model, v2, "--yes")
    assert code == 0, err
    assert "unknown  model signature unchanged" in out, out  # shown; it does not block
    assert mlflow_server.alias_version(model, "champion") == v2
    tags = mlflow_server.version_tags(model, v2)
    assert tags["mlops_tui.promotion.checks"] == "2 passed, 0 failed, 1 unknown"

    # v3 has no signature at all: unknown, never "unchanged"; it does not block
    v3 = mlflow_server.create_version(model, mlflow_server.create_run(exp_id, metrics=HOLDER))
    seed_request(mlflow_server, model, v3, "carol")
    code, _, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v3, "--yes")
    assert code == 0, err
    tags = mlflow_server.version_tags(model, v3)
    assert tags["mlops_tui.promotion.checks"] == "2 passed, 0 failed, 1 unknown"
    (entry,) = [
        e for e in audit_lines(isolated_dirs / "data" / "mlops-tui") if e["target"].startswith(f"{model} v{v3}")
    ]
    assert entry["outcome"] == "ok"


def test_a_signature_unknown_on_one_side_is_said_unknown_and_does_not_block():
    from mlops_tui.config.policy import PolicyRules
    from mlops_tui.domain.model_card import ModelSignature, VersionCard
    from mlops_tui.services.promotion_card import ApprovalCard, CardSide, signature_checks

    known = VersionCard("m", "1", signature=ModelSignature(("x: double",), ("score: double",)))
    silent = VersionCard("m", "2", signature_note="the model was logged without a signature")
    (check,) = signature_checks(ApprovalCard(CardSide("2", silent), CardSide("1", known)), PolicyRules())
    assert check.passed and check.unknown
    assert check.detail == "v2: signature unknown: the model was logged without a signature"
    (check,) = signature_checks(
        ApprovalCard(CardSide("2", error="MLflow at x timed out"), CardSide("1", known)), PolicyRules()
    )
    assert check.unknown and "signature unknown: MLflow at x timed out" in check.detail
    # neither known: nothing to compare, and nothing claims "unchanged"
    assert signature_checks(ApprovalCard(CardSide("2", silent), CardSide("1", silent)), PolicyRules()) == []


def test_an_mlflow_3_logged_model_signature_is_read_from_the_logged_models_mlmodel(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, capsys, monkeypatch
):
    """MLflow 3: a version whose source is `models:/m-…` (a logged model) has its MLmodel in the
    logged model's artifacts, not the run's; the card reads it from there."""
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    v1, _v2 = seed_pair(mlflow_server, model, exp_id)
    log_history_signature(mlflow_server, run_of(mlflow_server, model, v1), X_Y, SCORE)
    run_id = mlflow_server.create_run(exp_id, name=f"{model}-lm", metrics=HOLDER)
    logged = mlflow_server.rest(
        "POST", "logged-models", {"experiment_id": exp_id, "name": "model", "source_run_id": run_id}
    )
    info = logged["model"]["info"]
    folder = Path(info["artifact_uri"].removeprefix("file://"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLmodel").write_text(
        "artifact_path: model\nflavors:\n  python_function: {}\n"
        f"signature:\n  inputs: '{json.dumps(X_Z)}'\n  outputs: '{json.dumps(SCORE)}'\n  params: null\n"
    )
    body = {"name": model, "source": f"models:/{info['model_id']}", "run_id": run_id, "model_id": info["model_id"]}
    v3 = str(mlflow_server.rest("POST", "model-versions/create", body)["model_version"]["version"])
    seed_request(mlflow_server, model, v3, "carol")

    monkeypatch.setenv("MLOPS_TUI_USER", "bob")
    config = write_config(tmp_path, mlflow_server, exp_name, "")
    code, out, err = cli(capsys, "--config", str(config), "promotions", "approve", model, v3, "--yes")
    assert f"candidate v{v3}: inputs x: double, z: string; outputs score: double" in out, out + err
    assert code == 1 and "+z: string" in err and "-y: long" in err, err  # the changed schema blocks
    assert mlflow_server.alias_version(model, "champion") == v1
