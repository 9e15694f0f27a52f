"""Promotion requests kept in MLflow model-version tags, so every client of the server sees them.

Open-source MLflow has no approval endpoint, so a request is a set of tags on the candidate
version. The scheme (documented in the README):

  mlops_tui.promotion.target        alias (or stage) the version should get, e.g. champion
  mlops_tui.promotion.requester     who asked
  mlops_tui.promotion.requested_at  when, ISO 8601 UTC
  mlops_tui.promotion.note          optional free text
  -- written by the decision, beside the request tags above (which it keeps):
  mlops_tui.promotion.state         approved | rejected
  mlops_tui.promotion.decided_by    who decided
  mlops_tui.promotion.decided_at    when, ISO 8601 UTC
  mlops_tui.promotion.reason        why (rejections)
  mlops_tui.promotion.claim         the winning approval claim: approver|nonce|time
  mlops_tui.promotion.override      break-glass: why it was approved past failing checks
  mlops_tui.promotion.previous_holder  approvals: the version that held the target before
  mlops_tui.promotion.checks        approvals: the policy's checks as they stood
  mlops_tui.promotion.past.<time>   an earlier approved request of this version (JSON), kept
                                    when a new request starts, so the history keeps it
  mlops_tui.promotion.approvals     approvals so far when the policy wants several:
                                    user@time, comma-separated (the last one moves the alias)
  mlops_tui.promotion.approval.<h>  one approver's approval (user@time), <h> a hash of the user:
                                    one tag per approver, so two first approvals at the same
                                    moment are both kept (no read-modify-write to lose one)

A version with target and requester and no state is a pending request. The four-eyes rule
is enforced by the client, not by the server. The writes at the end of this module check,
just before writing, that the request is still the one the user looked at.

MLflow has no compare-and-set, so two approvals at the same moment (of one request, or of two
requests for the same alias) are decided by claims on the *registered model*:

  mlops_tui.promotion.claim.<target>.<nonce> = <time_ns>|<approver>|<version>

1. An approver writes its claim, with the time taken just before the write. A claim whose
   write took longer than the settle time is withdrawn (nothing moved, try again).
2. It waits until the claim's time plus the settle time, then re-reads the model's claims
   for the target. Every claim timestamped earlier has landed by then, so every approver
   sees the same earliest claim: the earliest (time, nonce) wins. The losers delete their
   claim, move nothing and are told who won.
3. The winner re-checks that the request is still pending and the target still held by
   the version it saw, moves the alias, re-reads the alias (it must be the candidate),
   writes the decision and re-reads it, then deletes its claim. Claims older than
   CLAIM_LIFETIME are ignored, so a crashed approver blocks nobody for long.
4. When a write was answered but a re-read then failed, the outcome is unknown
   (PromotionUnknown: "unknown — check"), never "ok".
5. When the alias moved (and was re-read) but writing the decision failed, the approval is
   cut in half (PromotionPartial: "alias moved to v4, but recording the approval failed").
   Approving again finds the target already held by the still-pending candidate, and only
   writes the decision: the alias is not moved twice. The decision writes `state` last, so
   a decision half written still reads as pending, and is completed the same way.

Approvers' clocks must agree to well within the settle time (NTP does).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mlops_tui.backends.errors import (
    BackendError,
    BackendUnavailable,
    PromotionConflict,
    PromotionPartial,
    PromotionUnknown,
)
from mlops_tui.backends.mlflow.client import MlflowHttp
from mlops_tui.backends.mlflow.convert import key_values
from mlops_tui.domain import PromotionRequest, PromotionState

PREFIX = "mlops_tui.promotion."
TARGET = PREFIX + "target"
REQUESTER = PREFIX + "requester"
REQUESTED_AT = PREFIX + "requested_at"
NOTE = PREFIX + "note"
STATE = PREFIX + "state"
DECIDED_BY = PREFIX + "decided_by"
DECIDED_AT = PREFIX + "decided_at"
REASON = PREFIX + "reason"
CLAIM = PREFIX + "claim"
OVERRIDE = PREFIX + "override"
APPROVALS = PREFIX + "approvals"
PREVIOUS = PREFIX + "previous_holder"
CHECKS = PREFIX + "checks"
APPROVAL_EACH = PREFIX + "approval."  # + a hash of the approver: one tag per approver
PAST = PREFIX + "past."  # an earlier decided request of the version, as JSON (kept for history)

REQUEST_TAGS = (TARGET, REQUESTER, REQUESTED_AT, NOTE)
DECISION_TAGS = (STATE, DECIDED_BY, DECIDED_AT, REASON, CLAIM, OVERRIDE, APPROVALS, PREVIOUS, CHECKS)

CLAIM_LIFETIME = 120.0  # seconds: an older claim (its approver crashed) is ignored

_DECIDED = {"approved": PromotionState.APPROVED, "rejected": PromotionState.REJECTED}


def iso_utc(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def request_tags(request: PromotionRequest) -> dict[str, str]:
    tags = {
        TARGET: request.target,
        REQUESTER: request.requester,
        REQUESTED_AT: iso_utc(request.requested_at),
    }
    if request.note:
        tags[NOTE] = request.note
    return tags


def decision_tags(state: PromotionState, by: str, at: datetime, reason: str = "") -> dict[str, str]:
    tags = {STATE: state.value, DECIDED_BY: by, DECIDED_AT: iso_utc(at)}
    if reason:
        tags[REASON] = reason
    return tags


def approval_key(approver: str) -> str:
    """The tag of one approver's approval (MLflow tag keys allow few characters: a hash)."""
    return APPROVAL_EACH + hashlib.sha256(approver.encode()).hexdigest()[:16]


