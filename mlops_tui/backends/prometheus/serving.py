"""Serving metrics from Prometheus: per-deployment `up`, request rate, error ratio, p50 and p95.

Each `[[backends.serving]]` entry names a deployment and a preset (the metric names of one
server family); every query of a preset can be overridden. The Prometheus backend reports
these as deployments of their own, joined by name in services/deployments.py with what the
model servers say; a deployment only Prometheus knows still appears, its health from `up`.

Metric names, checked against each server's own documentation or source:
- mlserver: `model_infer_request_success` / `_failure` counters (labels model, version;
  mlserver/handlers/dataplane.py) and the REST histogram `rest_server_request_duration_seconds`
  (starlette_exporter with prefix rest_server; MLServer's docs call it
  `rest_server_requests_duration_seconds`, but 1.7.1's /metrics has the singular name; paths are
  grouped as /v2/models/{model_name}/infer, so latency is per server, not per model).
- triton: `nv_inference_request_success` / `_failure` counters and the latency summary
  `nv_inference_request_summary_us` (needs `--metrics-config summary_latencies=true`; the default
  `nv_inference_request_duration_us` is a cumulative counter that gives no quantiles).
- bentoml: `bentoml_service_request_total` by `http_response_code`, and the histogram
  `bentoml_service_request_duration_seconds`.
- seldon (Core 2 agent, scheduler/pkg/metrics/agent.go): `seldon_model_infer_total` (by `code`),
  `seldon_model_infer_seconds_total`, and the histogram `seldon_model_infer_api_seconds`.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from string import Template
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlops_tui.backends.base import MaxErrorRate, MaxLatencyMs
from mlops_tui.backends.errors import BackendUnavailable, Unauthorized
from mlops_tui.backends.http import HttpStatusFailure, JsonHttp
from mlops_tui.backends.prometheus.convert import WireError, parse_duration
from mlops_tui.domain import Deployment, DeploymentHealth, HealthSample

API = "/api/v1"
QUERIES = ("up", "rate", "error_ratio", "p50", "p95")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Preset:
    """PromQL templates: `$target` is the selector (target labels, for `up`), `$sel` the
    selector plus the model matcher, `$w` the rate window. Latencies come out in ms."""

    model_label: str
    version_label: str
    rate: str
    error_ratio: str
    p50: str
    p95: str
    up: str = "min(up{$target})"


def _counters(success: str, failure: str) -> tuple[str, str]:
    ok = f"sum(rate({success}{{$sel}}[$w]))"
    bad = f"(sum(rate({failure}{{$sel}}[$w])) or vector(0))"
    return f"{ok} + {bad}", f"{bad} / ({ok} + {bad})"


def _histogram(q: float, bucket: str, scale: str = " * 1000") -> str:
    return f"histogram_quantile({q}, sum by (le) (rate({bucket}[$w]))){scale}"


_MLSERVER = _counters("model_infer_request_success_total", "model_infer_request_failure_total")
_TRITON = _counters("nv_inference_request_success", "nv_inference_request_failure")
_MLSERVER_LATENCY = 'rest_server_request_duration_seconds_bucket{path=~".*/infer",$target}'

PRESETS: dict[str, Preset] = {
    "mlserver": Preset(
        model_label="model",
        version_label="",  # MLServer's `version` label is the version asked for ("None" mostly)
        rate=_MLSERVER[0],
        error_ratio=_MLSERVER[1],
        p50=_histogram(0.5, _MLSERVER_LATENCY),
        p95=_histogram(0.95, _MLSERVER_LATENCY),
    ),
    "triton": Preset(
        model_label="model",
        version_label="version",
        rate=_TRITON[0],
        error_ratio=_TRITON[1],
        p50='max(nv_inference_request_summary_us{quantile="0.5",$sel}) / 1000',
        p95='max(nv_inference_request_summary_us{quantile="0.95",$sel}) / 1000',
    ),
    "bentoml": Preset(
        model_label="service_name",
        version_label="service_version",
        rate="sum(rate(bentoml_service_request_total{$sel}[$w]))",
        error_ratio=(
            '(sum(rate(bentoml_service_request_total{http_response_code=~"5..",$sel}[$w])) or vector(0))'
            " / sum(rate(bentoml_service_request_total{$sel}[$w]))"
        ),
        p50=_histogram(0.5, "bentoml_service_request_duration_seconds_bucket{$sel}"),
        p95=_histogram(0.95, "bentoml_service_request_duration_seconds_bucket{$sel}"),
    ),
    "seldon": Preset(
        model_label="model",
        version_label="",
        rate="sum(rate(seldon_model_infer_total{$sel}[$w]))",
        error_ratio=(
            '(sum(rate(seldon_model_infer_total{code!~"2..|OK",$sel}[$w])) or vector(0))'
            " / sum(rate(seldon_model_infer_total{$sel}[$w]))"
        ),
        p50=_histogram(0.5, "seldon_model_infer_api_seconds_bucket{$sel}"),
        p95=_histogram(0.95, "seldon_model_infer_api_seconds_bucket{$sel}"),
    ),
}


def _matchers(selector: str) -> str:
    """'{job="x", env="prod"}' or 'job="x"' -> 'job="x", env="prod"' (inside the braces)."""
    text = selector.strip()
    if text.startswith("{") != text.endswith("}"):
        raise ValueError('must be a label selector such as {job="mlserver"}')
    if text.startswith("{"):
        text = text[1:-1].strip()
    return text.rstrip(",").strip()


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class ServingTarget(BaseModel):
    """One `[[backends.serving]]` entry: the serving metrics of one deployment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deployment: str = Field(min_length=1, description="joins the deployment of that name from other backends")
    preset: Literal["mlserver", "triton", "bentoml", "seldon"] = Field(
        default="mlserver", description="the server family's metric names"
    )
    selector: str = Field(default="", description='target labels added to every query, e.g. {job="mlserver"}')
    model: str = Field(default="", description="the model label's value, when one server serves several")
    model_label: str | None = Field(default=None, description="overrides the preset's model label")
    version_label: str | None = Field(default=None, description="a label of the rate series naming the served version")
    environment: str = ""
    window: str = Field(default="5m", description="rate window (Prometheus duration)")
    history: str = Field(default="1h", description="how much history the charts get")
    step: str = Field(default="1m", description="one chart point per step")
    up: str | None = Field(default=None, description="PromQL override: 1 when the target is up")
    rate: str | None = Field(default=None, description="PromQL override: requests per second")
    error_ratio: str | None = Field(default=None, description="PromQL override: failed / all, 0..1")
    p50: str | None = Field(default=None, description="PromQL override: median latency in ms")
    p95: str | None = Field(default=None, description="PromQL override: p95 latency in ms")
    max_error_rate: MaxErrorRate = None
    max_latency_p95_ms: MaxLatencyMs = None

    @field_validator("selector")
    @classmethod
    def _check_selector(cls, value: str) -> str:
        _matchers(value)
        return value.strip()

    @field_validator("window", "history", "step")
    @classmethod
    def _check_duration(cls, value: str) -> str:
        parse_duration(value)
        return value.strip()

    @field_validator("model_label", "version_label")
    @classmethod
    def _check_label(cls, value: str | None) -> str | None:
        if value and not _LABEL.match(value):
            raise ValueError("must be a Prometheus label name (letters, digits, _)")
        return value

    @model_validator(mode="after")
    def _check_points(self) -> ServingTarget:
        if parse_duration(self.history) / parse_duration(self.step) > 11_000:
            raise ValueError("history / step gives more points than Prometheus allows (11,000)")
        return self

    # -- the queries --------------------------------------------------------------------
    def queries(self) -> dict[str, str]:
        """Every query of this deployment: its own overrides, else the preset's."""
        preset = PRESETS[self.preset]
        target = _matchers(self.selector)
        model_label = self.model_label or preset.model_label
        sel = target
        if self.model:
            model = f'{model_label}="{_label_value(self.model)}"'
            sel = f"{target}, {model}" if target else model
        values = {"target": target, "sel": sel, "w": self.window}
        out = {}
        for name in QUERIES:
            override = getattr(self, name)
            out[name] = override if override else Template(getattr(preset, name)).safe_substitute(values)
        return out

    @property
    def version_label_name(self) -> str:
        return self.version_label if self.version_label is not None else PRESETS[self.preset].version_label


