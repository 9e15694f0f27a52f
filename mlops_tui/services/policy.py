"""Promotion policy: the candidate's metrics beside the holder's, and the checks that gate it.

The rules come from the config's `[policy]` table (config/policy.py); a failing check blocks
the approval unless the policy allows break-glass and the approver gives a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mlops_tui.config.policy import Gate, PolicyRules
from mlops_tui.domain import ModelVersion, Run, RunStatus

_LOWER_IS_BETTER = ("loss", "rmse", "mae", "mse", "error", "latency", "mape")


def lower_is_better(metric: str) -> bool:
    name = metric.lower()
    return any(word in name for word in _LOWER_IS_BETTER)


Directions = Callable[[str], bool]  # is lower better for this metric? (`[metrics]` overrides)


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    candidate: float | None
    champion: float | None
    lower: bool | None = field(default=None, compare=False)  # lower is better (None: by its name)

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
        lower = lower_is_better(self.metric) if self.lower is None else self.lower
        improved = delta < 0 if lower else delta > 0
        return "candidate" if improved else "champion"


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str = ""
    unknown: bool = False  # could not be judged (e.g. signature unknown): shown, does not block


def compare_metrics(
    candidate: Run | None, champion: Run | None, directions: Directions = lower_is_better
) -> list[MetricComparison]:
    keys = sorted(set(candidate.metrics if candidate else {}) | set(champion.metrics if champion else {}))
    return [
        MetricComparison(
            k,
            candidate.metrics.get(k) if candidate else None,
            champion.metrics.get(k) if champion else None,
            directions(k),
        )
        for k in keys
    ]


def evaluate(
    rules: PolicyRules,
    candidate: ModelVersion,
    candidate_run: Run | None,
    holder_run: Run | None,
    holder: str | None = None,
    directions: Directions = lower_is_better,
) -> list[CheckResult]:
    """Each of the policy's checks for `candidate`, pass or fail with its numbers.

    `holder` is the version holding the target now (None: nobody); `holder_run` its source run.
    Unknown is not a pass: a metric the candidate lacks fails its gate, and so does a holder
    gate when the holder's run or metric cannot be read.
    """
    checks: list[CheckResult] = [
        CheckResult("candidate status READY", candidate.status == "READY", f"status is {candidate.status}")
    ]
    if rules.require_finished_run:
        status = candidate_run.status if candidate_run else None
        checks.append(
            CheckResult(
                "source run FINISHED",
                status == RunStatus.FINISHED,
                f"run is {status}" if status else "source run not found",
            )
        )
    for key, wanted in rules.require_tags.items():
        have = candidate.tags.get(key)
        checks.append(
            CheckResult(
                f"tag {key} = {wanted}",
                have == wanted,
                f"is {have}" if have is not None else "tag not set",
            )
        )
    metrics = candidate_run.metrics if candidate_run else {}
    for gate in rules.parsed_gates:
        checks.append(_gate_check(gate, metrics.get(gate.metric), holder_run, holder, directions))
    return checks


def _gate_check(
    gate: Gate, value: float | None, holder_run: Run | None, holder: str | None, directions: Directions
) -> CheckResult:
    if gate.against_holder and holder is None:
        return CheckResult(gate.text, True, "no current holder to compare with")
    if value is None:
        return CheckResult(gate.text, False, f"the candidate has no {gate.metric}")
    held = None
    if gate.against_holder:
        if holder_run is None:
            return CheckResult(gate.text, False, f"the source run of v{holder} cannot be read")
        held = holder_run.metrics.get(gate.metric)
        if held is None:
            return CheckResult(gate.text, False, f"v{holder} has no {gate.metric}")
    bound = gate.bound(held)
    assert bound is not None
    detail = f"{value:.4f} {gate.op} {bound:.4f}"
    if held is not None:
        # better or worse than the holder, by the metric's direction ([metrics] overrides the name)
        mark = MetricComparison(gate.metric, value, held, directions(gate.metric)).better
        word = {"candidate": "better", "champion": "worse", "equal": "equal"}.get(mark, "")
        detail += f" (v{holder}: {held:.4f}; {word})" if word else f" (v{holder}: {held:.4f})"
    return CheckResult(gate.text, gate.holds(value, bound), detail)


def failed(checks: list[CheckResult]) -> list[CheckResult]:
    return [c for c in checks if not c.passed]


def checks_summary(checks: list[CheckResult]) -> str:
    """One line for the record: how many passed, and which failed."""
    bad = failed(checks)
    unknown = [c for c in checks if c.passed and c.unknown]
    text = f"{len(checks) - len(bad) - len(unknown)} passed, {len(bad)} failed"
    text += f", {len(unknown)} unknown" if unknown else ""
    return text + (": " + "; ".join(c.name for c in bad) if bad else "")
