"""The one narrow door for writes: promote, approve, reject, ack, silence, expire.

Every action checks read-only mode and the four-eyes rule first, sends nothing when refused,
and leaves a line in the audit log whatever the outcome.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from mlops_tui.backends.base import Backend
from mlops_tui.backends.errors import BackendError, PromotionConflict, PromotionPartial, PromotionUnknown
from mlops_tui.config.identity import same_identity
from mlops_tui.config.policy import PolicyConfig, PolicyRules
from mlops_tui.core.secrets import redact
from mlops_tui.core.wording import plural
from mlops_tui.domain import (
    Alert,
    Matcher,
    PromotionRequest,
    PromotionState,
    Silence,
    SilenceState,
)
from mlops_tui.domain.alerts import ACK_PREFIX
from mlops_tui.domain.base import utcnow
from mlops_tui.services.audit import AuditLog
from mlops_tui.services.hub import Hub
from mlops_tui.services.policy import (
    CheckResult,
    Directions,
    MetricComparison,
    checks_summary,
    compare_metrics,
    evaluate,
    failed,
    lower_is_better,
)
from mlops_tui.services.promotion_card import load_card, signature_checks
from mlops_tui.services.snapshot import Snapshot

T = TypeVar("T")

_local_ids = itertools.count(1)


class ActionRefused(Exception):
    """A write the app would not do; the message says why, in the user's words."""


