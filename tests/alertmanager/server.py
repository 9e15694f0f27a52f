"""A real `prometheus-alertmanager` process on 127.0.0.1 for tests and benchmarks.

Started on a free port with no cluster port and a minimal config in a temp dir, waited for
through `/-/ready`, stopped by PID (SIGTERM, wait, SIGKILL). If the binary is missing the
repo's install script is run first, so a fresh machine needs no manual step.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.server_process import LocalServer, ensure_installed

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


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the server ------------------------------------------------------------------------------------
class AlertmanagerServer(LocalServer):
    """One Alertmanager. `url`, `pid`, `version`; `post_alerts`, `alerts`, `silences`, ..."""

    def __init__(self, workdir: Path, name: str = "am") -> None:
        self.workdir = Path(workdir)
        super().__init__(self.workdir / "alertmanager.log")
        self.name = name
        self.NAME = f"Alertmanager {name}"
        self.version = ""
        self._binary = ""

    def start(self, binary: str | None = None) -> AlertmanagerServer:
        self._binary = binary or ensure_installed(BINARY, "install-alertmanager.sh")
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "alertmanager.yml").write_text(CONFIG)
        self.launch(10)
        self.version = self.http.get("/api/v2/status").json()["versionInfo"]["version"]
        return self

    def command(self, port: int) -> list[str]:
        return [
            self._binary,
            f"--config.file={self.workdir / 'alertmanager.yml'}",
            f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]

    def ready(self) -> bool:
        return not self.exited() and self.http.get("/-/ready", timeout=1).status_code == 200

    # -- what tests need -------------------------------------------------------------------------
    def post_alerts(self, alerts: Iterable[dict[str, Any]]) -> None:
        """POST /api/v2/alerts (wire format: labels, annotations, startsAt, endsAt, ...)."""
        response = self.http.post("/api/v2/alerts", json=list(alerts))
        response.raise_for_status()

    def resolve_alerts(self, alerts: Iterable[dict[str, Any]]) -> None:
        """Resolve alerts now (endsAt in the past); they leave GET alerts at once."""
        now = datetime.now(UTC)
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
