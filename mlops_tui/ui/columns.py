"""Column sets for the lists, shared by the views and the Overview panels."""

from __future__ import annotations

from collections import Counter

from mlops_tui.domain import (
    Alert,
    AlertState,
    Deployment,
    DeploymentHealth,
    DriftScore,
    ModelVersion,
    PromotionRequest,
    Run,
    RunStatus,
    Severity,
)
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.services.triage import triage_in
from mlops_tui.ui.format import ago, duration, local_time, millis, number, percent, sparkline
from mlops_tui.ui.widgets.data_grid import Column

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
    Severity.NONE: "dim",
}
HEALTH_STYLE = {
    DeploymentHealth.HEALTHY: "green",
    DeploymentHealth.DEGRADED: "yellow",
    DeploymentHealth.DOWN: "bold red",
    DeploymentHealth.UNKNOWN: "dim",
}
HEALTH_SYMBOL = {
    DeploymentHealth.HEALTHY: "●",
    DeploymentHealth.DEGRADED: "◐",
    DeploymentHealth.DOWN: "✖",
    DeploymentHealth.UNKNOWN: "?",
}
RUN_STATUS_STYLE = {
    RunStatus.FINISHED: "green",
    RunStatus.RUNNING: "cyan",
    RunStatus.SCHEDULED: "dim",
    RunStatus.FAILED: "red",
    RunStatus.KILLED: "yellow",
}


def severity_text(severity: Severity) -> str:
    return f"{severity.symbol:>2} {severity.value}"


def health_text(health: DeploymentHealth) -> str:
    return f"{HEALTH_SYMBOL[health]} {health.value}"


