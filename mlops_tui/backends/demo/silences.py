"""Demo silences: stored as users make them (two are there from the start), their state
read off the simulated clock, with Alertmanager's rules for when a silence may start."""

from __future__ import annotations

import hashlib
import time
import uuid

from mlops_tui.backends.demo.clock import DAY, HOUR, SimClock, as_utc
from mlops_tui.backends.demo.runs import ts_to_dt
from mlops_tui.backends.errors import BackendError, NotFound
from mlops_tui.domain import Matcher, Silence, SilenceState

SILENCE_RETENTION = DAY  # expired silences stay listed this long
_WALL_SLACK = 300.0  # a silence starting within 5 min of the wall clock means "from now"


class Silences:
    """The world's silences by id; `revision` counts every change."""

    def __init__(self, seed: int, clock: SimClock, backend: str) -> None:
        self.seed = seed
        self.clock = clock
        self.backend = backend
        self._stored: dict[str, Silence] = {}
        self._count = 0
        self.revision = 0
        self._seed_silences()

    def _seed_silences(self) -> None:
        epoch = self.clock.epoch_ts
        self._store(
            Silence(
                id="",
                matchers=(
                    Matcher(name="alertname", value="DeploymentNotReady"),
                    Matcher(name="deployment", value="churn-batch-scorer"),
                ),
                starts_at=ts_to_dt(epoch - HOUR),
                ends_at=ts_to_dt(epoch + 3 * HOUR),
                created_by="dave",
                comment="Batch node pool is being drained for the cluster upgrade.",
            )
        )
        self._store(
            Silence(
                id="",
                matchers=(
                    Matcher(name="alertname", value="ModelLatencyHigh"),
                    Matcher(name="deployment", value="ranker-online"),
                ),
                starts_at=ts_to_dt(epoch - 6 * HOUR),
                ends_at=ts_to_dt(epoch - 5 * HOUR),
                created_by="carol",
                comment="ACK! looking at the GPU node pool",
            )
        )

    def _next_id(self) -> str:
        self._count += 1
        digest = hashlib.blake2b(repr((self.seed, "silence", self._count)).encode(), digest_size=16)
        return str(uuid.UUID(bytes=digest.digest(), version=4))

    def _store(self, silence: Silence) -> str:
        silence_id = silence.id if silence.id in self._stored else self._next_id()
        self._stored[silence_id] = silence.model_copy(update={"id": silence_id, "backend": self.backend})
        self.revision += 1
        return silence_id

    def current(self, ts: float) -> list[Silence]:
        """Every stored silence, in the state it has at `ts`."""
        out = []
        for silence in self._stored.values():
            state = silence_state(silence, ts)
            out.append(silence if silence.state == state else silence.model_copy(update={"state": state}))
        return out

    def active(self, ts: float) -> list[Silence]:
        return [silence for silence in self.current(ts) if silence.state == SilenceState.ACTIVE]

    def listed(self, ts: float) -> list[Silence]:
        """Active, pending and recently expired silences."""
        return [
            silence
            for silence in self.current(ts)
            if silence.state != SilenceState.EXPIRED or silence.ends_at.timestamp() >= ts - SILENCE_RETENTION
        ]

    def create(self, silence: Silence) -> str:
        if not silence.matchers:
            raise BackendError("a silence needs at least one matcher")
        starts, ends = as_utc(silence.starts_at).timestamp(), as_utc(silence.ends_at).timestamp()
        if ends <= starts:
            raise BackendError("a silence must end after it starts")
        now = self.clock.now_ts()
        if abs(starts - time.time()) <= _WALL_SLACK:
            # "from now" on the client's wall clock means from now on this world's clock
            starts, ends = now, ends + (now - starts)
        elif starts < now:  # like Alertmanager: a silence cannot start in the past
            starts = now
        if ends <= now:
            raise BackendError("a silence must end in the future")
        stored = silence.model_copy(update={"starts_at": ts_to_dt(starts), "ends_at": ts_to_dt(ends)})
        stored = stored.model_copy(update={"state": silence_state(stored, now)})
        return self._store(stored)

    def expire(self, silence_id: str) -> None:
        silence = self._stored.get(silence_id)
        if silence is None:
            raise NotFound(f"no silence {silence_id!r}")
        now = self.clock.now_ts()
        if silence_state(silence, now) == SilenceState.EXPIRED:
            return
        starts = min(silence.starts_at, ts_to_dt(now))
        self._stored[silence_id] = silence.model_copy(
            update={"starts_at": starts, "ends_at": ts_to_dt(now), "state": SilenceState.EXPIRED}
        )
        self.revision += 1


def silence_state(silence: Silence, ts: float) -> SilenceState:
    if silence.ends_at.timestamp() <= ts:
        return SilenceState.EXPIRED
    if silence.starts_at.timestamp() > ts:
        return SilenceState.PENDING
    return SilenceState.ACTIVE
