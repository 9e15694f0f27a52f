"""The app's words for counts, ages, numbers, stages and drift scores: one way of saying each,
the same in the TUI and in headless output."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

from mlops_tui.domain import DriftScore, ModelVersion

# Words whose plural is not the word plus "s".
_IRREGULAR = {"match": "matches", "policy": "policies", "inhibition": "inhibitions"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 alert`, `3 alerts`, `0 alerts`: the count and the word in the right number."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {many or _IRREGULAR.get(word) or _plural_of(word)}"


def _plural_of(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """One unit, largest first: `just now`, `42s ago`, `3m ago`, `20h ago`, `2d ago`; `in 5m` ahead."""
    if when is None:
        return "-"
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 1:  # a poll that just finished; "0s ago" reads like a fault
        return "just now"
    if seconds < 60:
        text = f"{int(seconds)}s"
    elif seconds < 3600:
        text = f"{int(seconds // 60)}m"
    elif seconds < 86400:
        text = f"{int(seconds // 3600)}h"
    else:
        text = f"{int(seconds // 86400)}d"
    return f"in {text}" if future else f"{text} ago"


# MLflow writes "None" for a version without a stage; with aliases (MLflow 2+) every version says so.
NO_STAGE = ("", "None")


def has_stage(stage: str | None) -> bool:
    return (stage or "") not in NO_STAGE


def any_stage(versions: Iterable[ModelVersion]) -> bool:
    """Whether a Stage column says anything: hidden when no version has a stage."""
    return any(has_stage(v.stage) for v in versions)


def number(value: float | None, digits: int = 4) -> str:
    """`0.9312`, `12`, `1.2e+06`: at most `digits` decimals, no trailing zeros; `-` for none."""
    if value is None:
        return "-"
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 10**-digits):
        return f"{value:.3g}"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if "." in f"{value:.{digits}f}" else f"{value}"


# -- drift: which way a score drifts is said with it, never left to a bare number ------------
def drift_score_text(d: DriftScore) -> str:
    """`p 0.035 < 0.05` (a p-value drifts below its threshold), `dist 0.31 > 0.2` (a distance
    drifts above it); the comparison shown is the one that holds, so it reads as the verdict."""
    if not d.has_value:
        return "no value"
    kind = "dist" if d.higher_is_drift else "p"
    if math.isinf(d.score):
        score = "+Inf" if d.score > 0 else "-Inf"
    else:
        score = number(d.score, 3)
    if d.higher_is_drift:
        sign = ">" if d.drifted else "≤"
    else:
        sign = "<" if d.drifted else "≥"
    return f"{kind} {score} {sign} {number(d.threshold, 3)}"


def drift_rule(d: DriftScore) -> str:
    """`drift when p < 0.05`, `drift when dist > 0.2`: the threshold with its direction."""
    return f"drift when {'dist >' if d.higher_is_drift else 'p <'} {number(d.threshold, 3)}"


def drift_verdict(d: DriftScore) -> str:
    return "drift" if d.drifted else "ok" if d.has_value else "no value"
