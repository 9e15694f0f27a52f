"""MLflow's wire format (REST JSON) to domain models, and runs to and from compact cache rows.

The one place that knows MLflow's field names. Missing fields get defaults rather than
errors: servers of different versions leave different things out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from mlops_tui.domain import (
    Experiment,
    MetricPoint,
    ModelVersion,
    RegisteredModel,
    Run,
    RunStatus,
)
from mlops_tui.domain.base import shared_fields_set

# A cache row: (id, experiment_id, name, status, start_ms, end_ms | None, user, params, metrics, tags)
RunRow = tuple[str, str, str, str, int, int | None, str, dict[str, str], dict[str, float], dict[str, str]]

_STATUSES = {s.value: s for s in RunStatus}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_to_datetime(ms: Any) -> datetime | None:
    if ms is None or ms == "":
        return None
    try:
        return datetime.fromtimestamp(int(ms) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def datetime_to_ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def to_float(value: Any) -> float:
    """A metric value: MLflow sends NaN and infinities as the strings "NaN", "Infinity"."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def key_values(items: Any) -> dict[str, str]:
    """MLflow's `[{key, value}, ...]` as a dict."""
    if not items:
        return {}
    return {str(i.get("key")): "" if i.get("value") is None else str(i.get("value")) for i in items}


# -- experiments and runs --------------------------------------------------------------
def experiment(wire: Mapping[str, Any], backend: str) -> Experiment:
    return Experiment(
        id=str(wire.get("experiment_id", "")),
        name=str(wire.get("name", "")),
        tags=key_values(wire.get("tags")),
        backend=backend,
    )


def run_row(wire: Mapping[str, Any]) -> RunRow:
    """A runs/search entry as a plain tuple (what the cache stores, and what `run` builds from)."""
    info = wire.get("info") or {}
    data = wire.get("data") or {}
    tags = key_values(data.get("tags"))
    metrics = {str(m.get("key")): to_float(m.get("value")) for m in data.get("metrics") or ()}
    params = key_values(data.get("params"))
    start = info.get("start_time")
    end = info.get("end_time")
    return (
        str(info.get("run_id") or info.get("run_uuid") or ""),
        str(info.get("experiment_id", "")),
        str(info.get("run_name") or tags.get("mlflow.runName", "")),
        str(info.get("status") or "FINISHED"),
        int(start) if start not in (None, "") else 0,
        int(end) if end not in (None, "") else None,
        str(info.get("user_id") or tags.get("mlflow.user", "")),
        params,
        metrics,
        tags,
    )


def run_from_row(row: RunRow, backend: str) -> Run:
    run_id, experiment_id, name, status, start_ms, end_ms, user, params, metrics, tags = row
    run = Run(
        id=run_id,
        experiment_id=experiment_id,
        name=name,
        status=_STATUSES.get(status, RunStatus.FAILED),
        start_time=ms_to_datetime(start_ms) or _EPOCH,
        end_time=ms_to_datetime(end_ms),
        user=user,
        params=params,
        metrics=metrics,
        tags=tags,
        backend=backend,
    )
    return shared_fields_set(run)


def row_from_run(run: Run) -> RunRow:
    return (
        run.id,
        run.experiment_id,
        run.name,
        run.status.value,
        datetime_to_ms(run.start_time),
        datetime_to_ms(run.end_time) if run.end_time is not None else None,
        run.user,
        dict(run.params),
        dict(run.metrics),
        dict(run.tags),
    )


def metric_points(items: Iterable[Mapping[str, Any]]) -> list[MetricPoint]:
    points = [
        MetricPoint(
            step=int(m.get("step") or 0),
            value=to_float(m.get("value")),
            timestamp=ms_to_datetime(m.get("timestamp")),
        )
        for m in items
    ]
    points.sort(key=lambda p: (p.step, p.timestamp or _EPOCH))
    return points


# -- registry ----------------------------------------------------------------------------
def alias_map(wire_model: Mapping[str, Any]) -> dict[str, str]:
    """`registered-models/get`'s `aliases: [{alias, version}]` as alias -> version."""
    return {str(a.get("alias")): str(a.get("version")) for a in wire_model.get("aliases") or ()}


def _version_number(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        return -1


def registered_model(
    wire: Mapping[str, Any], aliases: Mapping[str, str], latest_version: str, backend: str
) -> RegisteredModel:
    if not latest_version:
        latest = [str(v.get("version", "")) for v in wire.get("latest_versions") or ()]
        latest_version = max(latest, key=_version_number, default="")
    return RegisteredModel(
        name=str(wire.get("name", "")),
        description=str(wire.get("description") or ""),
        aliases=dict(aliases),
        latest_version=latest_version,
        tags=key_values(wire.get("tags")),
        backend=backend,
    )


def model_version(wire: Mapping[str, Any], aliases: Mapping[str, str], backend: str) -> ModelVersion:
    """A model version; `aliases` (alias -> version, read from the model) fill what search drops."""
    version = str(wire.get("version", ""))
    names = {str(a) for a in wire.get("aliases") or ()}
    names.update(alias for alias, held in aliases.items() if held == version)
    return ModelVersion(
        model=str(wire.get("name", "")),
        version=version,
        status=str(wire.get("status") or "READY"),
        stage=str(wire.get("current_stage") or "None"),
        aliases=tuple(sorted(names)),
        tags=key_values(wire.get("tags")),
        run_id=str(wire.get("run_id") or ""),
        source=str(wire.get("source") or ""),
        created=ms_to_datetime(wire.get("creation_timestamp")),
        user=str(wire.get("user_id") or ""),
        backend=backend,
        model_id=str(wire.get("model_id") or "") or model_id_from_source(str(wire.get("source") or "")),
    )


def model_id_from_source(source: str) -> str:
    """`m-…` from an MLflow 3 version source `models:/m-…` (a logged model), else ""."""
    rest = source.removeprefix("models:/").strip("/") if source.startswith("models:/") else ""
    return rest if rest.startswith("m-") and "/" not in rest else ""


def version_sort_key(version: ModelVersion) -> tuple[str, int, str]:
    return (version.model, _version_number(version.version), version.version)
