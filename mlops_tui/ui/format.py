"""How values read on screen: ages, local times, numbers, sparklines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from mlops_tui.core.wording import ago, number, plural
from mlops_tui.ui import glyphs

_BARS = glyphs.BARS

__all__ = ["ago", "duration", "local_time", "millis", "number", "percent", "plural", "sparkline"]


def local_time(when: datetime | None, with_date: bool = True) -> str:
    if when is None:
        return "-"
    # isoformat is ~3x cheaper than strftime, which counts when 100k rows are indexed
    text = when.astimezone().isoformat(" ", "minutes")
    return text[:16] if with_date else text[11:16]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def millis(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def sparkline(values: Sequence[float | None], width: int | None = None) -> str:
    """A one-line bar chart of `values` (the last `width` of them)."""
    points = [v for v in values if v is not None and not math.isnan(v)]
    if width is not None:
        points = points[-width:]
    if not points:
        return ""
    finite = [v for v in points if math.isfinite(v)] or [0.0]
    # ±Inf drawn as the highest/lowest bar, not as a division by infinity
    points = [min(max(v, min(finite)), max(finite)) if not math.isfinite(v) else v for v in points]
    low, high = min(points), max(points)
    span = high - low
    if span == 0:
        return _BARS[3] * len(points)
    return "".join(_BARS[min(7, int((v - low) / span * 7.999))] for v in points)
