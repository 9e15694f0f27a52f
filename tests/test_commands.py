"""Headless commands share the hub and the actions service with the app (demo world here)."""

from __future__ import annotations

import json

import pytest

from mlops_tui.cli import main
from mlops_tui.config.paths import audit_log_path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def audit() -> list[dict]:
    path = audit_log_path()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_promotions_list_shows_pending_requests_first(capsys):
    code, out, _ = run_cli(capsys, "promotions", "list", "--json")
    assert code == 0
    requests = json.loads(out)
    states = [r["state"] for r in requests]
    assert states.count("pending") >= 2
    assert states == sorted(states, key=lambda s: s != "pending")


def test_approve_with_yes_moves_the_alias_and_is_audited(capsys, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", "zed")
    _, out, _ = run_cli(capsys, "promotions", "list", "--json", "--pending")
    request = json.loads(out)[0]
    code, out, err = run_cli(capsys, "promotions", "approve", request["model"], request["version"], "--yes")
    assert code == 0, err
    assert f"is now {request['target']}" in out
    assert "candidate" in out and ("pass" in out or "FAIL" in out)  # metrics and checks shown
    entry = audit()[-1]
    assert (entry["action"], entry["outcome"], entry["user"]) == ("approve promotion", "ok", "zed")


def test_approve_without_yes_off_a_terminal_is_refused(capsys, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", "zed")
    _, out, _ = run_cli(capsys, "promotions", "list", "--json", "--pending")
    request = json.loads(out)[0]
    code, _, err = run_cli(capsys, "promotions", "approve", request["model"], request["version"])
    assert code == 1
    assert "--yes" in err
    assert audit() == []


def test_four_eyes_refusal_exits_1_with_the_reason(capsys, monkeypatch):
    _, out, _ = run_cli(capsys, "promotions", "list", "--json", "--pending")
    request = json.loads(out)[0]
    monkeypatch.setenv("MLOPS_TUI_USER", request["requester"])
    code, _, err = run_cli(capsys, "promotions", "approve", request["model"], request["version"], "--yes")
    assert code == 1
    assert "four-eyes" in err
    assert audit()[-1]["outcome"] == "refused"


def test_read_only_refuses_every_write(capsys):
    _, out, _ = run_cli(capsys, "promotions", "list", "--json", "--pending")
    request = json.loads(out)[0]
    code, _, err = run_cli(
        capsys, "--read-only", "promotions", "reject", request["model"], request["version"], "--reason", "no"
    )
    assert code == 1 and "read-only" in err
    code, _, err = run_cli(capsys, "promotions", "request", "churn-lgbm", "1", "--read-only")
    assert code == 1 and "read-only" in err


def test_request_then_list_shows_it_pending(capsys, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", "dana")
    code, out, err = run_cli(
        capsys, "promotions", "request", "churn-lgbm", "3", "--to", "challenger", "--note", "try it"
    )
    assert code == 0, err
    assert audit()[-1]["action"] == "request promotion"


def test_unknown_request_is_a_refusal_not_a_crash(capsys):
    code, _, err = run_cli(capsys, "promotions", "approve", "no-such-model", "1", "--yes")
    assert code == 1 and "no pending promotion request" in err
    assert "Traceback" not in err


def test_runs_list_filters_in_mlflow_syntax(capsys):
    code, out, _ = run_cli(capsys, "runs", "list", "--json", "--filter", "metrics.auc > 0.95")
    assert code == 0
    runs = json.loads(out)
    assert runs and all(r["metrics"]["auc"] > 0.95 for r in runs)
    code, _, err = run_cli(capsys, "runs", "list", "--filter", "auc > 0.95")
    assert code == 1 and "invalid filter" in err


def test_runs_list_by_experiment(capsys):
    code, out, _ = run_cli(capsys, "runs", "list", "--experiment", "fraud-detection", "--limit", "5")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 6 and all("fraud-detection" in line for line in lines[1:])


def test_models_list_shows_aliases(capsys):
    code, out, _ = run_cli(capsys, "models", "list", "--json")
    versions = json.loads(out)
    assert code == 0
    assert {"champion", "challenger"} <= {a for v in versions for a in v["aliases"]}


def test_alerts_list_ack_and_expire(capsys, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", "oncall")
    code, out, _ = run_cli(capsys, "alerts", "list", "--json")
    alerts = json.loads(out)
    assert code == 0 and alerts
    firing = next(a for a in alerts if a["state"] == "firing")
    code, out, err = run_cli(capsys, "alerts", "ack", firing["fingerprint"][:8], "--for", "30m")
    assert code == 0, err
    entry = audit()[-1]
    assert entry["action"] == "ack" and entry["detail"]["minutes"] == 30.0
    assert entry["detail"]["comment"].startswith("ACK!")


def test_alerts_silence_needs_a_duration_and_comment(capsys):
    code = main(["--demo", "alerts", "silence", "abc"])
    assert code == 2  # usage error: --for and --comment are required
    code, _, err = run_cli(capsys, "alerts", "silence", "nothing-like-this", "--for", "1h", "--comment", "x")
    assert code == 1 and "no alert" in err


def test_doctor_reports_each_backend(capsys):
    code, out, _ = run_cli(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0
    (demo,) = report["backends"]
    assert demo["reachable"] and demo["authorised"] and demo["version"].startswith("demo")
    assert any(c.startswith("runs:") and c != "runs:0" for c in demo["capabilities"])


def test_doctor_fails_when_a_backend_is_down(tmp_path, capsys, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        '[[backends]]\nname = "am"\nkind = "alertmanager"\nurl = "http://127.0.0.1:9"\ntimeout_seconds = 2\n'
    )
    code = main(["doctor", "--config", str(config), "--timeout", "10"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "am" in out and "NO" in out and "unreachable" in out


@pytest.mark.parametrize("argv", [["runs"], ["promotions"], ["alerts", "ack"]])
def test_usage_errors_exit_2(argv):
    assert main(argv) == 2


def test_cache_clear_removes_cached_run_histories(capsys):
    from mlops_tui.backends.mlflow.cache import SUBDIR
    from mlops_tui.config.paths import cache_dir

    folder = cache_dir() / SUBDIR
    folder.mkdir(parents=True)
    (folder / "runs-abc.pickle").write_bytes(b"x")
    assert main(["cache", "clear"]) == 0
    assert "removed 1 cached run history" in capsys.readouterr().out
    assert not list(folder.glob("runs-*"))