def approval_entries(tags: Mapping[str, str]) -> list[str]:
    """Every recorded approval as `user@time`, oldest first, one per approver: the summary
    tag's entries and the per-approver tags (which two approvers write without a race)."""
    entries = [e.strip() for e in (tags.get(APPROVALS) or "").split(",") if e.strip()]
    entries += [v.strip() for k, v in sorted(tags.items()) if k.startswith(APPROVAL_EACH) and v.strip()]
    seen: dict[str, str] = {}
    for entry in entries:
        user, _, when = entry.rpartition("@")
        user = user or entry
        if user not in seen or (when and when < seen[user].rpartition("@")[2]):
            seen[user] = entry
    return sorted(seen.values(), key=lambda e: e.rpartition("@")[2])


def approvals_of(tags: Mapping[str, str]) -> tuple[str, ...]:
    """The approvers recorded so far (names, oldest first)."""
    return tuple(e.rpartition("@")[0] or e for e in approval_entries(tags))


def past_requests(
    model: str, version: str, tags: Mapping[str, str], *, default_target: str, backend: str
) -> list[PromotionRequest]:
    """The earlier approved requests of a version, archived under `past.*` tags."""
    found = []
    for key, value in tags.items():
        if not key.startswith(PAST):
            continue
        try:
            old = json.loads(value)
        except ValueError:
            continue
        if not isinstance(old, dict):
            continue
        restored = {PREFIX + str(k): str(v) for k, v in old.items()}
        at = parse_time(restored.get(DECIDED_AT))
        if at is None:
            continue
        request = from_tags(model, version, restored, default_target=default_target, fallback_time=at, backend=backend)
        if request is not None:
            found.append(request)
    return found


def is_pending(tags: Mapping[str, str]) -> bool:
    return bool(tags.get(TARGET)) and bool(tags.get(REQUESTER)) and not tags.get(STATE)


def from_tags(
    model: str,
    version: str,
    tags: Mapping[str, str],
    *,
    default_target: str,
    fallback_time: datetime,
    backend: str,
) -> PromotionRequest | None:
    """The request (pending or decided) these tags describe, or None when there is none.

    A decision keeps the request tags; for requests decided by older versions of mlops-tui
    (which deleted them) the target falls back to `default_target` and the request time to
    the decision time.
    """
    state = _DECIDED.get((tags.get(STATE) or "").strip().lower())
    if state is None:
        if not is_pending(tags):
            return None
        return PromotionRequest(
            model=model,
            version=version,
            target=tags[TARGET],
            requester=tags[REQUESTER],
            requested_at=parse_time(tags.get(REQUESTED_AT)) or fallback_time,
            note=tags.get(NOTE, ""),
            approvals=approvals_of(tags),
            backend=backend,
        )
    decided_at = parse_time(tags.get(DECIDED_AT))
    return PromotionRequest(
        model=model,
        version=version,
        target=tags.get(TARGET) or default_target,
        requester=tags.get(REQUESTER, ""),
        requested_at=parse_time(tags.get(REQUESTED_AT)) or decided_at or fallback_time,
        note=tags.get(NOTE, ""),
        state=state,
        decided_by=tags.get(DECIDED_BY, ""),
        decided_at=decided_at,
        reason=tags.get(REASON, ""),
        override=tags.get(OVERRIDE, ""),
        approvals=approvals_of(tags),
        previous_holder=tags.get(PREVIOUS, ""),
        checks=tags.get(CHECKS, ""),
        backend=backend,
    )


