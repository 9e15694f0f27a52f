"""The demo registry: model versions, aliases and promotion requests, replayed from ~90 days
of scripted history and then changed only by users (requests, approvals, rejections)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime

from mlops_tui.backends.demo import _rand
from mlops_tui.backends.demo.catalog import (
    APPROVERS,
    CI_USER,
    EXPERIMENT_BY_NAME,
    MODELS,
    PROMOTION_NOTES,
    REJECT_REASONS,
    TEAM_BY_MODEL,
    USERS,
    ModelSpec,
    Timing,
)
from mlops_tui.backends.demo.clock import HOUR, SimClock, as_utc
from mlops_tui.backends.demo.runs import ReservedRun, run_ids, ts_to_dt
from mlops_tui.backends.errors import NotFound, PromotionConflict
from mlops_tui.domain import (
    Event,
    EventKind,
    ModelVersion,
    PromotionRequest,
    PromotionState,
    RegisteredModel,
)

ALIAS_ORDER = ("champion", "challenger")


class Registry:
    """Registered models and their history; `revision` counts every change."""

    def __init__(self, seed: int, run_count: int, clock: SimClock, backend: str) -> None:
        self.seed = seed
        self.run_count = run_count
        self.clock = clock
        self.backend = backend
        self.versions_by_model: dict[str, list[ModelVersion]] = {}
        self.aliases: dict[str, dict[str, int]] = {}
        self.requests: list[PromotionRequest] = []
        self.events: list[Event] = []
        self.alias_moves: dict[tuple[str, str], list[tuple[float, int]]] = {}  # oldest first
        self.revision = 0
        self._listing: (
            tuple[int, tuple[RegisteredModel, ...], tuple[ModelVersion, ...], tuple[PromotionRequest, ...]] | None
        ) = None

    # -- the replayed history -----------------------------------------------------------------
    def build(self) -> list[ReservedRun]:
        """Replay ~90 days of registry history; returns the runs the versions came from."""
        seed, epoch = self.seed, self.clock.epoch_ts
        total = sum(spec.version_count for spec in MODELS)
        ids = run_ids(seed, min(total, self.run_count))
        reserved: list[ReservedRun] = []
        script: list[tuple[float, int, Callable[[float], None]]] = []

        def at(ts: float, step: Callable[[float], None]) -> None:
            script.append((ts, len(script), step))

        for spec in MODELS:
            self.versions_by_model[spec.name] = []
            self.aliases[spec.name] = {}
            experiment = EXPERIMENT_BY_NAME[spec.experiment]
            draw = _rand.rng(seed, "registry", spec.name)
            timings = _version_timings(spec, draw)
            for number, timing in enumerate(timings, start=1):
                created = epoch - timing.created_h * HOUR
                position = len(reserved)
                user = timing.requester or draw.choice(USERS[:6])
                reserved.append(
                    ReservedRun(experiment, spec.family, created - (0.5 + 5.5 * draw.random()) * HOUR, user)
                )
                run_id = ids[position] if position < len(ids) else ""
                at(created, _bind(self._add_version, spec, number, user, run_id))
                outcome = "" if number == 1 else spec.plan[number - 2]
                if outcome in ("A", "R", "P") and timing.requested_h is not None:
                    requester = timing.requester or draw.choice(USERS)
                    note = timing.note or draw.choice(PROMOTION_NOTES)
                    request = PromotionRequest(
                        model=spec.name,
                        version=str(number),
                        target="champion",
                        requester=requester,
                        requested_at=ts_to_dt(epoch - timing.requested_h * HOUR),
                        note=note,
                        backend=self.backend,
                    )
                    at(epoch - timing.requested_h * HOUR, _bind(self._add_request, request))
                    if outcome in ("A", "R") and timing.decided_h is not None:
                        decider = timing.decider or draw.choice(APPROVERS)
                        decided = epoch - timing.decided_h * HOUR
                        if outcome == "A":
                            at(decided, _bind(self._decide, request, decider, ts_to_dt(decided), True, ""))
                        else:
                            reason = timing.reason or draw.choice(REJECT_REASONS)
                            at(decided, _bind(self._decide, request, decider, ts_to_dt(decided), False, reason))
        for ts, _, step in sorted(script, key=lambda entry: (entry[0], entry[1])):
            step(ts)
        return reserved

    def _add_version(self, spec: ModelSpec, number: int, user: str, run_id: str, ts: float) -> None:
        experiment = EXPERIMENT_BY_NAME[spec.experiment]
        version = ModelVersion(
            model=spec.name,
            version=str(number),
            status="READY",
            tags={
                "framework": spec.family,
                "validation_status": "passed",
                "team": experiment.team,
            },
            run_id=run_id,
            source=f"mlflow-artifacts:/{experiment.id}/{run_id or 'unknown'}/artifacts/model",
            created=ts_to_dt(ts),
            user=user,
            backend=self.backend,
        )
        self.versions_by_model[spec.name].append(version)
        self._event(ts, spec.name, EventKind.NEW_VERSION, f"{spec.name} v{number} registered by {user}")
        if number == 1:
            self._move_alias(spec.name, "champion", 1, CI_USER, ts)
        self._move_alias(spec.name, "challenger", number, CI_USER, ts)

    def _add_request(self, request: PromotionRequest, ts: float) -> None:
        self.requests.append(request)
        text = f"{request.requester} requested v{request.version} -> {request.target}"
        if request.note:
            text += f": {request.note}"
        self._event(ts, request.model, EventKind.PROMOTION, text)
        self.revision += 1

    def _decide(
        self, request: PromotionRequest, approver: str, decided_at: datetime, approve: bool, reason: str, ts: float
    ) -> None:
        index = self._find_request(request)
        stored = self.requests[index]
        self.requests[index] = stored.model_copy(
            update={
                "state": PromotionState.APPROVED if approve else PromotionState.REJECTED,
                "decided_by": approver,
                "decided_at": decided_at,
                "reason": reason,
            }
        )
        if approve:
            self._event(
                ts, request.model, EventKind.PROMOTION, f"{approver} approved v{request.version} -> {request.target}"
            )
            self._move_alias(request.model, request.target, int(request.version), approver, ts)
        else:
            text = f"{approver} rejected v{request.version} -> {request.target}"
            self._event(ts, request.model, EventKind.PROMOTION, f"{text}: {reason}" if reason else text)
        self.revision += 1

    def _find_request(self, request: PromotionRequest) -> int:
        """The index of the pending request for the same change, else of the very same request; -1: none."""
        wanted = (request.model, request.version, request.target)
        for index in range(len(self.requests) - 1, -1, -1):
            stored = self.requests[index]
            if (stored.model, stored.version, stored.target) == wanted and stored.state == PromotionState.PENDING:
                return index
        for index in range(len(self.requests) - 1, -1, -1):
            stored = self.requests[index]
            if (stored.model, stored.version, stored.target, stored.requested_at) == (*wanted, request.requested_at):
                return index
        return -1

    def _move_alias(self, model: str, alias: str, number: int, by: str, ts: float) -> None:
        aliases = self.aliases[model]
        old = aliases.get(alias)
        aliases[alias] = number
        self.alias_moves.setdefault((model, alias), []).append((ts, number))
        versions = self.versions_by_model[model]
        for changed in {old, number} - {None}:
            assert changed is not None
            held = tuple(name for name in _alias_order(aliases) if aliases[name] == changed)
            versions[changed - 1] = versions[changed - 1].model_copy(update={"aliases": held})
        self.revision += 1
        if old is None:
            text = f"{alias} set to v{number} by {by}"
        elif old == number:
            text = f"{alias} stays on v{number} ({by})"
        else:
            text = f"{alias} moved v{old} -> v{number} by {by}"
        self._event(ts, model, EventKind.ALIAS_MOVED, text)

    def _event(self, ts: float, model: str, kind: EventKind, text: str) -> None:
        self.events.append(Event(time=ts_to_dt(ts), model=model, kind=kind, text=text, backend=self.backend))

    # -- reads ----------------------------------------------------------------------------------
    def _lists(self) -> tuple[tuple[RegisteredModel, ...], tuple[ModelVersion, ...], tuple[PromotionRequest, ...]]:
        listing = self._listing
        if listing is not None and listing[0] == self.revision:
            return listing[1], listing[2], listing[3]
        models = tuple(
            RegisteredModel(
                name=spec.name,
                description=spec.description,
                aliases={alias: str(self.aliases[spec.name][alias]) for alias in _alias_order(self.aliases[spec.name])},
                latest_version=self.versions_by_model[spec.name][-1].version,
                tags={"team": TEAM_BY_MODEL[spec.name], "experiment": spec.experiment, "framework": spec.family},
                backend=self.backend,
            )
            for spec in MODELS
        )
        versions = tuple(version for spec in MODELS for version in self.versions_by_model[spec.name])
        promotions = tuple(sorted(self.requests, key=lambda request: request.requested_at))
        self._listing = (self.revision, models, versions, promotions)
        return models, versions, promotions

    def models(self) -> tuple[RegisteredModel, ...]:
        return self._lists()[0]

    def versions(self) -> tuple[ModelVersion, ...]:
        return self._lists()[1]

    def promotions(self) -> tuple[PromotionRequest, ...]:
        return self._lists()[2]

    def alias_holder(self, model: str, alias: str) -> str | None:
        if model not in self.aliases:
            raise NotFound(f"no registered model {model!r}")
        number = self.aliases[model].get(alias)
        return None if number is None else str(number)

    def champion_created(self, model: str) -> tuple[int, datetime] | None:
        """The champion's version number and when it was registered; None: no champion."""
        champion = self.aliases[model].get("champion")
        if champion is None:
            return None
        created = self.versions_by_model[model][champion - 1].created
        assert created is not None
        return champion, created

    # -- writes ---------------------------------------------------------------------------------
    def _check_version(self, model: str, version: str) -> int:
        if model not in self.versions_by_model:
            raise NotFound(f"no registered model {model!r}")
        try:
            number = int(version)
        except ValueError:
            raise NotFound(f"{model} has no version {version!r}") from None
        if not 1 <= number <= len(self.versions_by_model[model]):
            raise NotFound(f"{model} has no version {version!r}")
        return number

    def request_promotion(self, request: PromotionRequest) -> None:
        self._check_version(request.model, request.version)
        for stored in self.requests:
            if stored.state == PromotionState.PENDING and (stored.model, stored.version, stored.target) == (
                request.model,
                request.version,
                request.target,
            ):
                return  # already pending: asking twice is asking once
        pending = request.model_copy(
            update={
                "state": PromotionState.PENDING,
                "decided_by": "",
                "decided_at": None,
                "reason": "",
                "requested_at": as_utc(request.requested_at),
                "backend": self.backend,
            }
        )
        self._add_request(pending, self.clock.now_ts())

    def approve_promotion(self, request: PromotionRequest, approver: str, at: datetime) -> None:
        self._decide_now(request, approver, at, True, "")

    def reject_promotion(self, request: PromotionRequest, approver: str, at: datetime, reason: str) -> None:
        self._decide_now(request, approver, at, False, reason)

    def _decide_now(self, request: PromotionRequest, approver: str, at: datetime, approve: bool, reason: str) -> None:
        self._check_version(request.model, request.version)
        index = self._find_request(request)
        if index < 0:  # a request this world never saw: record it, then decide it
            self._add_request(
                request.model_copy(update={"state": PromotionState.PENDING, "backend": self.backend}),
                self.clock.now_ts(),
            )
        else:
            stored = self.requests[index]
            if stored.state != PromotionState.PENDING:
                raise PromotionConflict(
                    f"{stored.model} v{stored.version} -> {stored.target} was already "
                    f"{stored.state.value} by {stored.decided_by or 'someone'}"
                )
        self._decide(request, approver, as_utc(at), approve, reason, self.clock.now_ts())


def _bind(step: Callable[..., None], *args: object) -> Callable[[float], None]:
    return lambda ts: step(*args, ts)


def _alias_order(aliases: Iterable[str]) -> list[str]:
    return sorted(
        aliases, key=lambda alias: (ALIAS_ORDER.index(alias) if alias in ALIAS_ORDER else len(ALIAS_ORDER), alias)
    )


def _version_timings(spec: ModelSpec, draw: random.Random) -> list[Timing]:
    """Creation / request / decision hours of every version, oldest version first."""
    recent = list(spec.recent)
    older = spec.version_count - len(recent)
    first_h, last_h = 88.0 * 24.0, recent[0].created_h if recent else 24.0
    out: list[Timing] = []
    for number in range(1, older + 1):
        gap = (first_h - last_h) / max(1, older)
        created = first_h - (number - 1) * gap - draw.random() * 0.25 * gap
        outcome = "" if number == 1 else spec.plan[number - 2]
        if outcome in ("A", "R", "P"):
            requested = created - (6.0 + 24.0 * draw.random())
            decided = requested - (2.0 + 18.0 * draw.random()) if outcome != "P" else None
            out.append(Timing(created, requested, decided))
        else:
            out.append(Timing(created))
    return out + recent
