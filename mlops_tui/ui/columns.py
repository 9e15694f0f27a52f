"""Column sets for the lists, shared by the views and the Overview panels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from operator import attrgetter

from rich.cells import cell_len

from mlops_tui.core.wording import any_stage, drift_score_text
from mlops_tui.domain import (
    Alert,
    AlertState,
    Deployment,
    DeploymentHealth,
    DriftScore,
    HealthSample,
    ModelVersion,
    PromotionRequest,
    Run,
    RunStatus,
    Severity,
)
from mlops_tui.services.metric_order import metric_order
from mlops_tui.services.snapshot import Snapshot, alert_severity
from mlops_tui.services.triage import triage_in
from mlops_tui.ui import glyphs
from mlops_tui.ui.format import ago, duration, local_time, number, sparkline
from mlops_tui.ui.literal import visible
from mlops_tui.ui.themes import InkMap, ink
from mlops_tui.ui.widgets.data_grid import Column

SEVERITY_STYLE = InkMap(
    {
        Severity.CRITICAL: ("critical", "bold"),
        Severity.WARNING: ("warning", ""),
        Severity.INFO: ("info", ""),
        Severity.NONE: ("unknown", ""),
    }
)
HEALTH_STYLE = InkMap(
    {
        DeploymentHealth.HEALTHY: ("ok", ""),
        DeploymentHealth.DEGRADED: ("degraded", ""),
        DeploymentHealth.DOWN: ("down", "bold"),
        DeploymentHealth.UNKNOWN: ("unknown", ""),
    }
)
HEALTH_SYMBOL = {
    DeploymentHealth.HEALTHY: glyphs.HEALTHY,
    DeploymentHealth.DEGRADED: glyphs.DEGRADED,
    DeploymentHealth.DOWN: glyphs.FAILED,
    DeploymentHealth.UNKNOWN: glyphs.UNKNOWN,
}
RUN_STATUS_STYLE = InkMap(
    {
        RunStatus.FINISHED: ("ok", ""),
        RunStatus.RUNNING: ("info", ""),
        RunStatus.SCHEDULED: ("unknown", ""),
        RunStatus.FAILED: ("down", ""),
        RunStatus.KILLED: ("degraded", ""),
    }
)


def severity_text(severity: Severity) -> str:
    return f"{severity.symbol:>2} {severity.value}"


def health_text(health: DeploymentHealth) -> str:
    return f"{HEALTH_SYMBOL[health]} {health.value}"


# -- runs ----------------------------------------------------------------------------------
def top_metric_keys(runs: tuple[Run, ...], count: int = 3) -> list[str]:
    """The metric columns of a list of runs (services.metric_order, shared with the CLI)."""
    return metric_order(runs, count=count)


def run_columns(snapshot: Snapshot, metric_keys: list[str], compact: bool = False) -> list[Column[Run]]:
    experiments = snapshot.experiments_by_id

    def experiment_name(run: Run) -> str:
        exp = experiments.get(run.experiment_id)
        return exp.name if exp else run.experiment_id

    columns: list[Column[Run]] = [
        Column("name", "Run", lambda r: r.name, width=24, min_width=12, flex=True),
        Column("experiment", "Experiment", experiment_name, width=18, priority=2 if compact else 0),
        Column(
            "status",
            "Status",
            lambda r: r.status.value,
            width=9,
            style=lambda r: RUN_STATUS_STYLE.get(r.status),
        ),
        Column("user", "User", lambda r: r.user, width=10, priority=3),
        Column(
            "start",
            "Started",
            lambda r: local_time(r.start_time),
            sort_key=lambda r: r.start_time,
            width=16,
            priority=1,
        ),
        Column(
            "duration",
            "Duration",
            lambda r: duration(r.duration_seconds),
            sort_key=lambda r: r.duration_seconds,
            width=8,
            align="right",
            priority=4,
        ),
    ]
    for i, key in enumerate(metric_keys):
        columns.append(_metric_column(key, 2 + i))
    return columns


def _metric_column(key: str, priority: int) -> Column[Run]:
    def text(run: Run) -> str:
        return number(run.metrics.get(key))

    def sort_key(run: Run) -> float | None:
        return run.metrics.get(key)

    return Column(f"metric:{key}", key, text, sort_key=sort_key, width=8, align="right", priority=priority)


# -- registry ------------------------------------------------------------------------------
def version_columns(snapshot: Snapshot) -> list[Column[ModelVersion]]:
    runs = snapshot.runs_by_id
    pending = {p.key for p in snapshot.pending_promotions}

    def run_text(v: ModelVersion) -> str:
        run = runs.get(v.run_id)
        return run.name if run else v.run_id[:12]

    columns = [
        Column("model", "Model", lambda v: v.model, width=18, min_width=10),
        Column("version", "Ver", lambda v: v.version, sort_key=lambda v: _int(v.version), width=4, align="right"),
        Column(
            "aliases",
            "Aliases",
            lambda v: ", ".join(v.aliases) + (f" {glyphs.PENDING}" if v.key in pending else ""),
            width=20,
            style=lambda v: "bold" if "champion" in v.aliases else None,
        ),
        Column("stage", "Stage", lambda v: v.stage, width=10, priority=3),
        Column("status", "Status", lambda v: v.status, width=8, priority=2),
        Column("run", "Source run", run_text, width=20, priority=1, flex=True),
        Column(
            "created",
            "Created",
            lambda v: ago(v.created),
            sort_key=lambda v: v.created,
            width=10,
            align="right",
            priority=4,
        ),
    ]
    # a column of "None" on every row (MLflow 2+ uses aliases) says nothing
    return columns if any_stage(snapshot.versions) else [c for c in columns if c.key != "stage"]


def request_columns() -> list[Column[PromotionRequest]]:
    return [
        Column("model", "Model", lambda p: p.model, width=18, min_width=10),
        Column("version", "Ver", lambda p: p.version, sort_key=lambda p: _int(p.version), width=4, align="right"),
        Column("target", "Target", lambda p: p.target, width=10, min_width=8),
        # when narrow (the Overview at 80 columns), who asked goes before what and how long ago
        Column("requester", "Requested by", lambda p: p.requester, width=12, priority=1),
        Column(
            "when",
            "When",
            lambda p: ago(p.requested_at),
            sort_key=lambda p: p.requested_at,
            width=10,
            min_width=10,
            align="right",  # "just now", "20h ago", "in 45m": at most ten cells
        ),
        Column(
            "state",
            "State",
            lambda p: p.state.value,
            width=9,
            style=lambda p: ink("warning", "bold") if p.state == "pending" else "dim",
            priority=2,
        ),
        Column("note", "Note", lambda p: p.note, width=24, min_width=10, priority=3, flex=True),
    ]


# -- deployments ---------------------------------------------------------------------------
UNKNOWN = glyphs.UNKNOWN  # a value nobody can tell: never shown as 0 or as nothing
OVER = glyphs.OVER  # a value over its threshold (beside the highlight: never colour alone)
MISMATCH = glyphs.NOT_EQUAL
MATCHED = "="
SERIES_WIDTH = 6  # cells of a column's sparkline: ten minutes each
SERIES_SPAN = timedelta(hours=1)
_BARS = glyphs.BARS


def mismatch_text(d: Deployment) -> str:
    """The registry's side of a deployment, with the mismatch flag as a symbol and a word."""
    if not (d.registered_model and d.alias):
        return ""  # nothing is expected of it
    if not d.expected_version:
        return f"{UNKNOWN} {d.alias} unknown"
    if not d.version:
        return f"{UNKNOWN} v{d.expected_version} {d.alias}"
    if d.mismatch:
        return f"{MISMATCH} v{d.expected_version} mismatch"
    return f"{MATCHED} v{d.expected_version} {d.alias}"


