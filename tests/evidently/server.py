"""A real `evidently ui` on 127.0.0.1 over a workspace built for the tests.

Evidently lives in its own venv (`.test-servers/evidently-venv`, made by
scripts/install-evidently.sh, which is run here when the venv is missing). The workspace is
built by `build_workspace.py` inside that venv and cached under
`.test-servers/evidently-workspace-<hash>` (hash of the builder's text and the installed
Evidently version), so only the first run pays for it; each session serves a copy, so the
cached one is never touched by the server. The server is stopped by PID: SIGTERM, wait,
SIGKILL. Everything runs with DO_NOT_TRACK=1 (Evidently's usage telemetry off).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.server_process import REPO, LocalServer, ServerError, ensure_venv_tool

SERVERS = REPO / ".test-servers"
VENV = SERVERS / "evidently-venv"
PYTHON = VENV / "bin" / "python"
EVIDENTLY = VENV / "bin" / "evidently"
BUILDER = Path(__file__).with_name("build_workspace.py")


def evidently_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(DO_NOT_TRACK="1", PYTHONUNBUFFERED="1")
    env.pop("EVIDENTLY_SECRET", None)  # the UI would demand it for writes; we start our own
    return env


def ensure_evidently() -> Path:
    """The `evidently` executable of the server venv, installing it first if needed."""
    return ensure_venv_tool(EVIDENTLY, "install-evidently.sh", env=evidently_env(), also=(PYTHON,))


def _installed_version() -> str:
    found = sorted((VENV / "lib").glob("python*/site-packages/evidently-*.dist-info"))
    return found[-1].name if found else "unknown"


def workspace_key() -> str:
    digest = hashlib.sha256(BUILDER.read_bytes())
    digest.update(_installed_version().encode())
    return digest.hexdigest()[:16]


def cached_workspace() -> Path:
    """The built workspace (with `manifest.json`), building it when this builder never ran."""
    ensure_evidently()
    target = SERVERS / f"evidently-workspace-{workspace_key()}"
    if (target / "manifest.json").exists():
        return target
    building = target.with_name(f"{target.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    result = subprocess.run(
        [str(PYTHON), str(BUILDER), str(building)],
        capture_output=True, text=True, timeout=300, cwd=REPO, env=evidently_env(),
    )  # fmt: skip
    if result.returncode != 0 or not (building / "manifest.json").exists():
        shutil.rmtree(building, ignore_errors=True)
        raise ServerError(
            f"building the Evidently workspace failed (exit {result.returncode}):\n"
            + (result.stdout + result.stderr)[-3000:]
        )
    try:
        building.rename(target)  # atomic: a parallel session sees all of it or none
    except OSError:
        shutil.rmtree(building, ignore_errors=True)  # another session won the race
        if not (target / "manifest.json").exists():
            raise
    return target


class EvidentlyServer(LocalServer):
    """One `evidently ui` process: `url`, `pid`, `version`, `workspace`, `manifest`, `get()`."""

    NAME = "the Evidently UI"
    STOP_TIMEOUT = 10.0

    def __init__(self, workspace: Path, *, secret: str | None = None) -> None:
        self.workspace = Path(workspace)
        super().__init__(self.workspace.parent / f"{self.workspace.name}-ui.log")
        self.secret = secret
        self.version = ""
        self.manifest: dict[str, Any] = json.loads((self.workspace / "manifest.json").read_text())
        self._evidently = ""

    def start(self, timeout: float = 60.0) -> EvidentlyServer:
        self._evidently = str(ensure_evidently())
        self.launch(timeout, interval=0.1, env=evidently_env(), cwd=self.workspace.parent)
        self.version = self.http.get("/api/version").json()["version"]
        return self

    def command(self, port: int) -> list[str]:
        command = [
            self._evidently, "ui",
            "--workspace", str(self.workspace),
            "--host", "127.0.0.1",
            "--port", str(port),
        ]  # fmt: skip
        return command + (["--secret", self.secret] if self.secret else [])

    def ready(self) -> bool:
        return not self.exited() and self.http.get("/api/projects", timeout=2).status_code == 200

    # -- what tests need -------------------------------------------------------------------------
    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def project_id(self, name: str) -> str:
        return self.manifest["projects"][name]["id"]

    def snapshot_ids(self, name: str) -> list[str]:
        """The project's snapshot ids, oldest first, as the builder made them."""
        return [s["id"] for s in self.manifest["projects"][name]["snapshots"]]

    def stored_snapshot(self, name: str, snapshot_id: str) -> dict[str, Any]:
        """A snapshot as the workspace stores it (the body the write API takes)."""
        path = self.workspace / self.project_id(name) / "snapshots" / f"{snapshot_id}.json"
        return json.loads(path.read_text())

    def add_snapshot(self, name: str, snapshot: dict[str, Any]) -> str:
        """POST /api/v2/snapshots/{project}: what `RemoteWorkspace.add_run` does; the new id."""
        response = self.http.post(f"/api/v2/snapshots/{self.project_id(name)}", json=snapshot)
        response.raise_for_status()
        return response.json()["snapshot_id"]

    def delete_snapshot(self, name: str, snapshot_id: str) -> None:
        response = self.http.delete(f"/api/projects/{self.project_id(name)}/{snapshot_id}")
        response.raise_for_status()
