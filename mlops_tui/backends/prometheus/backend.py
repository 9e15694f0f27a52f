"""The `prometheus` backend: per-feature drift history from a gauge such as
`model_drift_score{model, feature}`, compared with a configured threshold.

There is no standard drift metric, so its name, labels, threshold and direction are options.
Series are aggregated by (model, feature) so that HA replicas scraping the same exporter do
not show up twice: `max` when higher is drift, `min` when lower is (p-values).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from pydantic import Field, field_validator, model_validator

from mlops_tui.backends.base import Backend, BackendData, Capability, RunQuery
from mlops_tui.backends.errors import BackendError, BadResponse
from mlops_tui.backends.http import HttpBackendOptions, JsonHttp
from mlops_tui.backends.prometheus.convert import WireError, drift_from_matrix, parse_duration
from mlops_tui.backends.prometheus.serving import SeriesCache, ServingTarget, poll_serving, unknown_metrics
from mlops_tui.domain import Deployment, DriftScore, HealthSample
from mlops_tui.domain.alerts import FiringInterval

API = "/api/v1"
MAX_POINTS = 11_000  # Prometheus refuses a range query with more points per series
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PrometheusOptions(HttpBackendOptions):
    drift_metric: str = Field(
        default="model_drift_score", description='gauge name or selector, e.g. model_drift_score{env="prod"}'
    )
    drift_threshold: float = Field(default=0.2, description="scores past this are drift")
    drift_higher_is_drift: bool = Field(default=True, description="false for p-value style scores")
    drift_window: str = Field(default="6h", description="how much history to read (Prometheus duration)")
    drift_step: str = Field(default="5m", description="one point per step (Prometheus duration)")
    model_label: str = Field(default="model", description="label holding the model name")
    feature_label: str = Field(default="feature", description="label holding the feature name")
    serving: list[ServingTarget] = Field(
        default_factory=list, description="[[backends.serving]] tables: deployment, preset, selector, ..."
    )

    @field_validator("drift_metric")
    @classmethod
    def _check_metric(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a metric, e.g. model_drift_score")
        return value.strip()

    @field_validator("drift_threshold")
    @classmethod
    def _check_threshold(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("drift_window", "drift_step")
    @classmethod
    def _check_duration(cls, value: str) -> str:
        parse_duration(value)
        return value.strip()

    @field_validator("model_label", "feature_label")
    @classmethod
    def _check_label(cls, value: str) -> str:
        if not _LABEL.match(value):
            raise ValueError("must be a Prometheus label name (letters, digits, _)")
        return value

    @model_validator(mode="after")
    def _check_points(self) -> PrometheusOptions:
        points = parse_duration(self.drift_window) / parse_duration(self.drift_step)
        if points > MAX_POINTS:
            raise ValueError(
                f"drift_window / drift_step gives {points:,.0f} points; Prometheus allows at most "
                f"{MAX_POINTS:,}: make the step longer or the window shorter"
            )
        return self


class PrometheusBackend(Backend[PrometheusOptions]):
    kind = "prometheus"
    description = (
        "Prometheus: drift scores from a gauge such as model_drift_score{model, feature}, and "
        "serving metrics (up, rate, errors, p50/p95) of deployments."
    )
    capabilities = frozenset({Capability.DRIFT, Capability.DEPLOYMENTS})

    def __init__(self, name: str = "prometheus", options: PrometheusOptions | Mapping[str, Any] | None = None) -> None:
        super().__init__(name, options)
        self.http = JsonHttp("Prometheus", self.options)
        self._serving_poll: asyncio.Future[tuple[list[Deployment], list[HealthSample]]] | None = None
        self._serving_series: SeriesCache = {}  # chart histories, read again once a step has passed

    # -- life cycle ----------------------------------------------------------------------
    async def open(self) -> None:
        self.http.client()

    async def close(self) -> None:
        await self.http.aclose()

    async def server_version(self) -> str:
        body = await self.http.get_json(f"{API}/status/buildinfo", what="the build info")
        data = body.get("data") if isinstance(body, dict) else None
        version = data.get("version") if isinstance(data, dict) else None
        if not isinstance(version, str):
            raise BadResponse(f"{self.http.where}: /api/v1/status/buildinfo has no version")
        return version

    async def collect(self, query: RunQuery) -> BackendData:
        self._serving_poll = None  # one serving poll per fetch, shared by the two lists below
        return await super().collect(query)

    # -- serving metrics (serving.py) ----------------------------------------------------
    def _serving(self) -> asyncio.Future[tuple[list[Deployment], list[HealthSample]]]:
        if self._serving_poll is None:
            self._serving_poll = asyncio.ensure_future(
                poll_serving(self.http, self.options.serving, backend=self.name, cache=self._serving_series)
            )
        return self._serving_poll

    async def list_deployments(self) -> Sequence[Deployment]:
        try:
            return (await self._serving())[0]
        except BackendError as exc:
            # the poll fails; still say which deployments now have unknown metrics, and why
            stubs = unknown_metrics(self.options.serving, backend=self.name, why=str(exc))
            self.report_partial(BackendData(deployments=tuple(stubs), health=()))
            raise

    async def list_health(self) -> Sequence[HealthSample]:
        return (await self._serving())[1]

    # -- drift ---------------------------------------------------------------------------
    @property
    def drift_query(self) -> str:
        o = self.options
        agg = "max" if o.drift_higher_is_drift else "min"
        return f"{agg} by ({o.model_label}, {o.feature_label}) ({o.drift_metric})"

    async def list_drift(self) -> Sequence[DriftScore]:
        o = self.options
        end = time.time()
        start = end - parse_duration(o.drift_window)
        params = {
            "query": self.drift_query,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{parse_duration(o.drift_step):g}",
        }
        body = await self.http.get_json(f"{API}/query_range", params=params, what="the drift query")
        try:
            return drift_from_matrix(
                body,
                threshold=o.drift_threshold,
                higher_is_drift=o.drift_higher_is_drift,
                model_label=o.model_label,
                feature_label=o.feature_label,
                backend=self.name,
            )
        except WireError as exc:
            raise BadResponse(f"{self.http.where} sent a drift answer we cannot read: {exc}") from None

    # -- on-call addition: alert history from ALERTS (alert_history.py) -------------------
    async def alert_history(self, alertname: str, labels: dict[str, str], since: timedelta) -> list[FiringInterval]:
        """The alert's firing intervals over `since`, oldest first."""
        from mlops_tui.backends.prometheus.alert_history import fetch_alert_history

        try:
            return await fetch_alert_history(self.http, API, alertname, labels, since)
        except ValueError as exc:
            raise BadResponse(f"{self.http.where} sent an alert history we cannot read: {exc}") from None

    async def alert_history_series(
        self, alertname: str | None, since: timedelta
    ) -> list[tuple[dict[str, str], list[FiringInterval]]]:
        """Every ALERTS series (of one alert name, or all) with its firing intervals."""
        from mlops_tui.backends.prometheus.alert_history import fetch_history_series

        try:
            return await fetch_history_series(self.http, API, alertname, since)
        except ValueError as exc:
            raise BadResponse(f"{self.http.where} sent an alert history we cannot read: {exc}") from None