def mismatch_style(d: Deployment) -> str | None:
    if d.mismatch:
        return ink("degraded", "bold")
    if d.registered_model and d.alias and not (d.version and d.expected_version):
        return "dim"
    return None


def served_text(d: Deployment) -> str:
    return f"v{d.version}" if d.version else UNKNOWN


def rate_text(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def error_text(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    percent = value * 100
    return f"{percent:.1f}%" if percent >= 10 else f"{percent:.2f}%"


def latency_text(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def over_error(d: Deployment) -> bool:
    return d.error_rate is not None and d.max_error_rate is not None and d.error_rate > d.max_error_rate


def over_latency(d: Deployment) -> bool:
    return d.latency_p95_ms is not None and d.max_latency_p95_ms is not None and d.latency_p95_ms > d.max_latency_p95_ms


def last_hour(samples: Sequence[HealthSample]) -> list[HealthSample]:
    """The samples (oldest first) of the hour up to the newest one."""
    if not samples:
        return []
    since = samples[-1].time - SERIES_SPAN
    return [s for s in samples if s.time > since]


def series(samples: Sequence[HealthSample], attribute: str, width: int = SERIES_WIDTH) -> list[float | None]:
    """`attribute` of `samples` (oldest first) in `width` slots, each the worst (largest) value it holds."""
    values = list(map(attrgetter(attribute), samples))
    n = len(values)
    slots: list[float | None] = []
    for i in range(width):
        known = [v for v in values[n * i // width : n * (i + 1) // width] if v is not None]
        slots.append(max(known) if known else None)
    return slots if any(v is not None for v in slots) else []


def spark(values: Sequence[float | None]) -> str:
    """A sparkline where a gap (no value) stays a gap instead of closing up."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    return "".join(
        " " if v is None else _BARS[3] if span == 0 else _BARS[min(7, int((v - low) / span * 7.999))] for v in values
    )


def deployment_columns(snapshot: Snapshot, compact: bool = False) -> list[Column[Deployment]]:
    """Name, health, mismatch and reason stay at 80 columns; the metrics with their trends need width.

    `compact` (the Overview's panel, a version's deployments) leaves out the environment, the
    model and the metrics.
    """
    name_width = min(40, max([10, *(cell_len(visible(d.name)) for d in snapshot.deployments)]))
    history: dict[str, list[HealthSample]] | None = None
    trends: dict[tuple[str, str], str] = {}

    def trend(d: Deployment, attribute: str) -> str:
        # every sample grouped once (not one scan of them all per row: 200 deployments)
        nonlocal history
        if history is None:
            grouped: dict[str, list[HealthSample]] = {}
            for sample in snapshot.health:
                grouped.setdefault(sample.deployment, []).append(sample)
            history = {name: last_hour(sorted(group, key=attrgetter("time"))) for name, group in grouped.items()}
        key = (d.name, attribute)
        if key not in trends:
            trends[key] = spark(series(history.get(d.name, []), attribute))
        return trends[key]

    def metric(
        key: str,
        label: str,
        attribute: str,
        fmt: Callable[[float | None], str],
        over: Callable[[Deployment], bool],
        priority: int,
    ) -> Column[Deployment]:
        def text(d: Deployment) -> str:
            value = getattr(d, attribute)
            mark = OVER if over(d) else " "
            return f"{mark}{fmt(value):>6} {trend(d, attribute)}"

        def style(d: Deployment) -> str | None:
            if over(d):
                return ink("critical", "bold")
            return "dim" if getattr(d, attribute) is None else None

        return Column(
            key,
            label,
            text,
            sort_key=lambda d: getattr(d, attribute),
            width=8 + SERIES_WIDTH,
            min_width=7,
            priority=priority,
            style=style,
        )

    columns: list[Column[Deployment]] = [
        # as wide as the longest name (within reason), not flex: the spare width goes to the reason
        Column("name", "Deployment", lambda d: d.name, width=name_width, min_width=10),
        *([] if compact else [Column("env", "Env", lambda d: d.environment, width=7, priority=6)]),
        Column(
            "health",
            "Health",
            lambda d: health_text(d.health),
            sort_key=lambda d: list(DeploymentHealth).index(d.health),
            width=10,
            min_width=10,
            style=lambda d: HEALTH_STYLE[d.health],
        ),
        *([] if compact else [Column("model", "Model", lambda d: d.model or UNKNOWN, width=12, priority=7)]),
        Column(
            "serves",
            "Serves",
            served_text,
            sort_key=lambda d: _int(d.version),
            width=6,
            min_width=4,
            align="right",
            priority=2,
            style=lambda d: ink("degraded", "bold") if d.mismatch else None,
        ),
        Column(
            "expected",
            "Expected",
            mismatch_text,
            sort_key=lambda d: (not d.mismatch, mismatch_text(d)),
            width=15,
            min_width=13,
            style=mismatch_style,
        ),
    ]
    if not compact:
        columns += [
            metric("rps", "Req/s", "requests_per_second", rate_text, lambda d: False, 5),
            metric("errors", "Errors", "error_rate", error_text, over_error, 4),
            metric("latency", "p95", "latency_p95_ms", latency_text, over_latency, 3),
            Column(
                "checked",
                "Checked",
                lambda d: ago(d.checked_at) if d.checked_at else UNKNOWN,
                sort_key=lambda d: -d.checked_at.timestamp() if d.checked_at else None,
                width=8,
                align="right",
                priority=8,
            ),
        ]
    columns.append(
        Column(
            "reason",
            "Reason",
            lambda d: d.reason or d.metrics_note,
            width=20,
            min_width=12,
            flex=True,
            priority=1 if compact else 0,
            style=lambda d: None if d.reason else "dim",
        )
    )
    return columns


# -- alerts --------------------------------------------------------------------------------
def alert_state_text(alert: Alert, snapshot: Snapshot) -> str:
    # one wording for list, detail, Overview and headless output: services/triage.py
    return triage_in(alert, snapshot).text()


def alert_columns(snapshot: Snapshot, compact: bool = False) -> list[Column[Alert]]:
    """What tells the alerts apart stays at 80 columns: severity, name, model and deployment.

    When narrow, the summary goes first, then the age, then the triage state shrinks to its
    symbol and first words. `compact` (an Overview panel, half the width): the severity
    symbol leads the alert's name, the target is the deployment (else the model), and the
    severity word is dropped before them.
    """

    def severity_style(a: Alert) -> str:
        return SEVERITY_STYLE[alert_severity(a)]

    columns: list[Column[Alert]] = [
        Column(
            "severity",
            "Severity",
            (lambda a: alert_severity(a).value) if compact else (lambda a: severity_text(alert_severity(a))),
            sort_key=lambda a: alert_severity(a).rank,
            width=8 if compact else 11,
            min_width=8 if compact else 11,
            priority=3 if compact else 0,
            style=severity_style,
        ),
        Column(
            "name",
            "Alert",
            (lambda a: f"{alert_severity(a).symbol:>2} {a.name}") if compact else (lambda a: a.name),
            sort_key=(lambda a: (a.name, alert_severity(a).rank)) if compact else None,
            width=24,
            min_width=12,
            flex=compact,  # in a panel it gives way before the target
            style=severity_style if compact else None,
        ),
        Column(
            "target",
            "Deployment" if compact else "Model / deployment",
            (lambda a: a.deployment or a.model or "") if compact else _alert_target,
            width=40,  # as wide as it needs: it tells the rows apart
            min_width=10,
            flex=not compact,
        ),
        Column(
            "summary", "Summary", lambda a: a.summary, width=30, min_width=10, flex=True, priority=5 if compact else 4
        ),
        Column(
            "age",
            "Age",
            lambda a: ago(a.starts_at),
            sort_key=lambda a: -a.starts_at.timestamp(),
            width=10,  # "just now", "20h ago", "in 45m": at most ten cells
            min_width=7,
            align="right",
            priority=4 if compact else 3,
        ),
        Column(
            "state",
            "State",
            lambda a: alert_state_text(a, snapshot),
            # "√ acked by <user> 12m ago", "silenced until 09:28 by <user>": read whole when
            # there is width (flex: it grows), cut to the symbol and first words when narrow
            width=10,
            min_width=8,
            flex=True,
            priority=2,
            style=lambda a: "bold" if a.state == AlertState.FIRING else "dim",
        ),
    ]
    return columns


def _alert_target(alert: Alert) -> str:
    parts = [p for p in (alert.model, alert.deployment) if p]
    return " / ".join(parts)


# -- drift ---------------------------------------------------------------------------------
def drift_score_key(d: DriftScore) -> tuple[bool, float]:
    """Sorts scores with no value after all others (NaN would scramble a sort)."""
    return (not d.has_value, d.score if d.has_value else 0.0)


def drift_verdict(d: DriftScore) -> str:
    return f"{glyphs.FAILED} drift" if d.drifted else f"{glyphs.OK} ok" if d.has_value else f"{glyphs.UNKNOWN} no value"


def drift_columns(snapshot: Snapshot) -> list[Column[DriftScore]]:
    def history(d: DriftScore) -> str:
        return sparkline([h.score for h in snapshot.drift_history(d.model, d.feature)], 16)

    return [
        Column("model", "Model", lambda d: d.model, width=18, min_width=10),
        Column("feature", "Feature", lambda d: d.feature, width=22, min_width=10, flex=True),
        # `p 0.035 < 0.05`, `dist 0.31 > 0.2`: the score, its kind and which way it drifts, in one cell
        Column("score", "Score vs threshold", drift_score_text, sort_key=drift_score_key, width=18, align="right"),
        Column("method", "Method", lambda d: d.method, width=12, priority=2),
        Column(
            "drifted",
            "Drifted",
            drift_verdict,
            sort_key=lambda d: (not d.drifted, d.has_value),
            width=10,
            style=lambda d: ink("critical", "bold") if d.drifted else ink("ok") if d.has_value else ink("warning"),
        ),
        Column("history", "History", history, width=16, priority=1),
        Column("source", "Source", lambda d: d.source or d.backend, width=10, priority=3),
    ]


def _int(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text
