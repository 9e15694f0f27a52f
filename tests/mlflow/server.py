"""A real `mlflow server` on 127.0.0.1 for tests and the bench, plus REST helpers to seed it.

The server runs from its own venv (`.test-servers/mlflow-venv`, made by
scripts/install-mlflow.sh, which is run here when the venv is missing), with a sqlite store
in a directory of the caller's choosing, on a free port. It is stopped by PID: SIGTERM,
wait, then SIGKILL of the process group it was started in (its own).

    with MlflowServer(tmp_dir) as server:
        exp = server.create_experiment("fraud")
        run = server.create_run(exp, metrics={"auc": 0.93}, params={"model": "xgb"})
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


from tests.server_process import REPO, LocalServer, ensure_venv_tool, free_port

VENV = REPO / ".test-servers" / "mlflow-venv"
MLFLOW = VENV / "bin" / "mlflow"
API = "/api/2.0/mlflow"


class RestError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def ensure_mlflow() -> Path:
    """The `mlflow` executable of the server venv, installing it first if needed."""
    return ensure_venv_tool(MLFLOW, "install-mlflow.sh")


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",  # else a job runner and 5 consumers start
        MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT="true",
        PYTHONUNBUFFERED="1",
    )
    # The tests' isolation sets XDG dirs and the like; the server needs none of our settings.
    for var in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
    ):
        env.pop(var, None)
    return env


def _wire_float(value: float) -> float | str:
    """MLflow's JSON takes NaN and infinities as strings; httpx refuses the bare floats."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def ms(seconds_ago: float = 0.0) -> int:
    return int((time.time() - seconds_ago) * 1000)


class MlflowServer(LocalServer):
    """One `mlflow server` process and a synchronous REST client for seeding and checking."""

    NAME = "mlflow server"
    HTTP_TIMEOUT = 30.0
    KILL_GROUP = True  # started in its own process group, so a SIGKILL reaches the workers
    STOP_TIMEOUT = 10.0

    def __init__(self, directory: Path, *, port: int | None = None, db: Path | None = None) -> None:
        self.directory = Path(directory)
        super().__init__(self.directory / "server.log")
        self.port = port or free_port()  # known before start: a test may restart it on the same port
        self.db = db or self.directory / "mlflow.db"
        self.artifacts = self.directory / "artifacts"
        self._mlflow = ""

    # -- life cycle -------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> MlflowServer:
        self._mlflow = str(ensure_mlflow())
        self.directory.mkdir(parents=True, exist_ok=True)
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.launch(timeout, port=self.port, interval=0.2, env=server_env(), cwd=self.directory, start_new_session=True)
        return self

    def command(self, port: int) -> list[str]:
        return [
            self._mlflow, "server",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--workers", "1",
            "--backend-store-uri", f"sqlite:///{self.db.resolve()}",
            "--default-artifact-root", str(self.artifacts.resolve()),
        ]  # fmt: skip

    def ready(self) -> bool:
        return not self.exited() and self.http.get("/health", timeout=1).text.strip() == "OK"

    # -- REST ---------------------------------------------------------------------------------
    def rest(
        self,
        method: str,
        path: str,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Call `/api/2.0/mlflow/<path>`; raises RestError on an error status."""
        response = self.http.request(method, API + "/" + path.lstrip("/"), json=json, params=params)
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise RestError(response.status_code, body)
        return body

    def server_version(self) -> str:
        return self.http.get("/version").text.strip()

    # -- seeding helpers ------------------------------------------------------------------------
    def create_experiment(self, name: str | None = None) -> str:
        name = name or f"exp-{uuid.uuid4().hex[:8]}"
        return self.rest("POST", "experiments/create", {"name": name})["experiment_id"]

    def create_run(
        self,
        experiment_id: str,
        *,
        name: str = "",
        params: Mapping[str, str] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        status: str = "FINISHED",
        start_ms: int | None = None,
        user: str = "tester",
    ) -> str:
        start = start_ms if start_ms is not None else ms()
        body: dict[str, Any] = {
            "experiment_id": experiment_id,
            "start_time": start,
            "user_id": user,
        }
        if name:
            body["run_name"] = name
        if tags:
            body["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        run_id = self.rest("POST", "runs/create", body)["run"]["info"]["run_id"]
        if params or metrics:
            self.log_batch(run_id, params=params, metrics=metrics, at_ms=start)
        if status != "RUNNING":
            self.finish_run(run_id, status=status, end_ms=start + 60_000)
        return run_id

    def log_batch(
        self,
        run_id: str,
        *,
        params: Mapping[str, str] | None = None,
        metrics: Mapping[str, float] | None = None,
        at_ms: int | None = None,
        step: int = 0,
    ) -> None:
        at = at_ms if at_ms is not None else ms()
        self.rest(
            "POST",
            "runs/log-batch",
            {
                "run_id": run_id,
                "params": [{"key": k, "value": str(v)} for k, v in (params or {}).items()],
                "metrics": [
                    {"key": k, "value": _wire_float(v), "timestamp": at, "step": step}
                    for k, v in (metrics or {}).items()
                ],
            },
        )

    def finish_run(self, run_id: str, *, status: str = "FINISHED", end_ms: int | None = None) -> None:
        self.rest(
            "POST",
            "runs/update",
            {
                "run_id": run_id,
                "status": status,
                "end_time": end_ms if end_ms is not None else ms(),
            },
        )

    def delete_run(self, run_id: str) -> None:
        self.rest("POST", "runs/delete", {"run_id": run_id})

    def create_model(self, name: str) -> None:
        self.rest("POST", "registered-models/create", {"name": name})

    def create_version(self, model: str, run_id: str) -> str:
        body = {"name": model, "source": f"runs:/{run_id}/model", "run_id": run_id}
        return str(self.rest("POST", "model-versions/create", body)["model_version"]["version"])

    def set_alias(self, model: str, alias: str, version: str) -> None:
        self.rest("POST", "registered-models/alias", {"name": model, "alias": alias, "version": version})

    def version_tags(self, model: str, version: str) -> dict[str, str]:
        mv = self.rest("GET", "model-versions/get", params={"name": model, "version": version})
        return {t["key"]: t["value"] for t in mv["model_version"].get("tags", [])}

    def alias_version(self, model: str, alias: str) -> str | None:
        try:
            answer = self.rest("GET", "registered-models/alias", params={"name": model, "alias": alias})
        except RestError:
            return None
        return str(answer["model_version"]["version"])

    def seed_model(self, model: str, experiment_id: str, versions: int = 2) -> list[str]:
        """A registered model with `versions` versions, each from a run of its own."""
        self.create_model(model)
        out = []
        for i in range(versions):
            run_id = self.create_run(experiment_id, name=f"{model}-train-{i}", metrics={"auc": 0.8 + i / 100})
            out.append(self.create_version(model, run_id))
        return out


def bulk_runs(specs: Iterable[dict[str, Any]], server: MlflowServer, experiment_id: str) -> list[str]:
    """Create many runs (each spec: create_run's keyword arguments); returns their ids."""
    return [server.create_run(experiment_id, **spec) for spec in specs]
