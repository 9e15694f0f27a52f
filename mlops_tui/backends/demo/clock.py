"""The demo world's simulated clock, and the per-bucket cache that keeps its tuples stable."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mlops_tui.backends.demo.runs import ts_to_dt

HOUR = 3600.0
DAY = 86400.0


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SimClock:
    """Simulated time: `epoch` + `speed` x real elapsed seconds + seconds advanced by hand."""

    def __init__(self, epoch: datetime | None, speed: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.epoch = as_utc(epoch) if epoch is not None else datetime.now(UTC)
        self.epoch_ts = self.epoch.timestamp()
        self.speed = speed
        self._clock = clock
        self._start = clock()
        self._offset = 0.0

    def now_ts(self) -> float:
        return self.epoch_ts + self.speed * (self._clock() - self._start) + self._offset

    @property
    def now(self) -> datetime:
        return ts_to_dt(self.now_ts())

    def advance(self, seconds: float) -> datetime:
        """Move simulated time forward explicitly (tests, or a fast-forward key)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += seconds
        return self.now


class BucketCache:
    """One tuple per name, rebuilt when its key (a time bucket, a revision) changes.

    When a new key builds the same content, the old tuple is kept: callers compare tuples by
    identity to skip work.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[object, tuple[Any, ...]]] = {}

    def get(self, name: str, key: object, build: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...]:
        hit = self._entries.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = build()
        if hit is not None and _same(hit[1], value):
            value = hit[1]
        self._entries[name] = (key, value)
        return value


def _same(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    if len(old) != len(new):
        return False
    if all(before is after for before, after in zip(old, new, strict=True)):
        return True
    return len(new) <= 64 and old == new
