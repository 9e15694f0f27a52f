"""`mlops-tui deployments list --json` and `deployments wait` against the real servers:
MLServer (health, version), Prometheus scraping it (metrics) and MLflow (the expected version).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from mlops_tui.cli import main
from tests.server_process import free_port


def toml_config(tmp_path: Path, *, mlserver_url: str, prom_url: str, mlflow_url: str, model: str = "",
                serving_extra: str = "") -> Path:  # fmt: skip
    registry = f'registered_model = "{model}"\nalias = "champion"\n' if model else ""
    text = f"""
refresh_seconds = 1
[contexts.t]
[[contexts.t.backends]]
name = "serving"
kind = "oip"
[[contexts.t.backends.deployments]]
name = "fraud-prod"
url = "{mlserver_url}"
model = "fraud-detector"
environment = "prod"
{registry}
[[contexts.t.backends]]
name = "prom"
kind = "prometheus"
url = "{prom_url}"
[[contexts.t.backends.serving]]
deployment = "fraud-prod"
preset = "mlserver"
selector = '{{job="mlserver"}}'
model = "fraud-detector"
window = "1m"
{serving_extra}
[[contexts.t.backends]]
name = "mlflow"
kind = "mlflow"
url = "{mlflow_url}"
"""
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def cli(capsys, config: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--config", str(config)])
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys, config: Path) -> dict[str, dict]:
    code, out, err = cli(capsys, config, "deployments", "list", "--json")
    assert code == 0, err
    return {d["name"]: d for d in json.loads(out)}


def until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")


@pytest.fixture
def config(tmp_path, mlserver, serving_prometheus, mlflow_server):
    return toml_config(tmp_path, mlserver_url=mlserver.url, prom_url=serving_prometheus.url,
                       mlflow_url=mlflow_server.url)  # fmt: skip


def test_inference_shows_ready_with_a_rate_and_a_latency(capsys, config, mlserver):
    def measured():
        # traffic while Prometheus scrapes: a rate needs the counter to rise between two scrapes
        for i in range(10):
            assert mlserver.infer("fraud-detector", [float(i), 1.0]).status_code == 200
        d = listed(capsys, config)["fraud-prod"]
        return d if d["requests_per_second"] and d["latency_p95_ms"] is not None else None

    d = until(measured, 40, "no request rate and latency in `deployments list --json`")
    assert (d["health"], d["ready"], d["served_version"]) == ("healthy", True, "6")
    assert d["requests_per_second"] > 0 and d["latency_p95_ms"] > 0
    assert d["error_rate"] is not None and 0 <= d["error_rate"] <= 1
    assert d["sources"] == ["serving", "prom"] and d["backend"] == "serving"
    assert d["reason"] == ""


def test_alias_on_a_version_not_served_is_a_mismatch_until_it_points_at_the_served_one(
    capsys, tmp_path, mlserver, serving_prometheus, mlflow_server
):
    model = f"fraud-{uuid.uuid4().hex[:8]}"
    experiment = mlflow_server.create_experiment()
    versions = mlflow_server.seed_model(model, experiment, versions=7)
    assert versions[-1] == "7"
    mlflow_server.set_alias(model, "champion", "7")  # approved to v7; the server still serves v6
    config = toml_config(tmp_path, mlserver_url=mlserver.url, prom_url=serving_prometheus.url,
                         mlflow_url=mlflow_server.url, model=model)  # fmt: skip

    d = listed(capsys, config)["fraud-prod"]
    assert (d["served_version"], d["expected_version"], d["mismatch"]) == ("6", "7", True)
    assert d["mismatch_since"] is not None

    code, _, err = cli(capsys, config, "deployments", "wait", "fraud-prod", "--for", "matched", "--timeout", "2")
    assert code == 1
    assert "serves version 6, but champion points at version 7" in err

    mlflow_server.set_alias(model, "champion", "6")
    code, out, err = cli(capsys, config, "deployments", "wait", "fraud-prod", "--for", "matched", "--timeout", "60")
    assert code == 0, err
    assert "serves version 6, as champion says" in out
    assert listed(capsys, config)["fraud-prod"]["mismatch"] is False


def test_wait_for_ready_and_usage_errors(capsys, config):
    code, out, err = cli(capsys, config, "deployments", "wait", "fraud-prod", "--for", "ready", "--timeout", "30")
    assert code == 0, err
    assert "fraud-prod: ready" in out
    code, _, err = cli(capsys, config, "deployments", "wait", "nope", "--for", "ready", "--timeout", "30")
    assert code == 2 and "no deployment named nope" in err
    code, _, err = cli(capsys, config, "deployments", "wait", "fraud-prod", "--for", "matched")
    assert code == 2 and "no registered_model and alias" in err
    code, _, _ = cli(capsys, config, "deployments", "wait", "fraud-prod", "--for", "sideways")
    assert code == 2


def test_prometheus_unreachable_leaves_health_from_the_server_and_metrics_unknown(
    capsys, tmp_path, mlserver, mlflow_server
):
    config = toml_config(tmp_path, mlserver_url=mlserver.url, prom_url=f"http://127.0.0.1:{free_port()}",
                         mlflow_url=mlflow_server.url)  # fmt: skip
    d = listed(capsys, config)["fraud-prod"]
    assert (d["health"], d["ready"]) == ("healthy", True)
    assert d["requests_per_second"] is None and d["error_rate"] is None and d["latency_p95_ms"] is None
    assert "prom" in d["metrics_note"] and "connection refused" in d["metrics_note"]


def test_an_invalid_query_is_shown_beside_that_deployment_only(capsys, tmp_path, mlserver, serving_prometheus,
                                                               mlflow_server):  # fmt: skip
    extra = """rate = 'sum(rate(model_infer_request_success_total[1m]'
[[contexts.t.backends.serving]]
deployment = "churn-prod"
preset = "mlserver"
selector = '{job="mlserver"}'
"""
    config = toml_config(tmp_path, mlserver_url=mlserver.url, prom_url=serving_prometheus.url,
                         mlflow_url=mlflow_server.url, serving_extra=extra)  # fmt: skip
    got = listed(capsys, config)
    fraud = got["fraud-prod"]
    assert "rate query refused by Prometheus: bad_data" in fraud["metrics_note"]
    assert fraud["requests_per_second"] is None
    assert fraud["health"] == "healthy"  # the server still says ready
    assert "refused" not in got["churn-prod"]["metrics_note"]  # known only to Prometheus: up = 1
    assert got["churn-prod"]["health"] == "healthy" and got["churn-prod"]["sources"] == ["prom"]