# -- reading answers ----------------------------------------------------------------------
def _result(body: Any) -> tuple[str, list[Any]]:
    if not isinstance(body, Mapping) or body.get("status") != "success":
        raise WireError("the answer is not a successful API response")
    data = body.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("result"), list):
        raise WireError("the answer has no data.result")
    return str(data.get("resultType")), data["result"]


def _number(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise WireError(f"a sample is not numeric: {raw!r}") from None
    return value if math.isfinite(value) else None


def instant_value(body: Any) -> tuple[float | None, Mapping[str, str]]:
    """The value of an instant query (a vector's first series, or a scalar) and its labels;
    None for no series, NaN or ±Inf."""
    kind, result = _result(body)
    if kind == "scalar":
        if isinstance(result, list) and len(result) == 2:
            return _number(result[1]), {}
        raise WireError("a scalar is not [time, value]")
    if kind != "vector":
        raise WireError(f"expected a vector, got {kind!r}")
    if not result:
        return None, {}
    first = result[0]
    if not isinstance(first, Mapping) or not isinstance(first.get("value"), list) or len(first["value"]) != 2:
        raise WireError("a series has no [time, value]")
    raw_metric = first.get("metric")
    metric: Mapping[Any, Any] = raw_metric if isinstance(raw_metric, Mapping) else {}
    return _number(first["value"][1]), {str(k): str(v) for k, v in metric.items()}


def range_values(body: Any) -> dict[float, float | None]:
    """A range query's first series -> {timestamp: value or None}."""
    kind, result = _result(body)
    if kind != "matrix":
        raise WireError(f"expected a matrix, got {kind!r}")
    if not result:
        return {}
    values = result[0].get("values") if isinstance(result[0], Mapping) else None
    if not isinstance(values, list):
        raise WireError("a series has no values")
    out: dict[float, float | None] = {}
    for pair in values:
        if not isinstance(pair, list) or len(pair) != 2:
            raise WireError(f"a sample is not [time, value]: {pair!r}")
        out[float(pair[0])] = _number(pair[1])
    return out


# -- one deployment's poll ----------------------------------------------------------------
_FIELD = {"rate": "requests_per_second", "error_ratio": "error_rate", "p50": "latency_p50_ms", "p95": "latency_p95_ms"}


class _QueryRefused(Exception):
    def __init__(self, query: str, words: str) -> None:
        super().__init__(words)
        self.query = query
        self.words = words


# queries in flight at once: many deployments must queue here, not in the HTTP pool, whose
# wait counts against each request's timeout
MAX_CONCURRENT_QUERIES = 32


async def _ask(
    http: JsonHttp, name: str, path: str, params: dict[str, str], limit: asyncio.Semaphore | None = None
) -> Any:
    """One query; Prometheus refusing it (400/422: the user's PromQL) is that query's note.
    Unreachable, refused credentials and 5xx fail the whole poll: metrics become unknown."""
    try:
        if limit is None:
            return await http.get_json(f"{API}/{path}", params=params, what=f"the {name} query")
        async with limit:
            return await http.get_json(f"{API}/{path}", params=params, what=f"the {name} query")
    except HttpStatusFailure as exc:
        if exc.status in (400, 422):
            raise _QueryRefused(name, exc.server_message or f"HTTP {exc.status}") from None
        raise


# ServingTarget -> (when read, {query name: {timestamp: value}})
SeriesCache = dict[ServingTarget, tuple[float, dict[str, dict[float, float | None]]]]


async def poll_target(
    http: JsonHttp,
    target: ServingTarget,
    *,
    backend: str,
    now: float,
    limit: asyncio.Semaphore | None = None,
    cache: SeriesCache | None = None,
) -> tuple[Deployment, list[HealthSample]]:
    """The current values and the last `history` of one deployment's serving metrics.

    With a `cache`, the history is read again only once a `step` has passed since the last
    read (a new point can only appear then); the current values are read every poll.
    """
    queries = target.queries()
    step = parse_duration(target.step)
    start = now - parse_duration(target.history)
    calls = [_ask(http, n, "query", {"query": q, "time": f"{now:.3f}"}, limit) for n, q in queries.items()]
    cached = cache.get(target) if cache is not None else None
    fresh = cached is not None and now - cached[0] < step
    ranged = [] if fresh else [n for n in QUERIES if n != "up"]
    calls += [
        _ask(http, n, "query_range",
             {"query": queries[n], "start": f"{start:.3f}", "end": f"{now:.3f}", "step": f"{step:g}"}, limit)
        for n in ranged
    ]  # fmt: skip
    results = await asyncio.gather(*calls, return_exceptions=True)
    for r in results:
        if isinstance(r, (BackendUnavailable, Unauthorized, HttpStatusFailure)):
            raise r
        if isinstance(r, BaseException) and not isinstance(r, (_QueryRefused, WireError)):
            raise r
    notes: list[str] = []
    values: dict[str, float | None] = {}
    labels: Mapping[str, str] = {}
    for name, r in zip(queries, results[: len(queries)]):
        if isinstance(r, _QueryRefused):
            notes.append(f"{name} query refused by Prometheus: {r.words}")
            values[name] = None
            continue
        try:
            values[name], got = instant_value(r)
        except WireError as exc:
            notes.append(f"{name} query: {exc}")
            values[name] = None
            continue
        if name == "rate":
            labels = got
    series: dict[str, dict[float, float | None]] = dict(cached[1]) if fresh and cached else {}
    for name, r in zip(ranged, results[len(queries) :]):
        if isinstance(r, BaseException):
            continue  # already noted by the instant query of the same text
        try:
            series[name] = range_values(r)
        except WireError:
            series[name] = {}
    if cache is not None and not fresh:
        cache[target] = (now, series)
    if values.get("rate") is None and not any("rate query" in n for n in notes):
        notes.append("no request rate yet (no requests in the window, or the selector matches nothing)")
    up = values.get("up")
    if up is None:
        health, reason = DeploymentHealth.UNKNOWN, ""
        if not any(n.startswith("up query") for n in notes):
            notes.append("no `up` series for the selector")
    elif up >= 1:
        health, reason = DeploymentHealth.HEALTHY, ""
    else:
        health, reason = DeploymentHealth.DOWN, f"scrape target down (up = 0, {backend})"
    label = target.version_label_name
    version = labels.get(label, "") if label else ""
    at = datetime.fromtimestamp(now, UTC)
    measured: dict[str, Any] = {_FIELD[n]: values.get(n) for n in _FIELD}
    deployment = Deployment(
        name=target.deployment,
        version="" if version in ("None", "") else version,
        environment=target.environment,
        health=health,
        live=None if up is None else up >= 1,
        max_error_rate=target.max_error_rate,
        max_latency_p95_ms=target.max_latency_p95_ms,
        metrics_note="; ".join(notes),
        reason=reason,
        checked_at=at,
        sources=(backend,),
        backend=backend,
        **measured,
    )
    stamps = sorted(set().union(*(s.keys() for s in series.values()))) if series else []
    samples = [
        HealthSample(
            deployment=target.deployment,
            time=datetime.fromtimestamp(ts, UTC),
            ready=health != DeploymentHealth.DOWN,
            **{_FIELD[n]: series.get(n, {}).get(ts) for n in _FIELD},
        )
        for ts in stamps
    ]
    return deployment, samples


async def poll_serving(
    http: JsonHttp, targets: Sequence[ServingTarget], *, backend: str, cache: SeriesCache | None = None
) -> tuple[list[Deployment], list[HealthSample]]:
    """Every configured deployment's metrics, concurrently; `cache` keeps their histories
    between polls (see poll_target)."""
    if not targets:
        return [], []
    now = time.time()
    limit = asyncio.Semaphore(MAX_CONCURRENT_QUERIES)
    results = await asyncio.gather(
        *(poll_target(http, t, backend=backend, now=now, limit=limit, cache=cache) for t in targets)
    )
    deployments = [d for d, _ in results]
    samples = [s for _, ss in results for s in ss]
    return deployments, samples


def unknown_metrics(targets: Sequence[ServingTarget], *, backend: str, why: str) -> list[Deployment]:
    """What the deployments are when Prometheus cannot be asked: there, metrics unknown, and why."""
    return [
        Deployment(
            name=t.deployment,
            environment=t.environment,
            max_error_rate=t.max_error_rate,
            max_latency_p95_ms=t.max_latency_p95_ms,
            metrics_note=f"metrics unknown: {why}",
            sources=(backend,),
            backend=backend,
        )
        for t in targets
    ]
