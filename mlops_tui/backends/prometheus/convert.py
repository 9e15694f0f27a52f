"""Prometheus HTTP API (`/api/v1`) wire format -> domain models, and its duration syntax."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mlops_tui.domain import DriftScore


class WireError(ValueError):
    """The server's JSON is not what the Prometheus HTTP API documents."""


_DURATION = re.compile(
    r"^(?:(?P<y>\d+)y)?(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?"
    r"(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?$"
)
_UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def parse_duration(text: str) -> float:
    """Prometheus durations (`5m`, `6h`, `1h30m`, `500ms`) -> seconds; ValueError otherwise."""
    text = text.strip()
    m = _DURATION.match(text)
    if not text or m is None:
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 6h or 1h30m")
    seconds = sum(int(v) * _UNIT_SECONDS[k] for k, v in m.groupdict().items() if v)
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return seconds


def _data(body: Any, expected: str) -> list[Any]:
    if not isinstance(body, Mapping) or body.get("status") != "success":
        raise WireError("the answer is not a successful API response")
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise WireError("the answer has no data")
    if data.get("resultType") != expected:
        raise WireError(f"expected a {expected}, got {data.get('resultType')!r}")
    result = data.get("result")
    if not isinstance(result, list):
        raise WireError("data.result is not a list")
    return result


def _sample(pair: Any) -> tuple[float, float]:
    """`[ts, "value"]` -> (ts, value). NaN and ±Inf are kept: Prometheus serves them, and a
    score the app cannot show must still be said ("no value", or the worst drift)."""
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise WireError(f"a sample is not [time, value]: {pair!r}")
    ts, raw = pair
    try:
        value = float(raw)
        when = float(ts)
    except (TypeError, ValueError):
        raise WireError(f"a sample is not numeric: {pair!r}") from None
    if not math.isfinite(when):
        raise WireError(f"a sample has no usable time: {pair!r}")
    return when, value


def drift_from_matrix(
    body: Any,
    *,
    threshold: float,
    higher_is_drift: bool,
    model_label: str,
    feature_label: str,
    backend: str = "",
) -> list[DriftScore]:
    """A `query_range` answer (matrix) -> one DriftScore per sample.

    Non-finite samples are scores too: +Inf is the worst drift there is (it crosses any
    threshold), NaN is a score with no value (`DriftScore.has_value`), listed, never dropped.
    """
    scores: list[DriftScore] = []
    for series in _data(body, "matrix"):
        if not isinstance(series, Mapping):
            raise WireError("a series is not an object")
        metric = series.get("metric") or {}
        values = series.get("values") or []
        if not isinstance(metric, Mapping) or not isinstance(values, list):
            raise WireError("a series lacks metric or values")
        model = str(metric.get(model_label, ""))
        feature = str(metric.get(feature_label, ""))
        for pair in values:
            when, value = _sample(pair)
            scores.append(
                DriftScore(
                    model=model,
                    feature=feature,
                    score=value,
                    threshold=threshold,
                    method="prometheus",
                    time=datetime.fromtimestamp(when, UTC),
                    higher_is_drift=higher_is_drift,
                    source="prometheus",
                    backend=backend,
                )
            )
    return scores
