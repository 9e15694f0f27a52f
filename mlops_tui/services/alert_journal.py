"""A local SQLite journal of what this app has seen: alerts appearing and resolving, silences
and acks created, extended and expired. It covers setups without Prometheus and holds acks,
which `ALERTS` does not. Bounded by age and by rows; written off the UI thread (the
`JournalRecorder` thread, and the ack keeper's thread); survives restarts (a file in the data dir).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_tui.core.ui_turn import stepping_aside
from mlops_tui.domain import Alert, AlertState, BackendState, Silence, SilenceState
from mlops_tui.domain.alerts import FiringInterval, ack_extensions, ack_started_at
from mlops_tui.services.background import BackgroundJob

if TYPE_CHECKING:
    from mlops_tui.services.hub import Hub

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    alertname TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '{}',
    silence_id TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_fp ON events (fingerprint, at);
CREATE INDEX IF NOT EXISTS events_name ON events (alertname, at);
CREATE INDEX IF NOT EXISTS events_silence ON events (silence_id, kind);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, at);
"""

APPEARED, RESOLVED = "alert appeared", "alert resolved"
_READ = (BackendState.OK, BackendState.SLOW)
ACK_KINDS = ("ack created", "ack extended", "ack expired", "ack released")


@dataclass(frozen=True)
class JournalEvent:
    at: datetime
    kind: str
    fingerprint: str = ""
    alertname: str = ""
    labels: dict[str, str] | None = None
    silence_id: str = ""
    actor: str = ""
    detail: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "fingerprint": self.fingerprint,
            "alertname": self.alertname,
            "labels": self.labels or {},
            "silence_id": self.silence_id,
            "actor": self.actor,
            "detail": self.detail or {},
        }


