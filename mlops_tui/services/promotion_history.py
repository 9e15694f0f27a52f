"""Who held an alias when, built from the promotion tags on the server (not the local audit log).

Every approval keeps its request (requester, time, note), its decision (approvers, time,
override, checks) and the version that held the target just before (`previous_holder`).
Walking a model's approvals for one alias in time order gives each change of holder; a
previous holder that no approval put there, or a current holder no approval explains, was
moved outside mlops-tui: its time is known only as "between" two others (or "seen now").

A version's tags hold its latest request only: a version promoted twice shows its latest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from mlops_tui.domain import ModelVersion, PromotionRequest, PromotionState

OUTSIDE = "moved outside mlops-tui"


@dataclass(frozen=True)
class HolderChange:
    version: str
    at: datetime | None  # None: moved outside mlops-tui, time unknown
    after: datetime | None = None  # outside moves: not before this
    before: datetime | None = None  # outside moves: not after this (None: seen at the last poll)
    requester: str = ""
    approvers: tuple[str, ...] = ()
    checks: str = ""
    override: str = ""
    rollback: bool = False
    note: str = ""

    @property
    def outside(self) -> bool:
        return self.at is None

    def as_dict(self) -> dict[str, object]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "version": self.version,
            "at": iso(self.at),
            "outside_mlops_tui": self.outside,
            "after": iso(self.after),
            "before": iso(self.before),
            "requester": self.requester,
            "approvers": list(self.approvers),
            "checks": self.checks,
            "override": self.override,
            "rollback": self.rollback,
            "note": self.note,
        }


def holder_history(
    model: str,
    alias: str,
    promotions: Iterable[PromotionRequest],
    versions: Iterable[ModelVersion],
) -> list[HolderChange]:
    """Every change of the holder of `alias` on `model`, oldest first."""
    approved = sorted(
        (
            p
            for p in promotions
            if p.model == model
            and p.target == alias
            and p.state == PromotionState.APPROVED
            and p.decided_at is not None
        ),
        key=lambda p: p.decided_at or datetime.min.replace(tzinfo=UTC),
    )
    history: list[HolderChange] = []
    for p in approved:
        last = history[-1] if history else None
        if p.previous_holder and (last is None or last.version != p.previous_holder):
            history.append(
                HolderChange(
                    version=p.previous_holder,
                    at=None,
                    after=(last.at or last.after) if last else None,
                    before=p.decided_at,
                )
            )
        approvers = tuple(p.approvals) or (p.decided_by,)
        if p.decided_by and p.decided_by not in approvers:
            approvers = (*approvers, p.decided_by)
        history.append(
            HolderChange(
                version=p.version,
                at=p.decided_at,
                requester=p.requester,
                approvers=approvers,
                checks=p.checks,
                override=p.override,
                rollback=p.note.lower().startswith("rollback"),
                note=p.note,
            )
        )
    current = next((v.version for v in versions if v.model == model and alias in v.aliases), None)
    last = history[-1] if history else None
    if current is not None and (last is None or last.version != current):
        history.append(HolderChange(version=current, at=None, after=(last.at or last.after) if last else None))
    return history


def holder_at(history: list[HolderChange], when: datetime) -> tuple[HolderChange | None, str]:
    """Who held the alias at `when`, and a word on how sure that is ('' when certain)."""
    held: HolderChange | None = None
    for change in history:
        if change.at is not None:
            if change.at <= when:
                held = change
            else:
                break
        else:  # an outside move: known only between `after` and `before`
            if change.before is not None and change.before <= when:
                held = change
            elif change.after is None or change.after <= when:
                return change, (
                    f"uncertain: v{change.version} was {OUTSIDE} at an unknown time"
                    + (f" after {change.after.isoformat()}" if change.after else "")
                    + (f", before {change.before.isoformat()}" if change.before else "")
                    + (f"; before that v{held.version}" if held else "")
                )
            else:
                break
    return held, ""


def when_text(change: HolderChange) -> str:
    """When the change happened, in words: a time, or the window an outside move fell in."""
    if change.at is not None:
        return change.at.isoformat(" ", "minutes")
    after = change.after.isoformat(" ", "minutes") if change.after else "?"
    before = change.before.isoformat(" ", "minutes") if change.before else "now"
    return f"between {after} and {before}"


def how_text(change: HolderChange) -> str:
    """How it got there: moved outside mlops-tui, a rollback, an override (or '' for a request)."""
    if change.outside:
        return OUTSIDE
    return " ".join(
        part
        for part in ("rollback" if change.rollback else "", f"override: {change.override}" if change.override else "")
        if part
    )


def aliases_of(model: str, versions: Iterable[ModelVersion], promotions: Iterable[PromotionRequest]) -> list[str]:
    """Every alias of `model` with a history: held now, or the target of an approval."""
    found = {a for v in versions if v.model == model for a in v.aliases}
    found |= {p.target for p in promotions if p.model == model and p.state == PromotionState.APPROVED}
    return sorted(found)
