"""An alert's firing intervals from Prometheus' own `ALERTS` series (query_range).

Prometheus writes `ALERTS{alertname, alertstate="firing", <labels>} 1` at each rule evaluation
while an alert fires (a stale marker when it stops), so the points of a range query, read at
`step`, fall into runs: one run per firing. A series counts for the alert when its labels are
a subset of the alert's (Alertmanager's copy may carry external labels the TSDB lacks).
The step is as small as the server's 11,000-points limit allows (1 s up to ~2.7 hours, 61 s
over 7 days); with a step above 1 s each point is `max_over_time` over its step, so a short
firing is not lost between two points, and firings closer than a step read as one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mlops_tui.domain.alerts import FiringInterval

if TYPE_CHECKING:
    from mlops_tui.backends.http import JsonHttp

MAX_POINTS = 11_000
IGNORED = {"__name__", "alertstate"}
FALLBACK_SERIES = 200  # reading every series of one alert name, past this, costs too much


def step_for(span: timedelta, max_points: int = MAX_POINTS - 1000) -> float:
    """Seconds between points: 1 s where the span allows, else the smallest within the limit."""
    return max(1.0, math.ceil(span.total_seconds() / max_points))


def quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def alerts_query(alertname: str | None, labels: Mapping[str, str] | None = None) -> str:
    if not alertname:
        return 'ALERTS{alertstate="firing"}'
    extra = "".join(
        f',{k}="{quote(v)}"' for k, v in sorted((labels or {}).items()) if k not in IGNORED and k != "alertname"
    )
    return f'ALERTS{{alertname="{quote(alertname)}",alertstate="firing"{extra}}}'


def _series_of(alert_labels: Mapping[str, str], metric: Mapping[str, str]) -> bool:
    return all(alert_labels.get(k) == v for k, v in metric.items() if k not in IGNORED)


def _matrix(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or body.get("status") != "success":
        raise ValueError("not a successful answer")
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "matrix":
        raise ValueError("not a matrix")
    return [s for s in data.get("result") or [] if isinstance(s, dict)]


def _firing_times(series: dict[str, Any]) -> list[float]:
    return [float(ts) for ts, value in series.get("values") or [] if value not in ("0", "NaN")]


def _runs(times: list[float], step: float, end_ts: float) -> list[FiringInterval]:
    out: list[FiringInterval] = []
    gap = step * 1.5
    run_start: float | None = None
    prev: float | None = None
    for ts in sorted(set(times)):
        if prev is not None and run_start is not None and ts - prev > gap:
            out.append(_interval(run_start, prev, step, end_ts))
            run_start = None
        if run_start is None:
            run_start = ts
        prev = ts
    if prev is not None and run_start is not None:
        out.append(_interval(run_start, prev, step, end_ts))
    return out


def intervals_from_matrix(
    body: Any, alert_labels: Mapping[str, str], *, step: float, end: datetime
) -> list[FiringInterval]:
    """One alert's firing intervals in a query_range answer, oldest first. Raises ValueError
    on a shape that is not a Prometheus matrix."""
    times: list[float] = []
    for series in _matrix(body):
        if _series_of(alert_labels, series.get("metric") or {}):
            times += _firing_times(series)
    return _runs(times, step, end.timestamp())


def intervals_by_series(body: Any, *, step: float, end: datetime) -> list[tuple[dict[str, str], list[FiringInterval]]]:
    """Every series' intervals (labels without __name__/alertstate), by alertname then labels."""
    out: list[tuple[dict[str, str], list[FiringInterval]]] = []
    for series in _matrix(body):
        labels = {k: v for k, v in (series.get("metric") or {}).items() if k not in IGNORED}
        out.append((labels, _runs(_firing_times(series), step, end.timestamp())))
    return sorted(out, key=lambda item: (item[0].get("alertname", ""), sorted(item[0].items())))


def _interval(start: float, last: float, step: float, end_ts: float) -> FiringInterval:
    still = end_ts - last <= step * 1.5  # the last point is the newest: it still fires
    return FiringInterval(
        starts_at=datetime.fromtimestamp(start, UTC),
        ends_at=None if still else datetime.fromtimestamp(last + step, UTC),
        source="prometheus",
    )


async def _query(
    http: JsonHttp,
    api: str,
    alertname: str | None,
    since: timedelta,
    end: datetime,
    labels: Mapping[str, str] | None = None,
) -> tuple[Any, float]:
    step = step_for(since)
    start = end - timedelta(seconds=step * math.ceil(since.total_seconds() / step))  # `end` is a point
    query = alerts_query(alertname, labels)
    if step > 1:  # a firing shorter than the step still shows in the step that holds it
        query = f"max_over_time({query}[{step:g}s])"
    params = {"query": query, "start": f"{start.timestamp():.3f}", "end": f"{end.timestamp():.3f}", "step": f"{step:g}"}
    return await http.get_json(f"{api}/query_range", params=params, what="the alert history"), step


async def fetch_alert_history(
    http: JsonHttp, api: str, alertname: str, labels: Mapping[str, str], since: timedelta, now: datetime | None = None
) -> list[FiringInterval]:
    """One alert's intervals; `http` is the backend's JsonHttp, `api` its API prefix."""
    end = now or datetime.now(UTC)
    # all its labels first: one series, fast even with thousands of alerts of that name
    body, step = await _query(http, api, alertname, since, end, labels)
    if _matrix(body):
        return intervals_from_matrix(body, labels, step=step, end=end)
    # none: Alertmanager's copy may carry external labels the TSDB lacks; match a subset,
    # unless that name has so many series that reading them all would be slow
    count = await http.get_json(
        f"{api}/query",
        params={
            "query": f"count(count_over_time({alerts_query(alertname)}[{since.total_seconds():.0f}s]))",
            "time": f"{end.timestamp():.3f}",
        },
        what="the alert history",
    )
    try:
        series = int(float(count["data"]["result"][0]["value"][1])) if count["data"]["result"] else 0
    except (KeyError, IndexError, TypeError, ValueError):
        raise ValueError("not a count") from None
    if series == 0 or series > FALLBACK_SERIES:
        return []
    body, step = await _query(http, api, alertname, since, end)
    return intervals_from_matrix(body, labels, step=step, end=end)


async def fetch_history_series(
    http: JsonHttp, api: str, alertname: str | None, since: timedelta, now: datetime | None = None
) -> list[tuple[dict[str, str], list[FiringInterval]]]:
    """Every alert series (of one name, or all) with its intervals."""
    end = now or datetime.now(UTC)
    body, step = await _query(http, api, alertname, since, end)
    return intervals_by_series(body, step=step, end=end)
