"""Four-eyes holds across spellings of one name, against a real MLflow server, headless.

carol asks for a promotion; `Carol` and a fullwidth `ｃａｒｏｌ` are carol and are refused;
`carol` followed by a zero-width space is not a usable name at all (exit 2); bob approves.
"""

from __future__ import annotations

import json

import pytest

from mlops_tui.cli import main
from mlops_tui.core.paths import audit_log_path
from tests.mlflow.app_support import PROMOTION, promotion_tags, seed_versions


@pytest.fixture
def config(tmp_path, mlflow_server, mlflow_experiment):
    path = tmp_path / "config.toml"
    path.write_text(
        "[[backends]]\n"
        'name = "mlflow"\nkind = "mlflow"\n'
        f'url = "{mlflow_server.url}"\n'
        f'experiments = ["{mlflow_experiment[1]}"]\n'
        "cache = false\n"
    )
    return path


def run(capsys, monkeypatch, user: str, config, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("MLOPS_TUI_USER", user)
    code = main([*argv, "--config", str(config), "--timeout", "30"])
    out, err = capsys.readouterr()
    return code, out, err


def audit() -> list[tuple[str, str, str]]:
    lines = audit_log_path().read_text().splitlines() if audit_log_path().exists() else []
    return [(e["user"], e["action"], e["outcome"]) for e in map(json.loads, lines)]


def test_one_person_cannot_approve_their_own_request_under_another_spelling(
    mlflow_server, mlflow_experiment, mlflow_model_name, config, capsys, monkeypatch
):
    model = mlflow_model_name
    v1, v2 = seed_versions(mlflow_server, model, mlflow_experiment[0], [{"auc": 0.8}, {"auc": 0.9}])
    mlflow_server.set_alias(model, "champion", v1)

    code, out, err = run(capsys, monkeypatch, "CAROL", config, "promotions", "request", model, v2)
    assert code == 0, err
    assert promotion_tags(mlflow_server, model, v2)[PROMOTION + "requester"] == "carol"

    for spelling in ("Carol", "ｃａｒｏｌ", " carol "):
        code, out, err = run(capsys, monkeypatch, spelling, config, "promotions", "approve", model, v2, "--yes")
        assert code == 1, (spelling, out, err)
        assert "four-eyes" in err and "carol" in err
        assert mlflow_server.alias_version(model, "champion") == v1

    code, out, err = run(capsys, monkeypatch, "carol\u200b", config, "promotions", "approve", model, v2, "--yes")
    assert code == 2
    assert "identity problem" in err and "<U+200B>" in err and "\u200b" not in err
    assert mlflow_server.alias_version(model, "champion") == v1

    code, out, err = run(capsys, monkeypatch, "bob", config, "promotions", "approve", model, v2, "--yes")
    assert code == 0, err
    assert mlflow_server.alias_version(model, "champion") == v2

    assert audit() == [
        ("carol", "request promotion", "ok"),
        ("carol", "approve promotion", "refused"),
        ("carol", "approve promotion", "refused"),
        ("carol", "approve promotion", "refused"),
        ("bob", "approve promotion", "ok"),
    ]
