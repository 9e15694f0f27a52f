"""A real MLflow scoring server (`mlflow models serve`) on 127.0.0.1, for the `mlflow-serving`
backend's tests: a tiny pyfunc model saved with the MLflow venv's own Python, served with
`--env-manager local`, stopped by PID (its process group: uvicorn has a worker)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.mlflow.server import VENV, ensure_mlflow, server_env
from tests.server_process import LocalServer, ServerError

SAVE_MODEL = """
import mlflow.pyfunc
class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input
mlflow.pyfunc.save_model({path!r}, python_model=Echo())
"""


class ScoringServer(LocalServer):
    NAME = "mlflow models serve"
    KILL_GROUP = True
    STOP_TIMEOUT = 10.0

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        super().__init__(self.directory / "scoring.log")
        self.model = self.directory / "model"
        self._mlflow = ""

    def start(self, timeout: float = 180.0) -> ScoringServer:
        self._mlflow = str(ensure_mlflow())
        self.directory.mkdir(parents=True, exist_ok=True)
        saved = subprocess.run(
            [str(VENV / "bin" / "python"), "-c", SAVE_MODEL.format(path=str(self.model))],
            capture_output=True, text=True, timeout=300, env=server_env(), cwd=self.directory,
        )  # fmt: skip
        if saved.returncode != 0:
            raise ServerError(f"could not save the test model:\n{saved.stderr[-2000:]}")
        env = server_env()
        env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        self.launch(timeout, interval=0.3, env=env, cwd=self.directory, start_new_session=True)
        return self

    def command(self, port: int) -> list[str]:
        return [self._mlflow, "models", "serve", "-m", str(self.model), "--env-manager", "local",
                "-h", "127.0.0.1", "-p", str(port), "-w", "1"]  # fmt: skip

    def stop(self) -> None:
        """The CLI process leaves its uvicorn child running when it gets SIGTERM alone: stop the
        child first (SIGTERM to the process group this server leads), then the rest by PID."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        super().stop()
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # anything still left of the group
            except ProcessLookupError:
                pass

    def ready(self) -> bool:
        return not self.exited() and self.http.get("/ping", timeout=1).status_code == 200