# -- the writes --------------------------------------------------------------------------------
async def version_tags(client: MlflowHttp, model: str, version: str) -> dict[str, str]:
    answer = await client.get("/model-versions/get", {"name": model, "version": version})
    return key_values((answer.get("model_version") or {}).get("tags"))


async def _set_tags(client: MlflowHttp, model: str, version: str, tags: Mapping[str, str]) -> None:
    for key, value in tags.items():
        await client.post("/model-versions/set-tag", {"name": model, "version": version, "key": key, "value": value})


async def _delete_tags(client: MlflowHttp, model: str, version: str, keys: Sequence[str]) -> None:
    for key in keys:
        await client.delete("/model-versions/delete-tag", {"name": model, "version": version, "key": key})


async def write_request(client: MlflowHttp, request: PromotionRequest) -> None:
    """Tag the candidate version with a new pending request."""
    current = await version_tags(client, request.model, request.version)
    if is_pending(current):
        raise PromotionConflict(
            f"{request.model} v{request.version} already has a pending request for "
            f"{current.get(TARGET)}, by {current.get(REQUESTER)} at "
            f"{current.get(REQUESTED_AT) or 'an unknown time'}; approve or reject that one first"
        )
    new = request_tags(request)
    if (current.get(STATE) or "").lower() == "approved":
        # the approval this version had stays in the history: archived, not overwritten
        past = {k.removeprefix(PREFIX): v for k, v in current.items() if k in (*REQUEST_TAGS, *DECISION_TAGS)}
        stamp = (current.get(DECIDED_AT) or iso_utc(request.requested_at)).replace(":", "")
        new = {**new, f"{PAST}{stamp}": json.dumps(past, sort_keys=True)}
    await _set_tags(client, request.model, request.version, new)
    # A new request starts clean: no decision of an earlier one, no stale note.
    stale = [k for k in current if (k in (*DECISION_TAGS, NOTE) or k.startswith(APPROVAL_EACH)) and k not in new]
    await _delete_tags(client, request.model, request.version, stale)


async def _check_still_pending(client: MlflowHttp, request: PromotionRequest) -> dict[str, str]:
    tags = await version_tags(client, request.model, request.version)
    label = f"{request.model} v{request.version}"
    state = tags.get(STATE)
    if state:
        by = tags.get(DECIDED_BY, "someone")
        raise PromotionConflict(f"{label}: the request was already {state} by {by}; nothing was changed")
    if not is_pending(tags):
        raise PromotionConflict(f"{label} has no pending promotion request any more; nothing was changed")
    if tags.get(TARGET) != request.target or tags.get(REQUESTER) != request.requester:
        raise PromotionConflict(
            f"{label}: the request changed since you opened it (now {tags.get(TARGET)} "
            f"requested by {tags.get(REQUESTER)}); nothing was changed"
        )
    return tags


@dataclass(frozen=True, order=True)
class Claim:
    """One approver's claim to decide the move of `target`; the smallest one wins."""

    at_ns: int
    nonce: str
    approver: str = ""
    version: str = ""

    def key(self, target: str) -> str:
        return f"{CLAIM}.{target}.{self.nonce}"

    @property
    def value(self) -> str:
        return f"{self.at_ns}|{self.approver}|{self.version}"

    @property
    def record(self) -> str:
        """The version tag the winner's decision keeps: approver|nonce|time."""
        at = datetime.fromtimestamp(self.at_ns / 1e9, tz=UTC)
        return f"{self.approver}|{self.nonce}|{at.isoformat(timespec='milliseconds')}"


def claims_for(tags: Mapping[str, str], target: str, now_ns: int) -> list[Claim]:
    """The fresh claims on `target` among a registered model's tags, earliest first."""
    prefix = f"{CLAIM}.{target}."
    found = []
    for key, value in tags.items():
        if not key.startswith(prefix):
            continue
        at, _, rest = value.partition("|")
        approver, _, version = rest.partition("|")
        try:
            at_ns = int(at)
        except ValueError:
            continue
        if now_ns - at_ns > CLAIM_LIFETIME * 1e9:
            continue
        found.append(Claim(at_ns, key[len(prefix) :], approver, version))
    return sorted(found)


