"""Evidently UI wire format (projects, snapshot lists, report JSON) -> domain models.

A report (`GET /api/projects/{pid}/{sid}/download?report_format=json`) is
`{"metrics": [...], "tests": [...]}`; each column's drift is one metric whose `config.type`
is `evidently:metric_v2:ValueDrift`, with `config.column`, `config.method` (a stat test's
name such as "psi", or its display name such as "K-S p_value"), `config.threshold`, and the
score in `value`. Everything else in a report (DriftedColumnsCount, summaries) is ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from mlops_tui.domain import DriftScore

SOURCE = "evidently"


class WireError(ValueError):
    """The server's JSON is not what the Evidently UI API sends."""


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class SnapshotRef:
    id: str
    time: datetime
    metadata: Mapping[str, Any]
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """One column's drift in one report: what a snapshot contributes, before we know the model."""

    feature: str
    score: float
    threshold: float
    method: str
    higher_is_drift: bool


# -- which way a method points -----------------------------------------------------------------
# Evidently's stat tests by name and display name (evidently/legacy/calculations/stattests).
# These return p-values: a small value means the two samples differ, so drift is score < threshold.
# "TVD" (Total-Variation-Distance) is one of them despite its name: Evidently reports its p-value.
_P_VALUE_METHODS = frozenset(
    {
        "ks", "k-s p_value",
        "chisquare", "chi-square p_value",
        "z", "z-test p_value",
        "anderson", "anderson-darling",
        "cramer_von_mises", "cramer-von mises",
        "es", "epps-singleton",
        "fisher_exact", "fisher's exact test",
        "g_test",
        "mannw", "mann-whitney u-rank test",
        "empirical_mmd",
        "t_test",
        "tvd", "total-variation-distance",
    }
)  # fmt: skip
# Distances, divergences and classifier scores: drift is score > threshold.
_DISTANCE_METHODS = frozenset(
    {
        "psi",
        "wasserstein", "wasserstein distance (normed)",
        "jensenshannon", "jensen-shannon distance",
        "kl_div", "kullback-leibler divergence",
        "hellinger", "hellinger distance",
        "ed", "energy-distance",
        "perc_text_content_drift", "percentile text content drift",
        "abs_text_content_drift", "absolute text content drift",
    }
)  # fmt: skip
_LOOKS_LIKE_P_VALUE = re.compile(r"p[\s_-]?value", re.IGNORECASE)


def higher_is_drift(method: str) -> bool:
    """False for p-value methods (drift when the score falls below the threshold).

    Unknown methods (custom stat tests) count as p-values only when their name says
    "p_value"; otherwise they are taken as distances, Evidently's more common kind.
    """
    key = method.strip().lower()
    if key in _P_VALUE_METHODS:
        return False
    if key in _DISTANCE_METHODS:
        return True
    return _LOOKS_LIKE_P_VALUE.search(key) is None


# -- projects and snapshots ----------------------------------------------------------------------
def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise WireError(f"{what} is missing or not a string")
    return value


def projects_from_wire(body: Any) -> list[ProjectRef]:
    """`GET /api/projects` -> [ProjectRef]."""
    if not isinstance(body, list):
        raise WireError("the project list is not a JSON list")
    projects = []
    for item in body:
        if not isinstance(item, Mapping):
            raise WireError("a project is not an object")
        name = item.get("name")
        projects.append(
            ProjectRef(id=_text(item.get("id"), "a project's id"), name=name if isinstance(name, str) else "")
        )
    return projects


def parse_time(value: Any) -> datetime:
    """Evidently's ISO timestamps; naive ones (a report run without a timestamp) are taken as UTC."""
    if not isinstance(value, str) or not value:
        raise WireError("a snapshot has no timestamp")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise WireError(f"a snapshot's timestamp {value!r} is not ISO 8601") from None
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def snapshots_from_wire(body: Any) -> list[SnapshotRef]:
    """`GET /api/projects/{id}/snapshots` -> [SnapshotRef], oldest first (the server does not sort)."""
    if not isinstance(body, list):
        raise WireError("the snapshot list is not a JSON list")
    snapshots = []
    for item in body:
        if not isinstance(item, Mapping):
            raise WireError("a snapshot is not an object")
        metadata = item.get("metadata")
        tags = item.get("tags")
        snapshots.append(
            SnapshotRef(
                id=_text(item.get("id"), "a snapshot's id"),
                time=parse_time(item.get("timestamp")),
                metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
                tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
            )
        )
    snapshots.sort(key=lambda s: (s.time, s.id))
    return snapshots


