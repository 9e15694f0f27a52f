"""The `mlflow-serving` backend: `GET /ping` and `/version` of MLflow's scoring server.

That server has no metrics and `/version` answers the MLflow version, not the model's: the
served version comes from each deployment's `version` setting.

    [[backends]]
    name = "scoring"
    kind = "mlflow-serving"
    [[backends.deployments]]
    name = "churn-prod"
    url = "http://127.0.0.1:5001"
    version = "4"
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from mlops_tui.backends.base import Backend, Capability
from mlops_tui.backends.errors import BackendError, BackendUnavailable, Unauthorized
from mlops_tui.backends.http import HttpStatusFailure
from mlops_tui.backends.model_servers import (
    ModelServerOptions,
    ServedDeployment,
    ServerPool,
    failure_words,
)
from mlops_tui.domain import Deployment, DeploymentHealth
from mlops_tui.domain.base import utcnow


class MlflowServingBackend(Backend[ModelServerOptions]):
    kind = "mlflow-serving"
    description = "MLflow's scoring server (mlflow models serve): health only; the version comes from config."
    capabilities = frozenset({Capability.DEPLOYMENTS})

    def __init__(self, name: str = "mlflow-serving", options: ModelServerOptions | None = None) -> None:
        super().__init__(name, options)
        self.servers = ServerPool("MLflow scoring server", self.options)

    async def close(self) -> None:
        await self.servers.aclose()

    async def list_deployments(self) -> Sequence[Deployment]:
        urls = list(dict.fromkeys(d.url for d in self.options.deployments))
        answers = dict(zip(urls, await asyncio.gather(*(self._ping(u) for u in urls))))
        at = utcnow()
        return [self._deployment(d, *answers[d.url], at) for d in self.options.deployments]

    async def _ping(self, url: str) -> tuple[DeploymentHealth, str, str]:
        """(health, reason, platform) of one scoring server."""
        http = self.servers.client(url)
        ping, version = await asyncio.gather(
            http.request("GET", "/ping"), http.request("GET", "/version"), return_exceptions=True
        )
        for r in (ping, version):
            if isinstance(r, BaseException) and not isinstance(r, BackendError):
                raise r
        platform = f"mlflow {version.text.strip()}" if not isinstance(version, BaseException) else "mlflow"
        if not isinstance(ping, BaseException):
            try:
                if ping.content.strip() and "json" in ping.headers.get("content-type", ""):
                    http.decode(ping, "/ping")  # MLflow answers a bare newline; anything else must be JSON
            except BackendError as exc:
                return DeploymentHealth.UNKNOWN, f"server health unknown: {failure_words(exc, http)}", platform
            return DeploymentHealth.HEALTHY, "", platform
        words = failure_words(ping, http)
        if isinstance(ping, HttpStatusFailure):
            return DeploymentHealth.DOWN, f"server up, model not ready: {words} from /ping", platform
        if isinstance(ping, BackendUnavailable) and not words.startswith("did not answer"):
            return DeploymentHealth.DOWN, f"server not answering: {words}", platform
        if isinstance(ping, Unauthorized):
            return DeploymentHealth.UNKNOWN, f"server {words}", platform
        return DeploymentHealth.UNKNOWN, f"server not answering: {words}", platform

    def _deployment(
        self, cfg: ServedDeployment, health: DeploymentHealth, reason: str, platform: str, at: datetime
    ) -> Deployment:
        ready = True if health == DeploymentHealth.HEALTHY else (False if health == DeploymentHealth.DOWN else None)
        live = None if health == DeploymentHealth.UNKNOWN else not reason.startswith("server not answering")
        return cfg.deployment(
            backend=self.name,
            version=cfg.version,
            endpoint=f"{cfg.url}/invocations",
            health=health,
            ready=ready,
            live=live,
            reason=reason,
            platform=platform,
            checked_at=at,
        )
