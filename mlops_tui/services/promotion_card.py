"""The approval card beyond metrics: both versions' signatures and dataset inputs, read off the
UI thread through the hub, and the signature check the policy adds.

A backend without `version_card` (the demo, registries other than MLflow) gives no card: the
dialog says "signature unknown", never "unchanged".
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_tui.backends.errors import BackendError
from mlops_tui.config.policy import PolicyRules
from mlops_tui.core.secrets import redact
from mlops_tui.domain import PromotionRequest
from mlops_tui.domain.model_card import VersionCard
from mlops_tui.services.hub import Hub
from mlops_tui.services.policy import CheckResult

SIGNATURE_CHECK = "model signature unchanged"


@dataclass(frozen=True)
class CardSide:
    version: str
    card: VersionCard | None = None
    error: str = ""  # why the card could not be read at all


@dataclass(frozen=True)
class ApprovalCard:
    candidate: CardSide
    holder: CardSide | None  # None: no version holds the target


async def _side(hub: Hub, backend: str, model: str, version: str) -> CardSide:
    try:
        readable = hub.backend(backend).reads_version_cards()
    except Exception:  # no such backend in this session
        readable = False
    if not readable:
        return CardSide(version, error=f"{backend or 'this backend'} cannot tell")
    try:
        card = await hub.call(backend, lambda b: b.version_card(model, version))
    except BackendError as exc:
        return CardSide(version, error=redact(str(exc)))
    except TimeoutError:
        return CardSide(version, error="no answer in time")
    return CardSide(version, card)


async def load_card(hub: Hub, request: PromotionRequest, holder: str | None) -> ApprovalCard:
    candidate = await _side(hub, request.backend, request.model, request.version)
    held = await _side(hub, request.backend, request.model, holder) if holder else None
    return ApprovalCard(candidate, held)


def signature_note(side: CardSide) -> str:
    if side.card is None:
        return f"signature unknown: {side.error or 'not read'}"
    if side.card.signature is None:
        return f"signature unknown: {side.card.signature_note}"
    return side.card.signature_note


def signature_checks(card: ApprovalCard, rules: PolicyRules) -> list[CheckResult]:
    """The candidate's signature against the holder's: a failed check when they differ (a
    warning only with `same_signature = false`); unknown on one side is shown as unknown;
    nothing is checked when neither side is known or nobody holds the target."""
    if card.holder is None:
        return []
    new = card.candidate.card.signature if card.candidate.card else None
    old = card.holder.card.signature if card.holder.card else None
    if new is None and old is None:
        return []
    if new is None or old is None:
        side = card.candidate if new is None else card.holder
        return [CheckResult(SIGNATURE_CHECK, True, f"v{side.version}: {signature_note(side)}", unknown=True)]
    changes = new.changes(old)
    if not changes:
        return [CheckResult(SIGNATURE_CHECK, True, f"same as v{card.holder.version}")]
    detail = f"changed from v{card.holder.version}: " + "; ".join(changes)
    if not rules.same_signature:
        return [CheckResult(SIGNATURE_CHECK, True, detail + " (the policy only warns)", unknown=True)]
    return [CheckResult(SIGNATURE_CHECK, False, detail)]


def sides(card: ApprovalCard) -> list[CardSide]:
    """The candidate, then the holder when a version holds the target."""
    return [card.candidate] + ([card.holder] if card.holder else [])


def run_words(card: VersionCard) -> str:
    return f"run {card.run_id}" if card.run_id else "no source run"


def datasets_words(card: VersionCard) -> tuple[str, str]:
    """What a version's dataset inputs are, in words, and how sure that is: "unknown" when they
    could not be read, "none" when none were logged, "" when they are listed."""
    if card.datasets is None:
        return f"datasets unknown ({card.datasets_note})", "unknown"
    if not card.datasets:
        return "no dataset inputs logged", "none"
    return "datasets " + ", ".join(d.label() for d in card.datasets), ""


def card_lines(card: ApprovalCard, target: str) -> list[str]:
    """The card as plain lines for headless output: each side's signature, source run and
    dataset inputs (the TUI's dialog draws the same facts as tables)."""
    lines = []
    for side in sides(card):
        who = f"{'candidate' if side is card.candidate else target} v{side.version}"
        c = side.card
        if c is None:
            lines.append(f"{who}: card unknown ({side.error or 'not read'})")
            continue
        if c.signature is None:
            lines.append(f"{who}: {signature_note(side)}")
        else:
            inputs = ", ".join(c.signature.inputs) or "(none)"
            outputs = ", ".join(c.signature.outputs) or "(none)"
            lines.append(f"{who}: inputs {inputs}; outputs {outputs}")
        lines.append(f"{' ' * len(who)}  {run_words(c)}; {datasets_words(c)[0]}")
    return lines