def newest(snapshots: list[SnapshotRef], count: int) -> list[SnapshotRef]:
    """The `count` most recent of a time-sorted list, still oldest first."""
    return snapshots[-count:] if count > 0 else []


# -- reports -----------------------------------------------------------------------------------
_VALUE_DRIFT_NAME = re.compile(r"^ValueDrift\((?P<args>.*)\)$", re.S)


def _name_args(metric_name: Any) -> dict[str, str]:
    """`ValueDrift(column=age,method=K-S p_value,threshold=0.05)` -> its arguments.

    Only a fallback for a config lacking a field: a column name holding a comma would split.
    """
    if not isinstance(metric_name, str):
        return {}
    m = _VALUE_DRIFT_NAME.match(metric_name.strip())
    if m is None:
        return {}
    args: dict[str, str] = {}
    for part in m.group("args").split(","):
        key, sep, value = part.partition("=")
        if sep:
            args[key.strip()] = value.strip()
    return args


def _is_value_drift(metric: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    kind = config.get("type")
    if isinstance(kind, str):
        return kind.rsplit(":", 1)[-1] == "ValueDrift"
    name = metric.get("metric_name")
    return isinstance(name, str) and name.startswith("ValueDrift(")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    elif isinstance(value, Mapping) and "value" in value:  # some metric results wrap the number
        return _number(value["value"])
    else:
        return None
    return number if math.isfinite(number) else None


def columns_from_report(body: Any) -> list[ColumnDrift]:
    """A report's JSON -> one ColumnDrift per ValueDrift metric.

    A ValueDrift without a finite score or threshold (an empty column gives NaN) is skipped;
    a body that is not a report at all is a WireError.
    """
    if not isinstance(body, Mapping):
        raise WireError("the report is not a JSON object")
    metrics = body.get("metrics")
    if not isinstance(metrics, list):
        raise WireError("the report has no metrics list")
    columns: list[ColumnDrift] = []
    for metric in metrics:
        if not isinstance(metric, Mapping):
            raise WireError("a report metric is not an object")
        config = metric.get("config")
        config = config if isinstance(config, Mapping) else {}
        if not _is_value_drift(metric, config):
            continue
        fallback = _name_args(metric.get("metric_name"))
        column = config.get("column", fallback.get("column"))
        method = config.get("method", fallback.get("method"))
        threshold = _number(config.get("threshold", fallback.get("threshold")))
        score = _number(metric.get("value"))
        if not isinstance(column, str) or not column or score is None or threshold is None:
            continue
        method = method if isinstance(method, str) else ""
        columns.append(
            ColumnDrift(
                feature=column,
                score=score,
                threshold=threshold,
                method=method,
                higher_is_drift=higher_is_drift(method),
            )
        )
    return columns


# -- which model a snapshot is about -----------------------------------------------------------
def model_for(
    project: ProjectRef,
    snapshot: SnapshotRef,
    model_from: Literal["project", "tag"],
    model_tag: str,
) -> str:
    """The model a snapshot's drift belongs to.

    "project": the project's name. "tag": the snapshot's metadata entry `model_tag`, else a
    tag `model_tag=NAME` or `model_tag:NAME`; the project's name when the snapshot has neither.
    """
    if model_from == "tag":
        value = snapshot.metadata.get(model_tag)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
        for tag in snapshot.tags:
            for sep in ("=", ":"):
                key, found, value = tag.partition(sep)
                if found and key.strip() == model_tag and value.strip():
                    return value.strip()
    return project.name or project.id


def scores_for(columns: list[ColumnDrift], *, model: str, time: datetime, backend: str = "") -> list[DriftScore]:
    return [
        DriftScore(
            model=model,
            feature=c.feature,
            score=c.score,
            threshold=c.threshold,
            method=c.method,
            time=time,
            higher_is_drift=c.higher_is_drift,
            source=SOURCE,
            backend=backend,
        )
        for c in columns
    ]
