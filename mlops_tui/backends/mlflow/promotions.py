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
is enforced by the client, not by the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

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
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


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
