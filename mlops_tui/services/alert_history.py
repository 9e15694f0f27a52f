"""One alert's history: firing intervals from Prometheus' ALERTS where a Prometheus backend is
configured (the whole team's view), else from this app's journal; the last ack from the journal.
`summary()` is the detail's "fired 5 times in 7 days (median 14 min)"; `strip()` the intervals
as a line of cells; `flapping()` more than `threshold` firings within one hour.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, cast

from mlops_tui.backends.errors import BackendError
from mlops_tui.core import glyphs
from mlops_tui.domain import Alert
from mlops_tui.domain.alerts import FiringInterval
from mlops_tui.services.alert_journal import AlertJournal, JournalEvent

if TYPE_CHECKING:
    from mlops_tui.services.hub import Hub


@dataclass(frozen=True)
class AlertHistory:
    intervals: tuple[FiringInterval, ...]
    days: float
    source: str  # "prometheus", "journal", or "" when neither could say
    problems: tuple[str, ...] = ()
    last_ack: JournalEvent | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def summary(self) -> str:
        if not self.source:
            return "history unknown: " + "; ".join(self.problems) if self.problems else "no history source"
        n = len(self.intervals)
        days = f"{self.days:g} day{'s' if self.days != 1 else ''}"
        if not n:
            return f"did not fire in {days} ({self.source})"
        median = statistics.median(i.minutes(self.now) for i in self.intervals)
        times = "once" if n == 1 else f"{n} times"
        return f"fired {times} in {days} (median {median:.0f} min) ({self.source})"

    def strip(self, width: int = 56) -> str:
        """`width` cells over `days`, oldest left: █ fired in that slice, · did not."""
        start = self.now - timedelta(days=self.days)
        cell = (self.now - start) / width
        cells = ["·"] * width
        for i in self.intervals:
            a = max(0, int((i.starts_at - start) / cell))
            b = min(width - 1, int(((i.ends_at or self.now) - start) / cell))
            for k in range(a, b + 1):
                cells[k] = glyphs.FIRED
        return "".join(cells)

    def flapping(self, threshold: int) -> bool:
        return is_flapping(self.intervals, threshold)

    def last_ack_text(self) -> str:
        e = self.last_ack
        if e is None:
            return "no ack seen"
        ended = {
            "ack created": "still on",
            "ack extended": "still on (extended)",
            "ack expired": "expired",
            "ack released": "released",
        }.get(e.kind, e.kind)
        ext = (e.detail or {}).get("extensions") or 0
        more = f", extended {ext}x" if ext else ""
        return f"by {e.actor}{more}; {ended} ({e.at.astimezone().strftime('%Y-%m-%d %H:%M')})"


def is_flapping(intervals: Iterable[FiringInterval], threshold: int) -> bool:
    """More than `threshold` firings starting within any one hour."""
    starts = sorted(i.starts_at for i in intervals)
    lo = 0
    for hi, t in enumerate(starts):
        while t - starts[lo] > timedelta(hours=1):
            lo += 1
        if hi - lo + 1 > threshold:
            return True
    return False


class _HistorySource(Protocol):
    """A backend that reads alert history (the Prometheus one)."""

    async def alert_history(self, alertname: str, labels: dict[str, str], since: timedelta) -> list[FiringInterval]: ...


def _prometheus_names(hub: Hub) -> list[str]:
    return [b.name for b in hub.backends if hasattr(b, "alert_history")]


async def load_history(hub: Hub, journal: AlertJournal | None, alert: Alert, days: float) -> AlertHistory:
    """Prometheus first (every configured one, first answer wins), then the journal."""
    since = timedelta(days=days)
    now = datetime.now(UTC)
    problems: list[str] = []
    intervals: list[FiringInterval] | None = None
    source = ""
    for name in _prometheus_names(hub):
        try:
            intervals = list(
                await hub.call(
                    name, lambda b: cast(_HistorySource, b).alert_history(alert.name, dict(alert.labels), since)
                )
            )
            source = "prometheus"
            break
        except (BackendError, TimeoutError) as exc:
            problems.append(f"{name}: {str(exc) or 'no answer in time'}")
    last_ack: JournalEvent | None = None
    if journal is not None:

        def read() -> tuple[list[FiringInterval], JournalEvent | None]:
            mine = journal.intervals(alert.fingerprint, now - since)
            return mine, journal.last_ack(dict(alert.labels))

        mine, last_ack = await asyncio.to_thread(read)
        if intervals is None:
            intervals, source = mine, "journal"
    return AlertHistory(tuple(intervals or ()), days, source, tuple(problems), last_ack, now)
