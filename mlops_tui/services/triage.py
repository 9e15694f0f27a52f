"""Who owns an alert: firing, acked (by whom, since when), silenced, inhibited (by which alert).

One place decides, so the Alerts list, the detail, the Overview and `alerts list` say the same.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mlops_tui.core.wording import ago
from mlops_tui.domain import Alert, AlertState, Silence, SilenceState
from mlops_tui.domain.alerts import Triage, ack_started_at
from mlops_tui.services.snapshot import Snapshot


@dataclass(frozen=True)
class AlertTriage:
    state: Triage
    silence: Silence | None = None  # the ack or silence that holds it
    acked_by: str = ""
    acked_at: datetime | None = None
    inhibited_by: tuple[str, ...] = ()  # names of the inhibiting alerts (fingerprints if unknown)
    flapping: bool = False

    def text(self, now: datetime | None = None, symbol: bool = True) -> str:
        """`✓ acked by erin 12m ago`, `~ silenced until 12:30 by bob`, `⊘ inhibited by DiskFull`."""
        words = self.words(now) + (" ↯ flapping" if self.flapping else "")
        return f"{self.state.symbol} {words}" if symbol else words

    def words(self, now: datetime | None = None) -> str:
        if self.state == Triage.ACKED:
            return f"acked by {self.acked_by} {since(self.acked_at, now)}"
        if self.state == Triage.SILENCED:
            if self.silence is None:
                return "silenced"
            until = self.silence.ends_at.astimezone().strftime("%H:%M")
            return f"silenced until {until} by {self.silence.created_by}"
        if self.state == Triage.INHIBITED:
            names = ", ".join(self.inhibited_by)
            return f"inhibited by {names}" if names else "inhibited"
        return self.state.value

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "acked_by": self.acked_by or None,
            "acked_at": self.acked_at.isoformat() if self.acked_at else None,
            "silence_id": self.silence.id if self.silence else None,
            "inhibited_by": list(self.inhibited_by),
            "flapping": self.flapping,
        }


def since(when: datetime | None, now: datetime | None = None) -> str:
    """`12m ago`: the app's one way of saying an age (core.wording.ago), never in the future."""
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    return ago(min(when, now), now)


def triage(alert: Alert, silences_by_id: Mapping[str, Silence], names: Mapping[str, str] | None = None) -> AlertTriage:
    """An ack outranks a silence, a silence outranks an inhibition: the first says who owns it."""
    if alert.state == AlertState.RESOLVED:
        return AlertTriage(Triage.RESOLVED)
    holding = [
        s for sid in alert.silenced_by if (s := silences_by_id.get(sid)) is not None and s.state != SilenceState.EXPIRED
    ]
    ack = next((s for s in holding if s.is_ack), None)
    if ack is not None:
        return AlertTriage(Triage.ACKED, ack, ack.created_by, ack_started_at(ack))
    if alert.silenced_by:
        return AlertTriage(Triage.SILENCED, holding[0] if holding else None)
    if alert.inhibited_by:
        names = names or {}
        return AlertTriage(Triage.INHIBITED, inhibited_by=tuple(names.get(f, f) for f in alert.inhibited_by))
    return AlertTriage(Triage.FIRING)


_NAMES: weakref.WeakKeyDictionary[Snapshot, dict[str, str]] = weakref.WeakKeyDictionary()


def alert_names(snapshot: Snapshot) -> dict[str, str]:
    """fingerprint -> alertname, once per snapshot (inhibitedBy holds fingerprints)."""
    names = _NAMES.get(snapshot)
    if names is None:
        names = _NAMES[snapshot] = {a.fingerprint: a.name for a in snapshot.alerts}
    return names


# Fingerprints of flapping alerts, as the alert journal last counted them (its recorder thread
# sets them; `alerts list` sets them from the journal file). One app shows one context at a time.
_FLAPPING: frozenset[str] = frozenset()


def set_flapping(fingerprints: Iterable[str]) -> None:
    global _FLAPPING
    _FLAPPING = frozenset(fingerprints)


def triage_in(alert: Alert, snapshot: Snapshot) -> AlertTriage:
    names = alert_names(snapshot) if alert.inhibited_by else None
    t = triage(alert, snapshot.silences_by_id, names)
    if alert.fingerprint in _FLAPPING:
        t = dataclasses.replace(t, flapping=True)
    return t


def acked_alerts(snapshot: Snapshot) -> tuple[Alert, ...]:
    """Active alerts held by an ack (the Overview lists them under the firing ones)."""
    return tuple(a for a in snapshot.active_alerts if a.silenced_by and triage_in(a, snapshot).state == Triage.ACKED)