class Actions:
    def __init__(
        self,
        hub: Hub,
        audit: AuditLog,
        *,
        user: str,
        context: str = "",
        read_only: bool = False,
        four_eyes: bool = True,
        ack_minutes: float = 15.0,
        policy: PolicyConfig | None = None,
        directions: Directions = lower_is_better,
    ) -> None:
        self.hub = hub
        self.audit = audit
        self.user = user
        self.context = context
        self.read_only = read_only
        self.four_eyes = four_eyes
        self.ack_minutes = ack_minutes
        self.policy = policy or PolicyConfig()
        self.directions = directions  # `[metrics]` lower/higher_is_better, else the metric's name
        self._in_flight: set[tuple[str, str, str]] = set()

    # -- helpers -----------------------------------------------------------------------------
    def _record(self, action: str, target: str, outcome: str, backend: str, **detail: object) -> None:
        self.audit.append(
            user=self.user,
            context=self.context,
            action=action,
            target=target,
            outcome=outcome,
            backend=backend,
            # `mlops-tui serve` sets MLOPS_TUI_VIA=web in each browser tab's app process
            detail={**detail, "via": via} if (via := os.environ.get("MLOPS_TUI_VIA")) else detail,
        )

    def _refuse(self, action: str, target: str, backend: str, why: str) -> ActionRefused:
        self._record(action, target, "refused", backend, reason=why)
        return ActionRefused(why)

    def _check_writable(self, action: str, target: str, backend: str) -> None:
        if self.read_only:
            raise self._refuse(action, target, backend, "read-only mode: nothing was changed")

    async def _write(
        self, action: str, target: str, backend: str, call: Callable[[Backend[Any]], Awaitable[T]], **detail: object
    ) -> T:
        try:
            result = await self.hub.call(backend, call)
        except PromotionConflict as exc:  # lost a race, or the target moved: nothing written
            message = redact(str(exc))
            self._record(action, target, "refused", backend, reason=message, **detail)
            self.hub.refresh(backend)
            raise ActionRefused(message) from exc
        except PromotionPartial as exc:  # the alias moved, recording the approval failed
            message = redact(str(exc))
            self._record(action, target, "partial", backend, error=message, **detail)
            self.hub.refresh(backend)
            raise ActionRefused(message) from exc
        except PromotionUnknown as exc:  # a write answered, then its outcome could not be read
            message = redact(str(exc))
            self._record(action, target, "unknown", backend, error=message, **detail)
            self.hub.refresh(backend)
            raise ActionRefused(f"{action}: {message}") from exc
        except BackendError as exc:
            message = redact(str(exc))
            self._record(action, target, "failed", backend, error=message, **detail)
            raise ActionRefused(f"{action} failed: {message}") from exc
        except TimeoutError as exc:
            self._record(action, target, "failed", backend, error="no answer in time", **detail)
            raise ActionRefused(f"{action} failed: the server did not answer in time") from exc
        self._record(action, target, "ok", backend, **detail)
        self.hub.refresh(backend)
        return result

    # -- promotions --------------------------------------------------------------------------
    async def request_promotion(
        self, backend: str, model: str, version: str, target: str | None = None, note: str = ""
    ) -> PromotionRequest:
        target = target or self.default_target(backend)
        label = f"{model} v{version} -> {target}"
        self._check_writable("request promotion", label, backend)
        refusal = self.request_refusal(model, version)
        if refusal:
            raise self._refuse("request promotion", label, backend, refusal)
        request = PromotionRequest(
            model=model,
            version=version,
            target=target,
            requester=self.user,
            requested_at=utcnow(),
            note=note,
            backend=backend,
        )
        await self._write("request promotion", label, backend, lambda b: b.request_promotion(request), note=note)
        return request

    async def request_rollback(self, backend: str, model: str, to_version: str, target: str, reason: str) -> str:
        """Propose moving `target` back to its previous holder: an urgent promotion request.

        It needs an approval under the same policy, unless the policy's
        `rollback_needs_approval = false`: then the requester's own approval moves it at once.
        Returns what happened, in words."""
        if not reason.strip():
            raise ActionRefused("a rollback needs a reason")
        note = f"rollback: {reason.strip()}"
        request = await self.request_promotion(backend, model, to_version, target, note)
        if self.rules_for(request).rollback_needs_approval:
            return f"rollback requested: {model} v{to_version} -> {target} (urgent); it needs an approval"
        holder = await self.current_holder(request)
        outcome = await self.approve(request, holder, rollback=True)
        return f"rolled back without approval (the policy allows it): {outcome}"

    def request_refusal(self, model: str, version: str) -> str | None:
        """Why a new request for this version is refused now (None: it is not). Asked before
        the request prompt; the backend checks the server's tags again before writing."""
        if self.read_only:
            return "read-only mode: nothing was changed"
        for p in self.hub.snapshot.pending_promotions:
            if p.key == (model, version):
                return (
                    f"{model} v{version} already has a pending request for {p.target}, by "
                    f"{p.requester} at {p.requested_at:%Y-%m-%d %H:%M} UTC; approve or reject "
                    "that one first"
                )
        return None

    async def current_holder(self, request: PromotionRequest) -> str | None:
        """Who holds the request's target right now, read from the server (its own mapping of
        the target: an alias, or a stage for teams on stages)."""
        try:
            return await self.hub.call(request.backend, lambda b: b.alias_holder(request.model, request.target))
        except BackendError as exc:
            raise ActionRefused(f"cannot read who holds {request.target}: {redact(str(exc))}") from exc
        except TimeoutError as exc:
            raise ActionRefused(f"cannot read who holds {request.target}: no answer in time") from exc

    def default_target(self, backend: str) -> str:
        """What a new promotion request asks for on `backend` (an alias, or a stage)."""
        try:
            return self.hub.backend(backend).promotion_target
        except Exception:
            return "champion"

    def rules_for(self, request: PromotionRequest) -> PolicyRules:
        return self.policy.for_model(request.model)

    def policy_checks(
        self, request: PromotionRequest, holder: str | None, snapshot: Snapshot | None = None
    ) -> list[CheckResult]:
        """The policy's checks of `request` against the version holding the target now."""
        snap = snapshot or self.hub.snapshot
        candidate = snap.versions_by_key.get(request.key)
        if candidate is None:
            return [CheckResult("candidate in the registry", False, "not among the versions read")]
        held = snap.versions_by_key.get((request.model, holder)) if holder else None
        return evaluate(
            self.rules_for(request),
            candidate,
            snap.runs_by_id.get(candidate.run_id),
            snap.runs_by_id.get(held.run_id) if held else None,
            holder,
            self.directions,
        )

    def metric_comparison(
        self, request: PromotionRequest, holder: str | None, snapshot: Snapshot | None = None
    ) -> list[MetricComparison]:
        """The candidate's metrics beside the holder's, better/worse by `[metrics]` directions."""
        snap = snapshot or self.hub.snapshot
        candidate = snap.versions_by_key.get(request.key)
        held = snap.versions_by_key.get((request.model, holder)) if holder else None
        return compare_metrics(
            snap.runs_by_id.get(candidate.run_id) if candidate else None,
            snap.runs_by_id.get(held.run_id) if held else None,
            self.directions,
        )

    def approval_refusal(
        self,
        request: PromotionRequest,
        checks: list[CheckResult] | None = None,
        override: str = "",
        rollback: bool = False,
    ) -> str | None:
        """Why this user may not approve `request` now (None: they may). Asked before any
        confirm; `approve` asks again before writing."""
        if self.read_only:
            return "read-only mode: nothing was changed"
        if request.state != PromotionState.PENDING:
            return f"this request is already {request.state}"
        if (
            self.four_eyes
            and same_identity(request.requester, self.user)
            and not (rollback and not self.rules_for(request).rollback_needs_approval)
        ):
            return f"four-eyes rule: {self.user} requested this promotion and cannot approve it"
        if any(same_identity(done, self.user) for done in request.approvals):
            return f"{self.user} already approved this request; another approver must approve it"
        rules = self.rules_for(request)
        if rules.allowed_approvers and not any(same_identity(a, self.user) for a in rules.allowed_approvers):
            return (
                f"policy: {self.user} may not approve {request.model} (allowed: {', '.join(rules.allowed_approvers)})"
            )
        bad = failed(checks or []) if rules.guards(request.target) else []
        if bad:
            names = "; ".join(f"{c.name} ({c.detail})" if c.detail else c.name for c in bad)
            if not rules.break_glass:
                return f"policy: {plural(len(bad), 'check')} failed: {names}; break-glass is off for {request.model}"
            if not override.strip():
                return (
                    f"policy: {plural(len(bad), 'check')} failed: {names}; approving anyway needs an "
                    "override reason (break-glass)"
                )
        return None

    async def approve(
        self,
        request: PromotionRequest,
        expected_holder: str | None,
        override: str = "",
        *,
        rollback: bool = False,
    ) -> str:
        """Move `request.target` to the candidate, if it is still where the user saw it and
        the policy's checks pass (or, with break-glass, the user gave an override reason).

        When the policy wants more approvers than have approved, records this approval and
        moves nothing. Returns what happened, in words."""
        label = f"{request.model} v{request.version} -> {request.target}"
        backend = request.backend
        self._check_writable("approve promotion", label, backend)
        refusal = self.approval_refusal(request, None, override, rollback)
        if refusal:
            raise self._refuse("approve promotion", label, backend, refusal)
        override = override.strip()
        key = (request.model, request.version, request.target)
        if key in self._in_flight:
            raise ActionRefused("this approval is already being written")
        self._in_flight.add(key)
        try:
            holder = await self.hub.call(backend, lambda b: b.alias_holder(request.model, request.target))
            if holder != expected_holder:
                self.hub.refresh(backend)
                now = f"version {holder}" if holder else "no version"
                was = f"version {expected_holder}" if expected_holder else "no version"
                raise self._refuse(
                    "approve promotion",
                    label,
                    backend,
                    f"conflict: {request.target} is now held by {now} (it was {was} when you "
                    "opened the dialog); nothing was changed",
                )
            # The target already holds the pending candidate: an approval cut in half (the
            # alias moved, recording failed). Approving again records it; nothing moves.
            completing = holder == request.version
            checks = self.policy_checks(request, holder)
            checks += signature_checks(await load_card(self.hub, request, holder), self.rules_for(request))
            refusal = self.approval_refusal(request, checks, override, rollback)
            if refusal:
                raise self._refuse("approve promotion", label, backend, refusal)
            broken = failed(checks) if self.rules_for(request).guards(request.target) else []
            decided = request.model_copy(
                update={"override": override if broken else "", "checks": checks_summary(checks)}
            )
            detail: dict[str, object] = {"previous_holder": holder, "requester": request.requester}
            if broken:
                detail["override"] = override
                detail["failed_checks"] = [c.name for c in broken]
            at = utcnow()
            rules = self.rules_for(request)
            needed = rules.approvers if rules.guards(request.target) else 1
            if len(request.approvals) + 1 < needed:
                if not self.hub.backend(backend).records_approvals():
                    raise self._refuse(
                        "approve promotion",
                        label,
                        backend,
                        f"the policy wants {needed} approvers, and {backend} cannot record "
                        "approvals one by one; nothing was changed",
                    )
                names = await self._write(
                    "approve promotion",
                    label,
                    backend,
                    lambda b: b.record_approval(decided, self.user, at),
                    **detail,
                    approval=f"{len(request.approvals) + 1} of {needed}",
                    moved=False,
                )
                recorded = f"approval {len(names)} of {needed} recorded ({', '.join(names)})"
                if len(names) < needed:
                    return f"{recorded}; {request.target} moves when {needed - len(names)} more approve"
                # Another approver recorded theirs at the same moment: together they are enough.
                # Both may get here; the claim protocol lets exactly one move the alias.
                try:
                    await self._write(
                        "approve promotion",
                        label,
                        backend,
                        lambda b: b.approve_promotion(decided.model_copy(update={"approvals": names}), self.user, at),
                        **detail,
                        approvals=list(names),
                    )
                except ActionRefused as exc:
                    return f"{recorded}; {request.target} was not moved by this approval: {exc}"
                return f"{recorded}; {request.model} v{request.version} is now {request.target}"
            if needed > 1:
                detail["approvals"] = [*request.approvals, self.user]
            if completing:
                detail["completed"] = "the alias already held it; only the approval was recorded"
            await self._write(
                "approve promotion",
                label,
                backend,
                lambda b: b.approve_promotion(decided, self.user, at),
                **detail,
            )
            if completing:
                return (
                    f"{request.model} v{request.version} is now {request.target}: the approval is "
                    f"recorded (v{request.version} already held {request.target}; nothing moved)"
                )
            return f"{request.model} v{request.version} is now {request.target}"
        except PromotionConflict as exc:
            raise self._refuse("approve promotion", label, backend, str(exc)) from exc
        finally:
            self._in_flight.discard(key)

    async def reject(self, request: PromotionRequest, reason: str) -> None:
        label = f"{request.model} v{request.version} -> {request.target}"
        backend = request.backend
        self._check_writable("reject promotion", label, backend)
        if not reason.strip():
            raise ActionRefused("a rejection needs a reason")
        if request.state != PromotionState.PENDING:
            raise self._refuse("reject promotion", label, backend, f"this request is already {request.state}")
        at = utcnow()
        await self._write(
            "reject promotion",
            label,
            backend,
            lambda b: b.reject_promotion(request, self.user, at, reason),
            reason=reason,
            requester=request.requester,
        )

    # -- alerts ------------------------------------------------------------------------------
    @staticmethod
    def matchers_for(alert: Alert) -> tuple[Matcher, ...]:
        return tuple(Matcher(name=k, value=v) for k, v in sorted(alert.labels.items()))

    async def ack(self, alerts: Sequence[Alert], minutes: float | None = None) -> list[str]:
        duration = timedelta(minutes=minutes or self.ack_minutes)
        comment = f"{ACK_PREFIX} acknowledged by {self.user} in mlops-tui"
        return await self._silence_each("ack", alerts, duration, comment, None)

    async def silence(
        self,
        alerts: Sequence[Alert],
        duration: timedelta,
        comment: str,
        matchers: Sequence[Matcher] | None = None,
    ) -> list[str]:
        if not comment.strip():
            raise ActionRefused("a silence needs a comment")
        return await self._silence_each("silence", alerts, duration, comment, matchers)

    async def _silence_each(
        self,
        action: str,
        alerts: Sequence[Alert],
        duration: timedelta,
        comment: str,
        matchers: Sequence[Matcher] | None,
    ) -> list[str]:
        if not alerts:
            raise ActionRefused("no alert selected")
        for alert in alerts:
            self._check_writable(action, alert.name or alert.fingerprint, alert.backend)
        ids = []
        for alert in alerts:
            now = utcnow()
            silence = Silence(
                id=f"local-{next(_local_ids)}",
                matchers=tuple(matchers) if matchers else self.matchers_for(alert),
                starts_at=now,
                ends_at=now + duration,
                created_by=self.user,
                comment=comment,
                state=SilenceState.ACTIVE,
                backend=alert.backend,
            )
            ids.append(
                await self._write(
                    action,
                    f"{alert.name} [{alert.fingerprint}]",
                    alert.backend,
                    lambda b: b.create_silence(silence),  # noqa: B023 - awaited within this iteration
                    minutes=round(duration.total_seconds() / 60, 1),
                    comment=comment,
                )
            )
        return ids

    async def expire(self, silence: Silence) -> None:
        label = f"silence {silence.id}"
        self._check_writable("expire silence", label, silence.backend)
        await self._write("expire silence", label, silence.backend, lambda b: b.expire_silence(silence.id))

    # -- acks that mean ownership (on-call additions) ----------------------------------------
    def check_release(self, silence: Silence) -> None:
        """Refuse a release before any confirm is shown (read-only); the refusal is audited."""
        self._check_writable("release ack", f"ack {silence.id}", silence.backend)

    async def release_ack(self, silence: Silence) -> None:
        """Expire an ack's silence: the alert is unowned again."""
        self.check_release(silence)
        await self._write(
            "release ack",
            f"ack {silence.id}",
            silence.backend,
            lambda b: b.expire_silence(silence.id),
            acked_by=silence.created_by,
        )

    async def extend_ack(self, silence: Silence, ends_at: datetime) -> str:
        """Move an ack's end to `ends_at`, noting the extension in its comment; returns the id
        the silence has now (Alertmanager may answer with a new one)."""
        from mlops_tui.domain.alerts import extended_ack_comment

        label = f"ack {silence.id}"
        self._check_writable("extend ack", label, silence.backend)
        if not silence.is_ack:
            raise self._refuse("extend ack", label, silence.backend, "only an ack is kept alive")
        updated = silence.model_copy(
            update={"ends_at": ends_at, "comment": extended_ack_comment(silence, self.user, utcnow())}
        )
        detail = {"acked_by": silence.created_by, "until": ends_at.isoformat(timespec="seconds")}
        try:
            new_id = await self.hub.call(silence.backend, lambda b: b.update_silence(updated))
        except BackendError as exc:
            message = redact(str(exc))
            self._record("extend ack", label, "failed", silence.backend, error=message, **detail)
            raise ActionRefused(f"extend ack failed: {message}") from exc
        except TimeoutError as exc:
            self._record("extend ack", label, "failed", silence.backend, error="no answer in time", **detail)
            raise ActionRefused("extend ack failed: the server did not answer in time") from exc
        self._record("extend ack", label, "ok", silence.backend, silence_id=new_id, **detail)
        self.hub.refresh(silence.backend)
        return new_id
