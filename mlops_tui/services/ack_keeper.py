"""Acks kept alive while their alert fires (what kthxbye does as a sidecar).

`plan_acks` is pure: from alerts, silences and a time it decides which acks to extend (the alert
still fires, the ack ends within a margin, the ack is younger than `ack_max_hours`) and which to
let expire (no alert it holds fires any more). `AckKeeper` applies a plan on a thread of its own
(the app's and `mlops-tui alerts keep-acks`'), writing through the actions service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from mlops_tui.core.ui_turn import stepping_aside
from mlops_tui.domain import Alert, AlertState, BackendState, Silence, SilenceState
from mlops_tui.domain.alerts import ack_started_at
from mlops_tui.services.background import BackgroundJob

if TYPE_CHECKING:
    from mlops_tui.services.actions import Actions
    from mlops_tui.services.hub import Hub

log = logging.getLogger(__name__)

MAX_MARGIN = timedelta(minutes=5)


def margin_for(ack_minutes: float) -> timedelta:
    """How long before its end an ack is extended: half its length, at most 5 minutes."""
    return min(MAX_MARGIN, timedelta(minutes=ack_minutes) / 2)


@dataclass(frozen=True)
class Extension:
    silence: Silence
    ends_at: datetime
    alerts: tuple[str, ...]  # names of the alerts it holds


@dataclass(frozen=True)
class AckPlan:
    extend: tuple[Extension, ...] = ()
    expiring: tuple[Silence, ...] = ()  # the alert resolved: not extended, left to end
    at_limit: tuple[Silence, ...] = ()  # still firing but acked ack_max_hours ago: left to end


def held_alerts(silence: Silence, alerts: Iterable[Alert]) -> list[Alert]:
    """The unresolved alerts this silence holds (the server says so, or its matchers do)."""
    return [
        a
        for a in alerts
        if a.state != AlertState.RESOLVED and (silence.id in a.silenced_by or silence.matches(a.labels))
    ]


class _HeldIndex:
    """`held_alerts` for many silences over 20,000 alerts: an ack names its alertname, so
    only the alerts of that name are matched, not every alert once per ack."""

    def __init__(self, alerts: Iterable[Alert]) -> None:
        # stepping aside: on the app's ack-keeper thread this is tens of ms a poll at 10,000
        # alerts, which a key being handled would otherwise share (core/ui_turn.py)
        self.unresolved = [a for a in stepping_aside(alerts) if a.state != AlertState.RESOLVED]
        self.by_name: dict[str, list[Alert]] = {}
        self.by_silence: dict[str, list[Alert]] = {}
        for a in stepping_aside(self.unresolved):
            self.by_name.setdefault(a.labels.get("alertname", ""), []).append(a)
            for sid in a.silenced_by:
                self.by_silence.setdefault(sid, []).append(a)

    def __call__(self, silence: Silence) -> list[Alert]:
        names = [m.value for m in silence.matchers if m.name == "alertname" and m.is_equal and not m.is_regex]
        candidates = self.by_name.get(names[0], []) if names else self.unresolved
        held = {id(a): a for a in self.by_silence.get(silence.id, [])}
        held.update((id(a), a) for a in stepping_aside(candidates) if silence.matches(a.labels))
        return list(held.values())


def plan_acks(
    alerts: Iterable[Alert],
    silences: Iterable[Silence],
    now: datetime,
    *,
    ack_minutes: float,
    ack_max_hours: float,
    margin: timedelta | None = None,
    trusted: Collection[str] | None = None,
) -> AckPlan:
    """What to do with each active ack. `trusted`: backends whose alerts and silences were read
    just now; an ack on any other backend is left alone (unknown is not "resolved")."""
    held_by = _HeldIndex(alerts)
    margin = margin_for(ack_minutes) if margin is None else margin
    extend, expiring, at_limit = [], [], []
    for silence in silences:
        if not silence.is_ack or silence.state != SilenceState.ACTIVE or silence.ends_at <= now:
            continue
        if trusted is not None and silence.backend not in trusted:
            continue
        held = held_by(silence)
        if not held:
            expiring.append(silence)
            continue
        if silence.ends_at - now > margin:
            continue
        limit = ack_started_at(silence) + timedelta(hours=ack_max_hours)
        ends_at = min(now + timedelta(minutes=ack_minutes), limit)
        if ends_at <= silence.ends_at:
            at_limit.append(silence)
            continue
        extend.append(Extension(silence, ends_at, tuple(sorted({a.name for a in held}))))
    return AckPlan(tuple(extend), tuple(expiring), tuple(at_limit))


class AckKeeper(BackgroundJob):
    """Runs `plan_acks` on each new snapshot of `hub` and carries it out through `actions`.

    Its own thread and event loop: a slow Alertmanager never holds a key press. `report` gets
    one line per extension, expiry or failure (the app logs it; keep-acks prints it).
    """

    thread_name = "ack-keeper"

    def __init__(
        self,
        hub: Hub,
        actions: Actions,
        *,
        ack_minutes: float,
        ack_max_hours: float,
        report: Callable[[str], None] | None = None,
        interval: float = 1.0,
        on_event: Callable[[str, Silence, dict[str, str]], None] | None = None,
    ) -> None:
        self.hub = hub
        self.actions = actions
        self.ack_minutes = ack_minutes
        self.ack_max_hours = ack_max_hours
        self.report = report or log.info
        self.on_event = on_event  # (kind, silence, detail): the alert journal listens here
        self.interval = interval
        super().__init__()
        self._seen_generation = -1
        self._set_until: dict[str, datetime] = {}  # silence id -> the end we gave it
        self._announced: set[str] = set()
        self.extensions = 0

    # -- one step (tests call it directly) --------------------------------------------------
    async def step(self, now: datetime | None = None) -> AckPlan | None:
        snapshot = self.hub.snapshot
        if snapshot.generation == self._seen_generation:
            return None
        self._seen_generation = snapshot.generation
        trusted = {s.name for s in snapshot.statuses if s.state in (BackendState.OK, BackendState.SLOW)}
        now = now or datetime.now(UTC)
        plan = plan_acks(
            snapshot.alerts,
            snapshot.silences,
            now,
            ack_minutes=self.ack_minutes,
            ack_max_hours=self.ack_max_hours,
            trusted=trusted,
        )
        for ext in plan.extend:
            s = ext.silence
            if s.id in self._set_until and self._set_until[s.id] > s.ends_at:
                continue  # we extended it already; this snapshot predates that
            why_not = self._cannot_extend(s)
            if why_not:
                if s.id not in self._announced:  # said once, not audited on every poll
                    self._announced.add(s.id)
                    self.report(f"ack {s.id} by {s.created_by} not kept alive: {why_not}")
                continue
            try:
                new_id = await self.actions.extend_ack(s, ext.ends_at)
            except Exception as exc:  # ActionRefused and anything unexpected: said, not fatal
                self.report(f"ack {s.id} ({', '.join(ext.alerts)}) not extended: {exc}")
                continue
            self._set_until[s.id] = self._set_until[new_id] = ext.ends_at
            self.extensions += 1
            local = ext.ends_at.astimezone().strftime("%H:%M:%S")
            follow = "" if new_id == s.id else f" (now silence {new_id})"
            self.report(f"extended ack {s.id}{follow} by {s.created_by} on {', '.join(ext.alerts)} until {local}")
            self._event("ack extended", s, {"silence_id": new_id, "until": ext.ends_at.isoformat()})
        for s in plan.expiring:
            if s.id not in self._announced:
                self._announced.add(s.id)
                local = s.ends_at.astimezone().strftime("%H:%M:%S")
                self.report(f"ack {s.id} by {s.created_by}: its alert resolved; left to expire at {local}")
                self._event("ack expiring", s, {"until": s.ends_at.isoformat()})
        for s in plan.at_limit:
            if s.id not in self._announced:
                self._announced.add(s.id)
                self.report(
                    f"ack {s.id} by {s.created_by} reached ack_max_hours ({self.ack_max_hours:g} h); left to expire"
                )
                self._event("ack at limit", s, {})
        return plan

    def _cannot_extend(self, silence: Silence) -> str:
        if getattr(self.actions, "read_only", False):
            return "read-only mode"
        try:
            backend = self.hub.backend(silence.backend)
        except Exception:
            return f"no backend {silence.backend}"
        from mlops_tui.backends.base import Backend

        if type(backend).update_silence is Backend.update_silence:
            return f"{backend.kind} cannot update silences"
        return ""

    def _event(self, kind: str, silence: Silence, detail: dict[str, str]) -> None:
        if self.on_event is not None:
            try:
                self.on_event(kind, silence, detail)
            except Exception:
                log.exception("ack keeper event listener failed")

    # -- running -------------------------------------------------------------------------
    async def run(self) -> None:
        """Step until `stopping` is set (checked at least every `interval` seconds)."""
        while not self.stopping.is_set():
            try:
                await self.step()
            except Exception:
                log.exception("ack keeper step failed")
            await asyncio.get_running_loop().run_in_executor(None, self.stopping.wait, self.interval)

    def main(self) -> None:
        asyncio.run(self.run())
