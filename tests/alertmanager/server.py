"""A real `prometheus-alertmanager` process on 127.0.0.1 for tests and benchmarks.

Started on a free port with no cluster port and a minimal config in a temp dir, waited for
through `/-/ready`, stopped by PID (SIGTERM, wait, SIGKILL). If the binary is missing the
repo's install script is run first, so a fresh machine needs no manual step.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
BINARY = "prometheus-alertmanager"

CONFIG = """\
route:
  receiver: "null"
  group_by: [alertname, model]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
"""


class ServerError(RuntimeError):
    """A test server could not be installed or started."""


# -- process helpers shared with the Prometheus tests and the bench ----------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_installed(binary: str, script: str) -> str:
    """The binary's path; runs `scripts/<script>` (apt-get) when it is missing."""
    path = shutil.which(binary)
    if path:
        return path
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / script)], capture_output=True, text=True, timeout=600
    )
    path = shutil.which(binary)
    if result.returncode != 0 or not path:
        raise ServerError(
            f"{binary} is not installed and scripts/{script} failed (exit {result.returncode}):\n"
            + (result.stdout + result.stderr)[-2000:]
        )
    return path


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM by PID, wait, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        proc.wait(timeout)


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (httpx.HTTPError, OSError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise ServerError(f"{what} within {timeout}s")
        time.sleep(interval)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the server ------------------------------------------------------------------------------------
class AlertmanagerServer:
    """One Alertmanager. `url`, `pid`, `version`; `post_alerts`, `alerts`, `silences`, ..."""

    def __init__(self, workdir: Path, name: str = "am") -> None:
        self.workdir = Path(workdir)
        self.name = name
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.version = ""
        self._http: httpx.Client | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=10)
        return self._http

    def start(self, binary: str | None = None) -> AlertmanagerServer:
        binary = binary or ensure_installed(BINARY, "install-alertmanager.sh")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "alertmanager.yml"
        config.write_text(CONFIG)
        log = self._log = (self.workdir / "alertmanager.log").open("wb")
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            self.proc = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--cluster.listen-address=",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                wait_until(self._ready, 10, f"Alertmanager {self.name} was not ready")
                break
            except ServerError:
                stop_process(self.proc)
                if _attempt == 2:
                    raise ServerError(
                        f"Alertmanager {self.name} did not start; log:\n"
                        + (self.workdir / "alertmanager.log").read_text()[-2000:]
                    ) from None
        self.version = self.http.get("/api/v2/status").json()["versionInfo"]["version"]
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise ServerError(f"Alertmanager {self.name} exited with {self.proc.returncode}")
        return self.http.get("/-/ready", timeout=1).status_code == 200

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.proc is not None:
            stop_process(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- what tests need -------------------------------------------------------------------------
    def post_alerts(self, alerts: Iterable[dict[str, Any]]) -> None:
        """POST /api/v2/alerts (wire format: labels, annotations, startsAt, endsAt, ...)."""
        response = self.http.post("/api/v2/alerts", json=list(alerts))
        response.raise_for_status()

    def resolve_alerts(self, alerts: Iterable[dict[str, Any]]) -> None:
        """Resolve alerts now (endsAt in the past); they leave GET alerts at once."""
        now = datetime.now(timezone.utc)
        self.post_alerts(
            {
                "labels": a["labels"],
                "annotations": a.get("annotations", {}),
                "startsAt": iso(now - timedelta(minutes=10)),
                "endsAt": iso(now - timedelta(seconds=1)),
            }
            for a in alerts
        )

    def alerts(self, *filters: str) -> list[dict[str, Any]]:
        params = [("filter", f) for f in filters]
        response = self.http.get("/api/v2/alerts", params=params)
        response.raise_for_status()
        return response.json()

    def silences(self) -> list[dict[str, Any]]:
        response = self.http.get("/api/v2/silences")
        response.raise_for_status()
        return response.json()

    def silence(self, silence_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/v2/silence/{silence_id}")
        response.raise_for_status()
        return response.json()

    def expire_all_silences(self) -> None:
        for s in self.silences():
            if s["status"]["state"] != "expired":
                self.http.delete(f"/api/v2/silence/{s['id']}")

    def __enter__(self) -> AlertmanagerServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
