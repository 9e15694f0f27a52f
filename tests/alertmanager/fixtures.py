"""Reusable fixtures around real Alertmanagers (loaded by this directory's conftest; other test
directories can load them with `pytest_plugins = ["tests.alertmanager.fixtures"]` in the root
conftest, or by importing the fixture names).

- `alertmanager_server` (session): one real Alertmanager; `.url`, `.post_alerts(list)`,
  `.alerts()`, `.silences()`, `.resolve_alerts(list)`, `.expire_all_silences()`, `.version`.
- `alertmanager_server_b` (session): a second, independent one (HA-pair tests).
- `alertmanager_case` (function): a unique `test="..."` label value for this test, helpers to
  build and post alerts carrying it and a backend filtered to it; afterwards the test's alerts
  are resolved and every silence still active is expired.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from tests.alertmanager.server import AlertmanagerServer
from tests.server_process import ServerError


def _start(tmp_path_factory: pytest.TempPathFactory, name: str) -> AlertmanagerServer:
    server = AlertmanagerServer(tmp_path_factory.mktemp(f"alertmanager-{name}"), name)
    try:
        server.start()
    except ServerError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    return server


@pytest.fixture(scope="session")
def alertmanager_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerServer]:
    server = _start(tmp_path_factory, "a")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def alertmanager_server_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerServer]:
    server = _start(tmp_path_factory, "b")
    try:
        yield server
    finally:
        server.stop()


@dataclass
class AlertmanagerCase:
    """One test's slice of the shared server: alerts carry `test="<tag>"`."""

    server: AlertmanagerServer
    tag: str
    posted: list[tuple[AlertmanagerServer, dict[str, Any]]] = field(default_factory=list)

    @property
    def filter(self) -> str:
        return f'test="{self.tag}"'

    def alert(
        self,
        name: str = "ModelLatencyHigh",
        severity: str = "warning",
        model: str = "fraud",
        deployment: str = "fraud-prod",
        summary: str | None = None,
        runbook_url: str | None = None,
        **labels: str,
    ) -> dict[str, Any]:
        """A postable alert (wire format) with this test's tag."""
        return {
            "labels": {
                "alertname": name,
                "severity": severity,
                "model": model,
                "deployment": deployment,
                "test": self.tag,
                **labels,
            },
            "annotations": {
                "summary": summary if summary is not None else f"{name} on {model}",
                "runbook_url": runbook_url or f"https://runbooks.example/{name}",
            },
            "generatorURL": f"http://prometheus.example/graph?g0.expr={name}",
        }

    def post(self, *alerts: dict[str, Any], to: list[AlertmanagerServer] | None = None) -> None:
        for server in to or [self.server]:
            server.post_alerts(alerts)
            self.posted.extend((server, a) for a in alerts)

    def backend(
        self, name: str = "am", server: AlertmanagerServer | None = None, **options: Any
    ) -> AlertmanagerBackend:
        """A backend on the server, filtered to this test's alerts."""
        opts = {"url": (server or self.server).url, "filters": [self.filter], **options}
        return AlertmanagerBackend(name, AlertmanagerBackend.Options(**opts))

    def cleanup(self) -> None:
        servers: dict[int, AlertmanagerServer] = {id(self.server): self.server}
        by_server: dict[int, list[dict[str, Any]]] = {}
        for server, alert in self.posted:
            servers[id(server)] = server
            by_server.setdefault(id(server), []).append(alert)
        for key, server in servers.items():
            if server.proc is None or server.proc.poll() is not None:
                continue
            if by_server.get(key):
                server.resolve_alerts(by_server[key])
            server.expire_all_silences()


@pytest.fixture
def alertmanager_case(alertmanager_server: AlertmanagerServer) -> Iterator[AlertmanagerCase]:
    case = AlertmanagerCase(alertmanager_server, f"t-{uuid.uuid4().hex[:10]}")
    try:
        yield case
    finally:
        case.cleanup()