async def model_tags(client: MlflowHttp, model: str) -> dict[str, str]:
    answer = await client.get("/registered-models/get", {"name": model})
    return key_values((answer.get("registered_model") or {}).get("tags"))


async def _forget_claim(client: MlflowHttp, model: str, key: str) -> None:
    """Delete our claim; it expires anyway, so a failure here changes no outcome."""
    try:
        await client.delete("/registered-models/delete-tag", {"name": model, "key": key})
    except BackendError:
        pass


async def _claim(client: MlflowHttp, request: PromotionRequest, approver: str, settle: float) -> Claim:
    """Write our claim, wait out the settle time, and return it if it is the earliest."""
    label = f"{request.model} v{request.version}"
    claim = Claim(time.time_ns(), secrets.token_hex(6), approver, request.version)
    key = claim.key(request.target)
    await client.post("/registered-models/set-tag", {"name": request.model, "key": key, "value": claim.value})
    took = (time.time_ns() - claim.at_ns) / 1e9
    if took > settle:
        await _forget_claim(client, request.model, key)
        raise PromotionConflict(
            f"{label}: the server took {took:.1f} s to record the approval claim (more than "
            f"{settle:g} s), so the app cannot tell who approves first; nothing was changed, "
            "try again"
        )
    await asyncio.sleep(settle - took + 0.05)
    try:
        claims = claims_for(await model_tags(client, request.model), request.target, time.time_ns())
    except BackendError:
        await _forget_claim(client, request.model, key)
        raise
    winner = claims[0] if claims else None
    if winner is not None and winner.nonce != claim.nonce:
        await _forget_claim(client, request.model, key)
        if winner.version == request.version:
            raise PromotionConflict(
                f"conflict: {winner.approver} approved this request at the same moment and "
                f"claimed it first; nothing was changed"
            )
        raise PromotionConflict(
            f"conflict: {request.target} is moving under this approval: {winner.approver} is "
            f"approving v{winner.version} at the same moment and claimed it first; nothing was "
            "changed"
        )
    if winner is None:  # our own claim is gone: someone deleted it
        raise PromotionConflict(f"{label}: the approval claim vanished; nothing was changed")
    return claim


async def approve(
    client: MlflowHttp,
    request: PromotionRequest,
    approver: str,
    at: datetime,
    *,
    stage: str | None,
    read_holder: Callable[[], Awaitable[str | None]],
    settle: float = 1.0,
) -> None:
    """Move the alias (or, with `stage`, the stage) to the version, then record the decision,
    following the claim protocol in this module's docstring."""
    label = f"{request.model} v{request.version}"
    await _check_still_pending(client, request)
    seen_holder = await read_holder()
    # The target already points at the pending candidate: an approval cut in half (or a move
    # made outside mlops-tui). Only the decision is written, under a claim like any approval
    # (a rival still writing its decision holds an earlier claim); nothing moves.
    completing = seen_holder == request.version
    claim = await _claim(client, request, approver, settle)
    claim_key = claim.key(request.target)
    try:
        tags = await _check_still_pending(client, request)
        holder = await read_holder()
        if holder != seen_holder:
            now = f"v{holder}" if holder else "no version"
            raise PromotionConflict(
                f"conflict: {request.target} moved under this approval (now held by {now}); nothing was changed"
            )
    except BackendError:
        await _forget_claim(client, request.model, claim_key)
        raise
    if completing:
        try:
            await _record_decision(client, request, tags, approver, at, claim, None)
        finally:
            await _forget_claim(client, request.model, claim_key)
        return
    try:
        if stage is not None:
            await client.post(
                "/model-versions/transition-stage",
                {
                    "name": request.model,
                    "version": request.version,
                    "stage": stage,
                    "archive_existing_versions": True,
                },
            )
        else:
            await client.post(
                "/registered-models/alias",
                {"name": request.model, "alias": request.target, "version": request.version},
            )
    except BackendUnavailable as exc:
        raise PromotionUnknown(
            f"{label}: moving {request.target} got no clear answer ({exc}); unknown — check "
            f"who holds {request.target} before trying again"
        ) from exc
    except BackendError:
        await _forget_claim(client, request.model, claim_key)
        raise
    try:
        holder = await read_holder()
    except BackendError as exc:
        raise PromotionUnknown(
            f"{label}: the server accepted the move of {request.target}, then re-reading it "
            f"failed ({exc}); unknown — check"
        ) from exc
    if holder != request.version:
        await _forget_claim(client, request.model, claim_key)
        now = f"v{holder}" if holder else "no version"
        raise PromotionConflict(
            f"conflict: {request.target} moved under this approval (now held by {now}, "
            "not this version); the request stays pending"
        )
    try:
        await _record_decision(client, request, tags, approver, at, claim, seen_holder)
    finally:
        await _forget_claim(client, request.model, claim_key)


