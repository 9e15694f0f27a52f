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

from mlops_tui.core import glyphs
from mlops_tui.core.wording import ago
from mlops_tui.domain import Alert, AlertState, Silence, SilenceState
from mlops_tui.domain.alerts import Triage, ack_started_at
from mlops_tui.services.snapshot import Snapshot

# Each state's symbol, from the one glyph table; the word is the state's own (Triage's value).
SYMBOL = {
    Triage.FIRING: glyphs.FIRING,
    Triage.ACKED: glyphs.ACKED,
    Triage.SILENCED: glyphs.SILENCED,
    Triage.INHIBITED: glyphs.INHIBITED,
    Triage.RESOLVED: glyphs.RESOLVED,
}


@dataclass(frozen=True)
class AlertTriage:
    state: Triage
    silence: Silence | None = None  # the ack or silence that holds it
    acked_by: str = ""
    acked_at: datetime | None = None
    inhibited_by: tuple[str, ...] = ()  # names of the inhibiting alerts (fingerprints if unknown)
    flapping: bool = False
    ack_failed: AckFailure | None = None  # the last ack from this app failed (not acked)

    def text(self, now: datetime | None = None, symbol: bool = True) -> str:
        """`√ acked by erin 12m ago`, `~ silenced until 12:30 by bob`, `ø inhibited by DiskFull`;
        a failed ack in place of "firing" (`× ack failed: HTTP 500`), or before the other states."""
        words = self.words(now) + (f" {glyphs.FLAPPING} flapping" if self.flapping else "")
        text = f"{self.symbol} {words}" if symbol else words
        if self.ack_failed is not None:
            failed = f"{glyphs.FAILED + ' ' if symbol else ''}ack failed: {self.ack_failed.reason}"
            text = failed if self.state == Triage.FIRING and not self.flapping else f"{failed} · {text}"
        return text

    @property
    def symbol(self) -> str:
        return SYMBOL[self.state]

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


def flapping() -> frozenset[str]:
    return _FLAPPING


@dataclass(frozen=True)
class AckFailure:
    """An ack this app tried and the server did not confirm: why, in a few words, and when."""

    reason: str  # "HTTP 500", "unreachable", "no answer in time", ...
    at: datetime
    message: str = ""  # the whole error, as the notification said it (redacted)


def ack_failure_reason(exc: BaseException) -> str:
    """A failed ack's cause in a few words for the alert's state cell (the notification and the
    audit log keep the whole message)."""
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return f"HTTP {status}"
    kind = type(exc).__name__
    text = str(exc)
    if isinstance(exc, TimeoutError) or "did not answer" in text:
        return "no answer in time"
    if kind == "Unauthorized":
        return "credentials refused"
    if kind == "BackendUnavailable":
        return "unreachable"
    return text[:40] or kind


# Acks that failed, by (backend, fingerprint): kept until an ack of that alert succeeds or the
# user dismisses the note (`u`). Like _FLAPPING, one per process: one app shows one context.
_ACK_FAILED: dict[tuple[str, str], AckFailure] = {}


def note_ack_failed(alerts: Iterable[Alert], exc: BaseException, message: str = "", at: datetime | None = None) -> None:
    failure = AckFailure(ack_failure_reason(exc), at or datetime.now(UTC), message)
    for a in alerts:
        _ACK_FAILED[(a.backend, a.fingerprint)] = failure


def clear_ack_failed(alerts: Iterable[Alert]) -> int:
    """Forget the failed-ack notes of `alerts` (acked since, or dismissed); how many there were."""
    return sum(_ACK_FAILED.pop((a.backend, a.fingerprint), None) is not None for a in alerts)


def forget_ack_failures() -> None:
    """Drop every failed-ack note (a context switch; each test)."""
    _ACK_FAILED.clear()


def ack_failed_notes() -> tuple[tuple[tuple[str, str], AckFailure], ...]:
    """Every failed-ack note now (a view compares it to know whether its rows must change)."""
    return tuple(_ACK_FAILED.items())


def ack_failed(alert: Alert) -> AckFailure | None:
    return _ACK_FAILED.get((alert.backend, alert.fingerprint))


def triage_in(alert: Alert, snapshot: Snapshot) -> AlertTriage:
    names = alert_names(snapshot) if alert.inhibited_by else None
    t = triage(alert, snapshot.silences_by_id, names)
    if alert.fingerprint in _FLAPPING:
        t = dataclasses.replace(t, flapping=True)
    if _ACK_FAILED and t.state != Triage.ACKED and (failed := ack_failed(alert)) is not None:
        t = dataclasses.replace(t, ack_failed=failed)
    return t


def acked_alerts(snapshot: Snapshot) -> tuple[Alert, ...]:
    """Active alerts held by an ack (the Overview lists them under the firing ones)."""
    return tuple(a for a in snapshot.active_alerts if a.silenced_by and triage_in(a, snapshot).state == Triage.ACKED)