class AlertJournal:
    """One SQLite file; safe to use from several threads (one connection behind a lock)."""

    def __init__(self, path: Path, *, max_age: timedelta = timedelta(days=30), max_rows: int = 200_000) -> None:
        self.path = Path(path)
        self.max_age = max_age
        self.max_rows = max_rows
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._writes = 0
        self.prune()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing ---------------------------------------------------------------------------
    def record(
        self,
        kind: str,
        *,
        at: datetime | None = None,
        alert: Alert | None = None,
        silence: Silence | None = None,
        actor: str = "",
        **detail: Any,
    ) -> None:
        at = at or datetime.now(UTC)
        labels = alert.labels if alert else {}
        row = (
            at.timestamp(),
            kind,
            alert.fingerprint if alert else "",
            alert.name if alert else "",
            json.dumps(labels, sort_keys=True),
            silence.id if silence else "",
            actor or (silence.created_by if silence else ""),
            json.dumps(detail, default=str),
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO events (at, kind, fingerprint, alertname, labels, silence_id, actor,"
                " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            self._writes += 1
            due = self._writes % 500 == 0
        if due:
            self.prune()

    def record_appeared(self, alerts: Sequence[Alert], now: datetime) -> None:
        """Many "alert appeared" rows in one transaction (a first poll of 20,000 alerts)."""
        rows = [
            (
                max(a.starts_at, now - timedelta(days=1)).timestamp(),
                APPEARED,
                a.fingerprint,
                a.name,
                json.dumps(a.labels, sort_keys=True),
                "",
                "",
                "{}",
            )
            for a in alerts
        ]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO events (at, kind, fingerprint, alertname, labels, silence_id, actor,"
                    " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            before = self._writes
            self._writes += len(rows)
            due = self._writes // 500 != before // 500
        if due:
            self.prune()

    def prune(self, now: datetime | None = None) -> None:
        """Drop events older than max_age, then the oldest beyond max_rows."""
        cutoff = ((now or datetime.now(UTC)) - self.max_age).timestamp()
        with self._lock:
            self._db.execute("DELETE FROM events WHERE at < ?", (cutoff,))
            self._db.execute(
                "DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.max_rows,),
            )

    # -- reading ---------------------------------------------------------------------------
    def events(
        self,
        *,
        since: datetime | None = None,
        alertname: str | None = None,
        fingerprint: str | None = None,
        silence_id: str | None = None,
        kinds: Sequence[str] = (),
    ) -> list[JournalEvent]:
        where: list[str] = []
        args: list[float | str] = []
        if since is not None:
            where.append("at >= ?")
            args.append(since.timestamp())
        for column, value in (("alertname", alertname), ("fingerprint", fingerprint), ("silence_id", silence_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if kinds:
            where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            args.extend(kinds)
        sql = _SELECT_EVENTS + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at, id"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_event(r) for r in rows]

    def last_appeared(self, fingerprints: Iterable[str]) -> dict[str, JournalEvent]:
        """The newest "alert appeared" event of each of `fingerprints`: read by fingerprint, not
        every appearance in the journal (up to max_rows of them, parsed while holding the GIL)."""
        wanted = sorted(set(fingerprints))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), 500):  # SQLite's older bound on one statement's variables
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            newest = f"SELECT MAX(id) FROM events WHERE kind = ? AND fingerprint IN ({marks}) GROUP BY fingerprint"
            sql = f"{_SELECT_EVENTS} WHERE id IN ({newest})"
            with self._lock:
                rows.extend(self._db.execute(sql, (APPEARED, *chunk)).fetchall())
        return {r[2]: _event(r) for r in rows}

    def open_fingerprints(self) -> set[str]:
        """Alerts whose last journal entry says they appeared (not yet resolved)."""
        sql = (
            "SELECT fingerprint, kind FROM events WHERE kind IN (?, ?) AND id IN "
            "(SELECT MAX(id) FROM events WHERE kind IN (?, ?) GROUP BY fingerprint)"
        )
        with self._lock:
            rows = self._db.execute(sql, (APPEARED, RESOLVED, APPEARED, RESOLVED)).fetchall()
        return {fp for fp, kind in rows if kind == APPEARED}

    def known_silences(self) -> dict[str, tuple[str, int]]:
        """silence id -> (the last kind recorded for it, the extensions it had then)."""
        sql = "SELECT silence_id, kind, detail FROM events WHERE silence_id != '' ORDER BY id"
        with self._lock:
            rows = self._db.execute(sql).fetchall()
        return {sid: (kind, int(json.loads(detail).get("extensions") or 0)) for sid, kind, detail in rows}

    def intervals(self, fingerprint: str, since: datetime) -> list[FiringInterval]:
        """Firing intervals this app saw for one alert (appeared .. resolved)."""
        out: list[FiringInterval] = []
        start: datetime | None = None
        for e in self.events(fingerprint=fingerprint, kinds=(APPEARED, RESOLVED)):
            if e.kind == APPEARED and start is None:
                start = e.at
            elif e.kind == RESOLVED and start is not None:
                if e.at >= since:
                    out.append(FiringInterval(starts_at=start, ends_at=e.at, source="journal"))
                start = None
        if start is not None:
            out.append(FiringInterval(starts_at=start, ends_at=None, source="journal"))
        return out

    def flapping(self, threshold: int, now: datetime | None = None) -> set[str]:
        """Fingerprints that appeared more than `threshold` times in the last hour."""
        since = ((now or datetime.now(UTC)) - timedelta(hours=1)).timestamp()
        sql = "SELECT fingerprint FROM events WHERE kind = ? AND at >= ? GROUP BY fingerprint HAVING COUNT(*) > ?"
        with self._lock:
            return {r[0] for r in self._db.execute(sql, (APPEARED, since, threshold)).fetchall()}

    def last_ack(self, labels: dict[str, str]) -> JournalEvent | None:
        """The newest ack event on this alert (by its labels): who, and how it ended."""
        acks = [
            e
            for e in self.events(kinds=ACK_KINDS)
            if e.detail
            and e.detail.get("alertnames")
            and labels.get("alertname") in e.detail["alertnames"]
            and all(labels.get(k) == v for k, v in ((e.detail or {}).get("equal") or {}).items())
        ]
        return acks[-1] if acks else None


_SELECT_EVENTS = "SELECT at, kind, fingerprint, alertname, labels, silence_id, actor, detail FROM events"


def _event(row: Sequence[Any]) -> JournalEvent:
    """One row of _SELECT_EVENTS."""
    return JournalEvent(
        datetime.fromtimestamp(row[0], UTC),
        row[1],
        row[2],
        row[3],
        json.loads(row[4]),
        row[5],
        row[6],
        json.loads(row[7]),
    )


# -- what changed between two snapshots ----------------------------------------------------------
def silence_detail(silence: Silence, alerts: Iterable[Alert]) -> dict[str, Any]:
    equal = {m.name: m.value for m in silence.matchers if m.is_equal and not m.is_regex}
    names = sorted({a.name for a in stepping_aside(alerts) if silence.matches(a.labels)})
    if "alertname" in equal and equal["alertname"] not in names:
        names.append(equal["alertname"])
    return {
        "alertnames": names,
        "equal": equal,
        "ends_at": silence.ends_at.isoformat(),
        "comment": silence.comment,
        "extensions": ack_extensions(silence),
    }


class JournalRecorder(BackgroundJob):
    """Watches the hub's snapshots on its own thread and journals what changed."""

    thread_name = "alert-journal"

    def __init__(self, hub: Hub, journal: AlertJournal, interval: float = 1.0, flap_threshold: int = 3) -> None:
        self.hub = hub
        self.journal = journal
        self.flap_threshold = flap_threshold
        self.interval = interval
        super().__init__()
        self._seen_generation = -1
        self._last_seen: tuple[object, ...] | None = None

    def step(self) -> None:
        snap = self.hub.snapshot
        if snap.generation == self._seen_generation or snap.generation == 0:
            return
        self._seen_generation = snap.generation
        ok = {s.name for s in snap.statuses if s.state in (BackendState.OK, BackendState.SLOW)}
        if not ok:
            return  # nothing read just now: unknown is not "everything resolved"
        # The very same alerts and silences, read by the same backends, as last step: nothing
        # to journal (a poll of 20,000 unchanged alerts costs no query, no loop).
        seen = (snap.alerts, snap.silences, frozenset(ok), len(ok) == len(snap.statuses))
        before = self._last_seen
        if before is not None and all(a is b for a, b in zip(seen[:2], before[:2])) and seen[2:] == before[2:]:
            return
        self._last_seen = seen
        now = datetime.now(UTC)
        # stepping aside for a key being handled: 10,000 alerts a poll (core/ui_turn.py)
        active = {a.fingerprint: a for a in stepping_aside(snap.alerts) if a.state != AlertState.RESOLVED}
        open_fps = self.journal.open_fingerprints()
        self.journal.record_appeared([a for fp, a in active.items() if fp not in open_fps], now)
        gone_fps = open_fps - active.keys()
        # only when every backend was read in full: a missing alert of a failed one, or one
        # beyond a backend's cap (snap.cut_notes), is unknown, not resolved
        if gone_fps and not snap.cut_notes and all(s.state in _READ for s in snap.statuses):
            last = self.journal.last_appeared(gone_fps)
            for fp in gone_fps:
                prior = last.get(fp)
                gone = Alert(fingerprint=fp, labels=(prior.labels or {}) if prior else {}, starts_at=now)
                self.journal.record(RESOLVED, at=now, alert=gone)
        known = self.journal.known_silences()
        live = {s.id: s for s in snap.silences if s.backend in ok}
        for sid, s in live.items():
            last_kind, extensions = known.get(sid, (None, 0))
            prefix = "ack" if s.is_ack else "silence"
            if s.state == SilenceState.ACTIVE and (last_kind is None or ack_extensions(s) > extensions):
                # an extension answered with a new id, or made in place, by any user's process
                kind = f"{prefix} extended" if s.is_ack and ack_extensions(s) else f"{prefix} created"
                self.journal.record(
                    kind,
                    at=ack_started_at(s) if kind == "ack created" else now,
                    silence=s,
                    **silence_detail(s, snap.alerts),
                )
            elif s.state == SilenceState.EXPIRED and last_kind is not None and not last_kind.endswith("expired"):
                successor = (
                    any(
                        o.is_ack
                        and o.state == SilenceState.ACTIVE
                        and o.created_by == s.created_by
                        and ack_started_at(o) == ack_started_at(s)
                        for o in live.values()
                    )
                    if s.is_ack
                    else False
                )
                if not successor:
                    self.journal.record(
                        f"{prefix} expired", at=min(s.ends_at, now), silence=s, **silence_detail(s, snap.alerts)
                    )

    def main(self) -> None:
        from mlops_tui.services.triage import set_flapping

        while not self.stopping.is_set():
            try:
                self.step()
                set_flapping(self.journal.flapping(self.flap_threshold))
            except Exception:
                if self.stopping.is_set():
                    return  # the app closed the journal under a step that outlived stop()'s wait
                log.exception("alert journal step failed")
            self.stopping.wait(self.interval)
