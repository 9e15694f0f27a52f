"""Headless list commands never pass an unknown off as an empty answer, nor a part as the whole.

An unreachable source makes `alerts list`/`runs list` exit 1 and name it on stderr, and the
JSON carries every source's state. Against a real MLflow with 10,000 runs in one experiment,
`runs list --json` waits for the last page instead of printing the first poll's share.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlops_tui.cli import main
from tests.server_process import free_port


def unreachable_config(tmp_path: Path) -> Path:
    port = free_port()  # nothing listens: connection refused
    path = tmp_path / "config.toml"
    path.write_text(f"""
[[backends]]
name = "am-eu"
kind = "alertmanager"
url = "http://127.0.0.1:{port}"
timeout_seconds = 2

[[backends]]
name = "mlflow"
kind = "mlflow"
url = "http://127.0.0.1:{port}"
timeout_seconds = 2
""")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("command", "source"),
    [
        (("alerts", "list"), "am-eu"),
        (("runs", "list"), "mlflow"),
        (("models", "list"), "mlflow"),
        (("promotions", "list"), "mlflow"),
    ],
)
def test_an_unreachable_source_is_exit_1_and_named(tmp_path, capsys, command, source):
    code, out, err = run(capsys, *command, "--config", str(unreachable_config(tmp_path)), "--timeout", "20")
    assert code == 1
    assert f"{source} unreachable" in err and "connection refused" in err
    assert "Traceback" not in err + out


def test_json_says_each_source_state_so_empty_is_not_unknown(tmp_path, capsys):
    code, out, err = run(
        capsys, "alerts", "list", "--json", "--config", str(unreachable_config(tmp_path)), "--timeout", "20"
    )
    assert code == 1
    answer = json.loads(out)
    assert answer["items"] == []
    assert [(s["name"], s["kind"], s["state"], s["complete"]) for s in answer["sources"]] == [
        ("am-eu", "alertmanager", "unreachable", False)
    ]
    assert "connection refused" in answer["sources"][0]["message"]
    assert "am-eu unreachable" in err


def test_a_complete_answer_exits_0_with_every_source_complete(capsys):
    code, out, err = run(capsys, "--demo", "alerts", "list", "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["items"] and all(s["complete"] and s["state"] == "ok" for s in answer["sources"])


def test_doctor_says_authorised_unknown_when_it_could_not_reach_the_server(tmp_path, capsys):
    config = str(unreachable_config(tmp_path))
    code, out, _ = run(capsys, "doctor", "--json", "--config", config, "--timeout", "20")
    assert code == 1
    for backend in json.loads(out)["backends"]:
        assert backend["reachable"] is False and backend["authorised"] is None
    code, out, _ = run(capsys, "doctor", "--config", config, "--timeout", "20")
    rows = [line for line in out.splitlines() if line.startswith(("am-eu", "mlflow"))]
    assert len(rows) == 2 and all(" NO " in r and " unknown " in r and " yes " not in r for r in rows)


# -- 10,000 runs from a real MLflow --------------------------------------------------------------

RUNS = 10_000


@pytest.fixture(scope="module")
def big_mlflow(tmp_path_factory):
    """A real MLflow server whose experiment "bench-runs" holds 10,000 runs (seeded via sqlite)."""
    from bench.bench_mlflow import EXPERIMENT, SEED
    from tests.mlflow.server import VENV, MlflowServer, ensure_mlflow, server_env

    ensure_mlflow()
    directory = tmp_path_factory.mktemp("mlflow-10k")
    db = directory / "mlflow.db"
    subprocess.run(
        [str(VENV / "bin" / "python"), "-c", SEED, str(db), str(RUNS), EXPERIMENT],
        check=True,
        env=server_env(),
        cwd=directory,
        capture_output=True,
        timeout=600,
    )
    with MlflowServer(directory / "server", db=db) as server:
        yield server, EXPERIMENT


@pytest.mark.timeout(300)  # seeding 10,000 runs and starting MLflow alone can take ~75 s on a loaded machine
def test_runs_list_json_waits_for_every_page_of_10000_runs(big_mlflow, tmp_path, capsys, monkeypatch):
    server, experiment = big_mlflow
    config = tmp_path / "config.toml"
    # the first poll waits for runs at most 2 s and ends with a progress note: what the command
    # took for the whole answer before
    config.write_text(f'[[backends]]\nname = "mlflow"\nkind = "mlflow"\nurl = "{server.url}"\ntimeout_seconds = 10\n')
    code, out, err = run(
        capsys, "runs", "list", "--experiment", experiment, "--json", "--config", str(config), "--timeout", "300"
    )
    assert code == 0, err
    answer = json.loads(out)
    assert len(answer["items"]) == RUNS
    assert len({r["id"] for r in answer["items"]}) == RUNS
    assert answer["sources"] == [
        {
            "name": "mlflow",
            "kind": "mlflow",
            "state": answer["sources"][0]["state"],
            "message": answer["sources"][0]["message"],
            "progress": "",
            "complete": True,
            "cut": None,
        }
    ]

    # again, with the runs cache of the first call: the same whole answer
    code, out, err = run(
        capsys, "runs", "list", "--experiment", experiment, "--json", "--config", str(config), "--timeout", "300"
    )
    assert code == 0, err
    assert len(json.loads(out)["items"]) == RUNS

    # no cache and too short a --timeout: what arrived is printed, the exit says it is not all
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    code, out, err = run(
        capsys, "runs", "list", "--experiment", experiment, "--json", "--config", str(config), "--timeout", "0.5"
    )
    assert code == 1
    assert "runs incomplete: mlflow" in err and "--timeout 0.5" in err
    answer = json.loads(out)
    assert len(answer["items"]) < RUNS and answer["sources"][0]["complete"] is False


# -- the demo world keeps its own audit log ------------------------------------------------------


def test_demo_writes_go_to_the_demo_audit_log_never_the_real_one(capsys, monkeypatch):
    from mlops_tui.core.paths import audit_log_path

    monkeypatch.setenv("MLOPS_TUI_USER", "oncall")
    code, out, err = run(capsys, "--demo", "alerts", "list", "--json")
    assert code == 0, err
    fingerprint = json.loads(out)["items"][0]["fingerprint"]
    code, _, err = run(capsys, "--demo", "alerts", "ack", fingerprint)
    assert code == 0, err
    real, demo = audit_log_path(), audit_log_path(demo=True)
    assert real != demo
    assert not real.exists()
    assert '"ack' in demo.read_text() and fingerprint[:8] in demo.read_text()
    assert run(capsys, "audit")[1].strip() == "no audit entries"
    code, out, _ = run(capsys, "--demo", "audit")
    assert code == 0 and "oncall" in out and "ack" in out


def test_a_partial_answer_prints_what_arrived_and_still_exits_1_naming_the_missing_source(tmp_path, capsys):
    config = tmp_path / "partial.toml"
    config.write_text(f"""
[[backends]]
name = "demo"
kind = "demo"

[[backends]]
name = "am-eu"
kind = "alertmanager"
url = "http://127.0.0.1:{free_port()}"
timeout_seconds = 2
""")
    code, out, err = run(capsys, "alerts", "list", "--json", "--config", str(config), "--timeout", "30")
    assert code == 1
    answer = json.loads(out)
    assert answer["items"] and {a["backend"] for a in answer["items"]} == {"demo"}
    states = {s["name"]: (s["state"], s["complete"]) for s in answer["sources"]}
    assert states == {"demo": ("ok", True), "am-eu": ("unreachable", False)}
    assert err.startswith("mlops-tui: alerts incomplete: am-eu unreachable")
    assert "demo" not in err
