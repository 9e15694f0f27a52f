"""The one narrow door for writes: promote, approve, reject, ack, silence, expire.

Every action checks read-only mode and the four-eyes rule first, sends nothing when refused,
and leaves a line in the audit log whatever the outcome.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from datetime import datetime, timedelta

from mlops_tui.backends.errors import BackendError, PromotionConflict
from mlops_tui.config.secrets import redact
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
    ) -> None:
        self.hub = hub
        self.audit = audit
        self.user = user
        self.context = context
        self.read_only = read_only
        self.four_eyes = four_eyes
        self.ack_minutes = ack_minutes
        self._in_flight: set[tuple[str, str, str]] = set()

    # -- helpers -----------------------------------------------------------------------------
    def _record(self, action: str, target: str, outcome: str, backend: str, **detail) -> None:
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

    async def _write(self, action: str, target: str, backend: str, call, **detail):
        try:
            result = await self.hub.call(backend, call)
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

    async def approve(self, request: PromotionRequest, expected_holder: str | None) -> None:
        """Move `request.target` to the candidate, if it is still where the user saw it."""
        label = f"{request.model} v{request.version} -> {request.target}"
        backend = request.backend
        self._check_writable("approve promotion", label, backend)
        if request.state != PromotionState.PENDING:
            raise self._refuse("approve promotion", label, backend, f"this request is already {request.state}")
        if self.four_eyes and request.requester == self.user:
            raise self._refuse(
                "approve promotion",
                label,
                backend,
                f"four-eyes rule: {self.user} requested this promotion and cannot approve it",
            )
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
            if holder == request.version:
                raise self._refuse(
                    "approve promotion", label, backend, f"version {holder} already holds {request.target}"
                )
            at = utcnow()
            await self._write(
                "approve promotion",
                label,
                backend,
                lambda b: b.approve_promotion(request, self.user, at),
                previous_holder=holder,
                requester=request.requester,
            )
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
                    lambda b, s=silence: b.create_silence(s),
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