async def _record_decision(
    client: MlflowHttp,
    request: PromotionRequest,
    tags: Mapping[str, str],
    approver: str,
    at: datetime,
    claim: Claim | None,
    seen_holder: str | None,
) -> None:
    """Write the approval beside the request, once the target holds the candidate, and re-read it."""
    label = f"{request.model} v{request.version}"
    try:
        await _decide(client, request, tags, PromotionState.APPROVED, approver, at, "", claim, seen_holder)
    except BackendError as exc:
        raise PromotionPartial(
            f"{label}: alias {request.target} moved to v{request.version}, but recording the "
            f"approval failed: {exc}; approve again to record it (the alias will not move twice)"
        ) from exc
    try:
        recorded = await version_tags(client, request.model, request.version)
    except BackendError as exc:
        raise PromotionUnknown(
            f"{label} now holds {request.target}, but re-reading the recorded approval failed "
            f"({exc}); unknown — check the version's tags"
        ) from exc
    if recorded.get(STATE) != "approved" or recorded.get(DECIDED_BY) != approver:
        raise PromotionUnknown(
            f"{label} now holds {request.target}, but its tags say "
            f"{recorded.get(STATE) or 'no decision'} by {recorded.get(DECIDED_BY) or 'nobody'}; "
            "unknown — check"
        )


async def record_approval(
    client: MlflowHttp, request: PromotionRequest, approver: str, at: datetime
) -> tuple[str, ...]:
    """One more approval of a request that needs several; the alias does not move.
    Returns the approvers recorded so far."""
    tags = await _check_still_pending(client, request)
    if approver in approvals_of(tags):
        raise PromotionConflict(
            f"{request.model} v{request.version}: {approver} already approved this request; "
            "another approver must approve it"
        )
    mine = f"{approver}@{iso_utc(at)}"
    # one tag per approver first: two approvals at the same moment cannot overwrite each other
    await _set_tags(client, request.model, request.version, {approval_key(approver): mine})
    recorded = await version_tags(client, request.model, request.version)
    if approver not in approvals_of(recorded):
        raise PromotionUnknown(
            f"{request.model} v{request.version}: the server answered the approval, but re-reading "
            "the version's tags does not show it; unknown — check"
        )
    # then the readable summary, from what the server holds now. It is only a summary (the
    # per-approver tags are the record): two approvers writing it at the same moment can make
    # MLflow refuse one insert, which loses nothing.
    try:
        await _set_tags(client, request.model, request.version, {APPROVALS: ",".join(approval_entries(recorded))})
    except BackendError:
        pass
    return approvals_of(recorded)


async def reject(client: MlflowHttp, request: PromotionRequest, approver: str, at: datetime, reason: str) -> None:
    tags = await _check_still_pending(client, request)
    await _decide(client, request, tags, PromotionState.REJECTED, approver, at, reason)


async def _decide(
    client: MlflowHttp,
    request: PromotionRequest,
    current: Mapping[str, str],
    state: PromotionState,
    by: str,
    at: datetime,
    reason: str,
    claim: Claim | None = None,
    previous_holder: str | None = None,
) -> None:
    """Write the decision beside the request tags, which stay: requester, time and note."""
    decision = decision_tags(state, by, at, reason)
    if previous_holder:
        decision[PREVIOUS] = previous_holder
    if request.checks:
        decision[CHECKS] = request.checks
    if claim is not None:
        decision[CLAIM] = claim.record
    if request.override:
        decision[OVERRIDE] = request.override
    so_far = approval_entries(current)
    if state == PromotionState.APPROVED and so_far:
        mine = [] if by in approvals_of(current) else [f"{by}@{iso_utc(at)}"]
        decision[APPROVALS] = ",".join([*so_far, *mine])
    # the state last: a decision cut short still reads as pending, so approving again completes it
    decision = {k: v for k, v in decision.items() if k != STATE} | {STATE: decision[STATE]}
    await _set_tags(client, request.model, request.version, decision)
    gone = [k for k in DECISION_TAGS if k in current and k not in decision]
    await _delete_tags(client, request.model, request.version, gone)
