"""A rollback plan: which version a target alias goes back to (its previous holder), or why none.

Pure: from the snapshot's promotions and versions (services/promotion_history.py), no I/O. The
Models view, an alert's detail and a deployment's detail all propose a rollback with it; the
request itself is Actions.request_rollback (an urgent promotion request, approved under policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from mlops_tui.domain import Alert
from mlops_tui.services.promotion_history import holder_history
from mlops_tui.services.snapshot import Snapshot


@dataclass(frozen=True)
class RollbackPlan:
    model: str
    target: str
    current: str  # the version holding the target now
    previous: str  # the version it goes back to
    backend: str  # where the previous version is registered


def plan_rollback(snapshot: Snapshot, model: str, target: str) -> RollbackPlan | str:
    """The plan to move `target` of `model` back to its previous holder, or why there is none."""
    if not model:
        return "no model is known here: nothing to roll back"
    if model not in snapshot.models_by_name and not any(v.model == model for v in snapshot.versions):
        return f"{model} is not in the registry: nothing to roll back"
    history = holder_history(model, target, snapshot.promotions, snapshot.versions)
    if not history:
        return f"no version of {model} has held {target}: nothing to roll back"
    current = history[-1].version
    previous = next((c.version for c in reversed(history[:-1]) if c.version != current), None)
    if previous is None or (model, previous) not in snapshot.versions_by_key:
        return f"{model}: no previous holder of {target} to roll back to (v{current} is the only one known)"
    backend = snapshot.versions_by_key[(model, previous)].backend
    return RollbackPlan(model=model, target=target, current=current, previous=previous, backend=backend)


def alert_reason(alert: Alert, model: str) -> str:
    """Why, for a rollback proposed from an alert: its name, model, deployment and start."""
    parts = [f"alert {alert.name or alert.fingerprint} on {model}"]
    if alert.deployment:
        parts.append(f"deployment {alert.deployment}")
    parts.append(f"started {alert.starts_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    return ", ".join(parts)
