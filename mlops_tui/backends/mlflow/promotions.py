"""Promotion requests kept in MLflow model-version tags, so every client of the server sees them.

Open-source MLflow has no approval endpoint, so a request is a set of tags on the candidate
version. The scheme (documented in the README):

  mlops_tui.promotion.target        alias (or stage) the version should get, e.g. champion
  mlops_tui.promotion.requester     who asked
  mlops_tui.promotion.requested_at  when, ISO 8601 UTC
  mlops_tui.promotion.note          optional free text
  -- written by the decision, which also deletes the four request tags above:
  mlops_tui.promotion.state         approved | rejected
  mlops_tui.promotion.decided_by    who decided
  mlops_tui.promotion.decided_at    when, ISO 8601 UTC
  mlops_tui.promotion.reason        why (rejections)

A version with target and requester and no state is a pending request. The four-eyes rule
is enforced by the client, not by the server. The writes at the end of this module check,
just before writing, that the request is still the one the user looked at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from mlops_tui.backends.errors import PromotionConflict
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

REQUEST_TAGS = (TARGET, REQUESTER, REQUESTED_AT, NOTE)
DECISION_TAGS = (STATE, DECIDED_BY, DECIDED_AT, REASON)

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

    A decided request no longer has its request tags (the decision deletes them), so its
    target falls back to `default_target` and its request time to the decision time.
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
    new = request_tags(request)
    await _set_tags(client, request.model, request.version, new)
    # A new request starts clean: no decision of an earlier one, no stale note.
    stale = [k for k in (*DECISION_TAGS, NOTE) if k in current and k not in new]
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


async def approve(
    client: MlflowHttp, request: PromotionRequest, approver: str, at: datetime, *, stage: str | None
) -> None:
    """Move the alias (or, with `stage`, the stage) to the version, then record the decision."""
    tags = await _check_still_pending(client, request)
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
    await _decide(client, request, tags, PromotionState.APPROVED, approver, at, "")


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
) -> None:
    decision = decision_tags(state, by, at, reason)
    await _set_tags(client, request.model, request.version, decision)
    gone = [k for k in (*REQUEST_TAGS, REASON) if k in current and k not in decision]
    await _delete_tags(client, request.model, request.version, gone)
