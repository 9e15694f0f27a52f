"""Promotion policy: the candidate's metrics beside the champion's, and the checks that gate it."""

from __future__ import annotations

from dataclasses import dataclass

from mlops_tui.domain import ModelVersion, Run, RunStatus

_LOWER_IS_BETTER = ("loss", "rmse", "mae", "mse", "error", "latency", "mape")


def lower_is_better(metric: str) -> bool:
    name = metric.lower()
    return any(word in name for word in _LOWER_IS_BETTER)


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    candidate: float | None
    champion: float | None

    @property
    def delta(self) -> float | None:
        if self.candidate is None or self.champion is None:
            return None
        return self.candidate - self.champion

    @property
    def better(self) -> str:
        """'candidate', 'champion', 'equal' or '' when one side is missing."""
        delta = self.delta
        if delta is None:
            return ""
        if delta == 0:
            return "equal"
        improved = delta < 0 if lower_is_better(self.metric) else delta > 0
        return "candidate" if improved else "champion"


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class PolicyRules:
    """Configurable gates; the defaults are what most teams want."""

    must_not_drop: tuple[str, ...] = ("auc", "accuracy", "f1")
    must_not_rise: tuple[str, ...] = ("rmse", "mae", "logloss")
    require_ready: bool = True
    require_finished_run: bool = True


def compare_metrics(candidate: Run | None, champion: Run | None) -> list[MetricComparison]:
    keys = sorted(set(candidate.metrics if candidate else {}) | set(champion.metrics if champion else {}))
    return [
        MetricComparison(
            k,
            candidate.metrics.get(k) if candidate else None,
            champion.metrics.get(k) if champion else None,
        )
        for k in keys
    ]


def evaluate(
    candidate: ModelVersion,
    candidate_run: Run | None,
    champion_run: Run | None,
    rules: PolicyRules = PolicyRules(),
) -> list[CheckResult]:
    checks: list[CheckResult] = []
    if rules.require_ready:
        checks.append(
            CheckResult("candidate status READY", candidate.status == "READY", f"status is {candidate.status}")
        )
    if rules.require_finished_run:
        status = candidate_run.status if candidate_run else None
        checks.append(
            CheckResult(
                "source run FINISHED",
                status == RunStatus.FINISHED,
                f"run is {status}" if status else "source run not found",
            )
        )
    comparisons = {c.metric: c for c in compare_metrics(candidate_run, champion_run)}
    for metric in rules.must_not_drop:
        c = comparisons.get(metric)
        if c is None or c.delta is None:
            continue
        checks.append(CheckResult(f"{metric} must not drop", c.delta >= 0, f"Δ {c.delta:+.4f}"))
    for metric in rules.must_not_rise:
        c = comparisons.get(metric)
        if c is None or c.delta is None:
            continue
        checks.append(CheckResult(f"{metric} must not rise", c.delta <= 0, f"Δ {c.delta:+.4f}"))
    return checks
