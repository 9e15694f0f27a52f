"""A real `prometheus` on 127.0.0.1 scraping a tiny drift exporter, for tests.

The exporter is an `http.server` thread serving `/metrics` from a dict the test can change;
Prometheus scrapes it every second with `honor_labels: true`. Both stop at the end (Prometheus
by PID: SIGTERM, wait, SIGKILL).
"""

from __future__ import annotations

import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.server_process import LocalServer, ServerError, ensure_installed, wait_until

BINARY = "prometheus"

CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: drift
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:{exporter_port}"]
        labels:
          model: "from-target-label-must-lose"
"""


def _value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


class DriftExporter:
    """`/metrics` in the text exposition format; `gauges[(metric, model, feature)] = value`."""

    def __init__(self) -> None:
        self.gauges: dict[tuple[str, str, str], float] = {}
        self.lock = threading.Lock()
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                body = exporter.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def set(self, metric: str, model: str, feature: str, value: float) -> None:
        with self.lock:
            self.gauges[(metric, model, feature)] = value

    def render(self) -> str:
        with self.lock:
            items = sorted(self.gauges.items())
        lines, typed = [], set()
        for (metric, model, feature), value in items:
            if metric not in typed:
                lines.append(f"# TYPE {metric} gauge")
                typed.add(metric)
            lines.append(f'{metric}{{model="{model}",feature="{feature}"}} {_value(value)}')
        return "\n".join(lines) + "\n"

    def start(self) -> DriftExporter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class PrometheusServer(LocalServer):
    NAME = "Prometheus"

    def __init__(self, workdir: Path, exporter: DriftExporter) -> None:
        self.workdir = Path(workdir)
        super().__init__(self.workdir / "prometheus.log")
        self.exporter = exporter
        self.version = ""
        self._binary = ""

    def start(self) -> PrometheusServer:
        self._binary = ensure_installed(BINARY, "install-prometheus.sh")
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "prometheus.yml").write_text(CONFIG.format(exporter_port=self.exporter.port))
        self.launch(15)
        try:
            wait_until(self._target_up, 20, "the drift exporter was not scraped")
        except ServerError:
            self.stop()
            raise ServerError(f"Prometheus never scraped the exporter; log:\n{self.log_tail()}") from None
        self.version = self.http.get("/api/v1/status/buildinfo").json()["data"]["version"]
        return self

    def command(self, port: int) -> list[str]:
        return [
            self._binary,
            f"--config.file={self.workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ]

    def ready(self) -> bool:
        return not self.exited() and self.http.get("/-/ready", timeout=1).status_code == 200

    def _target_up(self) -> bool:
        targets = self.http.get("/api/v1/targets").json()["data"]["activeTargets"]
        return any(t["health"] == "up" for t in targets)

    def query(self, expr: str) -> list[dict]:
        body = self.http.get("/api/v1/query", params={"query": expr}).json()
        return body["data"]["result"]