# -- runs ----------------------------------------------------------------------------------
def top_metric_keys(runs: tuple[Run, ...], count: int = 3) -> list[str]:
    counter: Counter[str] = Counter()
    step = max(1, len(runs) // 500)  # a sample is enough to pick the common metrics
    for run in runs[::step]:
        counter.update(run.metrics.keys())
    return [k for k, _ in counter.most_common(count)]


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

    return [
        Column("model", "Model", lambda v: v.model, width=18, min_width=10),
        Column("version", "Ver", lambda v: v.version, sort_key=lambda v: _int(v.version), width=4, align="right"),
        Column(
            "aliases",
            "Aliases",
            lambda v: ", ".join(v.aliases) + (" ⧗" if v.key in pending else ""),
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
            align="right",  # "20h00m ago" is ten cells
        ),
        Column(
            "state",
            "State",
            lambda p: p.state.value,
            width=9,
            style=lambda p: "bold yellow" if p.state == "pending" else "dim",
            priority=2,
        ),
        Column("note", "Note", lambda p: p.note, width=24, min_width=10, priority=3, flex=True),
    ]


# -- deployments ---------------------------------------------------------------------------
def deployment_columns(snapshot: Snapshot, with_trend: bool = True) -> list[Column[Deployment]]:
    def trend(d: Deployment) -> str:
        return sparkline([h.latency_p95_ms for h in snapshot.health_of(d.name)], 16)

    columns: list[Column[Deployment]] = [
        Column("name", "Deployment", lambda d: d.name, width=18, min_width=10, flex=True),
        Column(
            "health",
            "Health",
            lambda d: health_text(d.health),
            sort_key=lambda d: list(DeploymentHealth).index(d.health),
            width=11,
            min_width=10,
            style=lambda d: HEALTH_STYLE[d.health],
        ),
        Column("model", "Model version", lambda d: f"{d.model} v{d.version}", width=18, priority=2),
        Column(
            "ready",
            "Ready",
            lambda d: f"{d.ready_replicas}/{d.replicas}",
            sort_key=lambda d: d.ready_replicas - d.replicas,
            width=5,
            min_width=5,
            align="right",
        ),
        Column(
            "latency",
            "p95",
            lambda d: millis(d.latency_p95_ms),
            sort_key=lambda d: d.latency_p95_ms,
            width=8,
            align="right",
        ),
        Column(
            "errors",
            "Errors",
            lambda d: percent(d.error_rate),
            sort_key=lambda d: d.error_rate,
            width=7,
            align="right",
            priority=1,
        ),
        Column(
            "rps",
            "Req/s",
            lambda d: number(d.requests_per_second, 1),
            sort_key=lambda d: d.requests_per_second,
            width=7,
            align="right",
            priority=3,
        ),
        Column("env", "Env", lambda d: d.environment, width=8, priority=4),
    ]
    if with_trend:
        columns.append(Column("trend", "p95 trend", trend, width=16, priority=2))
    return columns


# -- alerts --------------------------------------------------------------------------------
def alert_state_text(alert: Alert, snapshot: Snapshot) -> str:
    # one wording for list, detail, Overview and headless output: services/triage.py
    return triage_in(alert, snapshot).text()


def alert_columns(snapshot: Snapshot, compact: bool = False) -> list[Column[Alert]]:
    """Severity, name, target, age and state stay at 80 columns; the summary goes first."""
    return [
        Column(
            "severity",
            "Severity",
            lambda a: severity_text(a.severity),
            sort_key=lambda a: a.severity.rank,
            width=11,
            min_width=11,
            style=lambda a: SEVERITY_STYLE[a.severity],
        ),
        Column("name", "Alert", lambda a: a.name, width=22, min_width=12),
        Column(
            "target",
            "Model / deployment",
            _alert_target,
            width=22,
            min_width=10,
            flex=True,
            priority=1 if compact else 0,
        ),
        Column("summary", "Summary", lambda a: a.summary, width=30, min_width=10, flex=True, priority=2),
        Column(
            "age",
            "Age",
            lambda a: ago(a.starts_at),
            sort_key=lambda a: -a.starts_at.timestamp(),
            width=10,  # "20h00m ago" is ten cells
            min_width=7,
            align="right",
        ),
        Column(
            "state",
            "State",
            lambda a: alert_state_text(a, snapshot),
            width=30,  # "✓ acked by <user> 12m ago": the symbol takes two cells
            min_width=8,
            # flex: on a wide screen it takes its share of the spare width, so that
            # "silenced until 09:28 by <user>" is read whole; on a narrow one it gives way first
            flex=True,
            priority=1 if compact else 0,  # the Overview lists acked alerts too: who owns it beats the summary
            style=lambda a: "bold" if a.state == AlertState.FIRING else "dim",
        ),
    ]


def _alert_target(alert: Alert) -> str:
    parts = [p for p in (alert.model, alert.deployment) if p]
    return " / ".join(parts)


# -- drift ---------------------------------------------------------------------------------
def drift_columns(snapshot: Snapshot) -> list[Column[DriftScore]]:
    def history(d: DriftScore) -> str:
        return sparkline([h.score for h in snapshot.drift_history(d.model, d.feature)], 16)

    return [
        Column("model", "Model", lambda d: d.model, width=18, min_width=10),
        Column("feature", "Feature", lambda d: d.feature, width=22, min_width=10, flex=True),
        Column("score", "Score", lambda d: number(d.score), sort_key=lambda d: d.score, width=8, align="right"),
        Column(
            "threshold",
            "Threshold",
            lambda d: ("> " if d.higher_is_drift else "< ") + number(d.threshold),
            sort_key=lambda d: d.threshold,
            width=9,
            align="right",
        ),
        Column("method", "Method", lambda d: d.method, width=12, priority=2),
        Column(
            "drifted",
            "Drifted",
            lambda d: "✖ drift" if d.drifted else "✓ ok",
            sort_key=lambda d: not d.drifted,
            width=8,
            style=lambda d: "bold red" if d.drifted else "green",
        ),
        Column("history", "History", history, width=16, priority=1),
        Column("source", "Source", lambda d: d.source or d.backend, width=10, priority=3),
    ]


def _int(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text
