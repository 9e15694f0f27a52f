"""Alerts as Alertmanager knows them, and silences (an ack is a short silence)."""

import re
from datetime import UTC, datetime
from enum import StrEnum

from mlops_tui.domain.base import DomainModel

ACK_PREFIX = "ACK!"


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"
    NONE = "none"

    @classmethod
    def parse(cls, value: str | None) -> "Severity":
        value = (value or "").lower()
        if value in ("critical", "page", "error", "high"):
            return cls.CRITICAL
        if value in ("warning", "warn", "medium"):
            return cls.WARNING
        if value in ("info", "low"):
            return cls.INFO
        return cls.NONE

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def symbol(self) -> str:
        return _SYMBOL[self]


_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2, Severity.NONE: 3}
_SYMBOL = {Severity.CRITICAL: "!!", Severity.WARNING: "!", Severity.INFO: "i", Severity.NONE: "-"}


class AlertState(StrEnum):
    FIRING = "firing"
    SUPPRESSED = "suppressed"
    RESOLVED = "resolved"


class Alert(DomainModel):
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    starts_at: datetime
    ends_at: datetime | None = None
    state: AlertState = AlertState.FIRING
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    generator_url: str = ""
    backend: str = ""
    # Set by a backend with its own drift rules; None falls back to the default rule.
    drift: bool | None = None

    @property
    def is_drift(self) -> bool:
        """A drift alert: `kind="drift"` or "drift" in the alert's name, unless the backend said."""
        if self.drift is not None:
            return self.drift
        return self.labels.get("kind") == "drift" or "drift" in self.name.lower()

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def severity(self) -> Severity:
        return Severity.parse(self.labels.get("severity"))

    @property
    def model(self) -> str:
        return self.labels.get("model", "")

    @property
    def deployment(self) -> str:
        return self.labels.get("deployment", "")

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description", "")

    @property
    def runbook_url(self) -> str:
        return self.annotations.get("runbook_url") or self.annotations.get("runbook", "")


class Matcher(DomainModel):
    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def matches(self, labels: dict[str, str]) -> bool:
        import re

        actual = labels.get(self.name, "")
        hit = re.fullmatch(self.value, actual) is not None if self.is_regex else actual == self.value
        return hit if self.is_equal else not hit


class SilenceState(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    EXPIRED = "expired"


class Silence(DomainModel):
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: SilenceState = SilenceState.ACTIVE
    backend: str = ""

    @property
    def is_ack(self) -> bool:
        return self.comment.startswith(ACK_PREFIX)

    def matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


# -- triage: who owns an alert (additive; see services/triage.py) ------------------------------
class Triage(StrEnum):
    """What a person should read about an alert, in one word each. Its symbol (never colour
    alone, never the symbol alone) is the glyph table's: services/triage.py pairs them."""

    FIRING = "firing"
    ACKED = "acked"
    SILENCED = "silenced"
    INHIBITED = "inhibited"
    RESOLVED = "resolved"


# An extended ack keeps when it was first acked in its comment, because Alertmanager may
# answer an update with a new silence whose startsAt is the update's time.
_ACKED_AT = re.compile(r"\[acked (\S+?)(?:; extended (\d+)x)?\]")


def ack_started_at(silence: "Silence") -> datetime:
    """When the ack was first made: the `[acked TIME]` note in its comment, else its start."""
    found = _ACKED_AT.search(silence.comment)
    if found:
        try:
            when = datetime.fromisoformat(found.group(1).replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        except ValueError:
            pass
    return silence.starts_at


def ack_extensions(silence: "Silence") -> int:
    """How many times the ack was extended, as its comment says."""
    found = _ACKED_AT.search(silence.comment)
    return int(found.group(2)) if found and found.group(2) else 0


def extended_ack_comment(silence: "Silence", by: str, at: datetime) -> str:
    """The comment after one more extension: the original text, then `[acked T; extended Nx]`."""
    base = _ACKED_AT.sub("", silence.comment).rstrip()
    base = re.sub(r"\s*\(last extended by .*?\)$", "", base)
    started = ack_started_at(silence).astimezone(UTC).isoformat(timespec="seconds")
    count = ack_extensions(silence) + 1
    stamp = at.astimezone(UTC).isoformat(timespec="seconds")
    return (
        f"{base} [acked {started.replace('+00:00', 'Z')}; extended {count}x]"
        f" (last extended by {by} at {stamp.replace('+00:00', 'Z')})"
    )


# -- history (additive) ---------------------------------------------------------------------------
class FiringInterval(DomainModel):
    """One stretch of time an alert fired; `ends_at` None: it still fires."""

    starts_at: datetime
    ends_at: datetime | None = None
    source: str = ""  # "prometheus" (ALERTS) or "journal" (what this app saw)

    def minutes(self, now: datetime) -> float:
        return max(0.0, ((self.ends_at or now) - self.starts_at).total_seconds() / 60)


# -- Alertmanager status (additive) -----------------------------------------------------------------
class AlertmanagerStatus(DomainModel):
    """`GET /api/v2/status` of one Alertmanager, in the app's words."""

    backend: str
    version: str = ""
    uptime_since: datetime | None = None
    cluster_name: str = ""
    cluster_status: str = ""  # ready, settling, disabled
    peers: tuple[str, ...] = ()  # "name (address)"
    receivers: tuple[str, ...] = ()
