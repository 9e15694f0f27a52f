"""A real alerting pipeline on 127.0.0.1: exporter gauge -> Prometheus rule -> Alertmanager.

The exporter is the stdlib `DriftExporter` of tests/prometheus (an `http.server` serving
/metrics from a dict). It serves `oncall_switch{model, feature}`; a rule fires `OncallModelDown`
while `feature="down"` is 1 and `OncallLatencyHigh` while `feature="latency"` is 1, per model.
Prometheus evaluates every second with `for: 0s` and sends to a real Alertmanager whose
inhibit rule lets a firing `OncallModelDown` inhibit `OncallLatencyHigh` of the same model.
Each test uses its own `model` value, so tests share the servers without seeing each other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.alertmanager.server import BINARY as AM_BINARY
from tests.alertmanager.server import AlertmanagerServer
from tests.prometheus.server import BINARY as PROM_BINARY
from tests.prometheus.server import DriftExporter, PrometheusServer
from tests.server_process import ServerError, ensure_installed, wait_until

METRIC = "oncall_switch"

AM_CONFIG = """\
route:
  receiver: "null"
  group_by: [alertname, model]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
inhibit_rules:
  - source_matchers: ['alertname="OncallModelDown"']
    target_matchers: ['alertname="OncallLatencyHigh"']
    equal: [model]
"""

PROM_CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ["{rules}"]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:{am_port}"]
scrape_configs:
  - job_name: oncall
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:{exporter_port}"]
"""

RULES = """\
groups:
  - name: oncall
    interval: 1s
    rules:
      - alert: OncallModelDown
        expr: oncall_switch{feature="down"} > 0
        for: 0s
        labels: {severity: critical}
        annotations: {summary: "model {{ $labels.model }} is down"}
      - alert: OncallLatencyHigh
        expr: oncall_switch{feature="latency"} > 0
        for: 0s
        labels: {severity: warning}
        annotations: {summary: "model {{ $labels.model }} is slow"}
"""


class PipelineAlertmanager(AlertmanagerServer):
    """The test Alertmanager with an inhibit rule."""

    def start(self, binary: str | None = None) -> PipelineAlertmanager:
        self._binary = binary or ensure_installed(AM_BINARY, "install-alertmanager.sh")
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "alertmanager.yml").write_text(AM_CONFIG)
        self.launch(10)
        self.version = self.http.get("/api/v2/status").json()["versionInfo"]["version"]
        return self


class PipelinePrometheus(PrometheusServer):
    """The test Prometheus: the oncall rules, alerting to `alertmanager`."""

    def __init__(self, workdir: Path, exporter: DriftExporter, alertmanager: AlertmanagerServer) -> None:
        super().__init__(workdir, exporter)
        self.alertmanager = alertmanager

    def _target_up(self) -> bool:
        targets = self.http.get("/api/v1/targets").json()["data"]["activeTargets"]
        return any(t["health"] == "up" and t["labels"].get("job") == "oncall" for t in targets)

    def start(self) -> PipelinePrometheus:
        self._binary = ensure_installed(PROM_BINARY, "install-prometheus.sh")
        self.workdir.mkdir(parents=True, exist_ok=True)
        rules = self.workdir / "oncall.rules.yml"
        rules.write_text(RULES)
        am_port = self.alertmanager.port
        (self.workdir / "prometheus.yml").write_text(
            PROM_CONFIG.format(rules=rules, am_port=am_port, exporter_port=self.exporter.port)
        )
        self.launch(15)
        try:
            wait_until(self._target_up, 20, "the oncall exporter was not scraped")
        except ServerError:
            self.stop()
            raise ServerError(f"Prometheus never scraped the exporter; log:\n{self.log_tail()}") from None
        return self


@dataclass
class Pipeline:
    exporter: DriftExporter
    prometheus: PipelinePrometheus
    alertmanager: PipelineAlertmanager


@dataclass
class PipelineCase:
    """One test's model name on the shared pipeline; switches its alerts on and off."""

    pipeline: Pipeline
    model: str = field(default_factory=lambda: f"m{uuid.uuid4().hex[:8]}")

    @property
    def am(self) -> PipelineAlertmanager:
        return self.pipeline.alertmanager

    @property
    def filter(self) -> str:
        return f'model="{self.model}"'

    def switch(self, feature: str, on: bool) -> None:
        """`down` fires OncallModelDown, `latency` fires OncallLatencyHigh (for this model)."""
        self.pipeline.exporter.set(METRIC, self.model, feature, 1.0 if on else 0.0)

    def am_alerts(self, name: str | None = None) -> list[dict[str, Any]]:
        filters = [self.filter] + ([f'alertname="{name}"'] if name else [])
        return self.am.alerts(*filters)

    def wait_firing(self, name: str, timeout: float = 30) -> dict[str, Any]:
        return wait_until(
            lambda: next(iter(self.am_alerts(name)), None),
            timeout,
            f"{name} for {self.model} never reached Alertmanager",
        )

    def wait_resolved(self, name: str, timeout: float = 30) -> None:
        wait_until(lambda: not self.am_alerts(name), timeout, f"{name} for {self.model} never resolved")

    def silences(self) -> list[dict[str, Any]]:
        """This test's silences (their matchers name this model)."""
        return [
            s
            for s in self.am.silences()
            if any(m["name"] == "model" and m["value"] == self.model for m in s["matchers"])
        ]

    def cleanup(self) -> None:
        for feature in ("down", "latency"):
            self.pipeline.exporter.set(METRIC, self.model, feature, 0.0)
        for s in self.silences():
            if s["status"]["state"] != "expired":
                self.am.http.delete(f"/api/v2/silence/{s['id']}")
