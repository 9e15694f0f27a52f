"""A real MLServer (Open Inference Protocol v2) on 127.0.0.1 with the tests' own runtime.

It runs from its own venv (`.test-servers/mlserver-venv`, made by scripts/install-mlserver.sh,
run here when missing) and serves model folders written into a directory of the caller's
choosing, each a `model-settings.json` naming `mlops_test_runtime.WeightModel` with its version
in `parameters.version`. HTTP, gRPC and metrics ports are free ports on 127.0.0.1. It is
stopped by PID: SIGTERM, wait, then SIGKILL of its process group (it sometimes ignores the
first SIGTERM right after start).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from tests.server_process import REPO, LocalServer, ensure_venv_tool, free_port

VENV = REPO / ".test-servers" / "mlserver-venv"
MLSERVER = VENV / "bin" / "mlserver"
RUNTIME_DIR = Path(__file__).resolve().parent


def ensure_mlserver() -> Path:
    return ensure_venv_tool(MLSERVER, "install-mlserver.sh")


class MLServerProcess(LocalServer):
    NAME = "MLServer"
    KILL_GROUP = True
    STOP_TIMEOUT = 5.0

    def __init__(self, directory: Path, models: dict[str, str] | None = None) -> None:
        """`models`: model name -> version, each written as a model folder before start."""
        self.directory = Path(directory)
        super().__init__(self.directory / "mlserver.log")
        self.repository = self.directory / "models"
        self.models = dict(models or {"fraud-detector": "6"})
        self.grpc_port = 0
        self.metrics_port = 0
        self._mlserver = ""

    # -- life cycle -----------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> MLServerProcess:
        self._mlserver = str(ensure_mlserver())
        self.repository.mkdir(parents=True, exist_ok=True)
        for name, version in self.models.items():
            self.write_model(name, version)
        env = dict(os.environ, PYTHONPATH=str(RUNTIME_DIR), PYTHONUNBUFFERED="1")
        self.launch(timeout, interval=0.2, env=env, cwd=self.directory, start_new_session=True)
        return self

    def restart(self, timeout: float = 90.0) -> None:
        """Start again on the same ports (after `stop()`)."""
        env = dict(os.environ, PYTHONPATH=str(RUNTIME_DIR), PYTHONUNBUFFERED="1")
        self.launch(timeout, port=self.port, interval=0.2, env=env, cwd=self.directory, start_new_session=True)

    def command(self, port: int) -> list[str]:
        if not self.grpc_port:
            self.grpc_port, self.metrics_port = free_port(), free_port()
        settings = {
            "host": "127.0.0.1",  # else it binds 0.0.0.0
            "http_port": port,
            "grpc_port": self.grpc_port,
            "metrics_port": self.metrics_port,
            "parallel_workers": 0,
            "debug": False,
        }
        (self.repository / "settings.json").write_text(json.dumps(settings))
        return [self._mlserver, "start", str(self.repository)]

    def ready(self) -> bool:
        return not self.exited() and self.http.get("/v2/health/ready", timeout=1).status_code == 200

    @property
    def metrics_target(self) -> str:
        return f"127.0.0.1:{self.metrics_port}"

    # -- models ---------------------------------------------------------------------------
    def model_dir(self, name: str) -> Path:
        return self.repository / name

    def write_model(self, name: str, version: str, weight: float = 2.0) -> None:
        """A model folder: its settings (version in parameters.version) and its weight file."""
        folder = self.model_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.txt").write_text(str(weight))
        settings = {
            "name": name,
            "implementation": "mlops_test_runtime.WeightModel",
            "parameters": {"version": version, "uri": "./model.txt"},
            "inputs": [{"name": "amount", "datatype": "FP64", "shape": [-1]}],
            "outputs": [{"name": "score", "datatype": "FP64", "shape": [-1]}],
        }
        (folder / "model-settings.json").write_text(json.dumps(settings))
        self.models[name] = version

    def break_model(self, name: str) -> None:
        """Remove the model's file: its next load fails with FileNotFoundError."""
        (self.model_dir(name) / "model.txt").unlink(missing_ok=True)

    # -- the Open Inference Protocol ------------------------------------------------------
    def infer(self, name: str, values: list[float]) -> httpx.Response:
        body = {"inputs": [{"name": "amount", "shape": [len(values)], "datatype": "FP64", "data": values}]}
        return self.http.post(f"/v2/models/{name}/infer", json=body)

    def unload(self, name: str) -> httpx.Response:
        return self.http.post(f"/v2/repository/models/{name}/unload")

    def load(self, name: str) -> httpx.Response:
        return self.http.post(f"/v2/repository/models/{name}/load")

    def index(self) -> list[dict[str, Any]]:
        return self.http.post("/v2/repository/index", json={}).json()

    def metrics_text(self) -> str:
        return httpx.get(f"http://{self.metrics_target}/metrics", timeout=5).text
