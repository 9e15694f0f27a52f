"""`R`: propose a rollback from any screen that knows a model (Models, an alert, a deployment).

Refuses before asking (read-only, no model known, no previous holder, a request already pending
for that version), then asks why in a prompt (prefilled with what the screen knows, e.g. the
alert) and files an urgent promotion request through Actions.request_rollback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from mlops_tui.services.actions import ActionRefused
from mlops_tui.services.rollback import RollbackPlan, plan_rollback
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.literal import visible

if TYPE_CHECKING:
    from mlops_tui.ui.screens.base import BaseScreen


def propose_rollback(screen: BaseScreen, model: str, target: str = "", why: str = "") -> None:
    """Refuse with the reason, or ask why and request the rollback of `target` (default: the
    backend's promotion target) of `model` to its previous holder."""
    actions = screen.mlops.runtime.actions

    def refuse(reason: str, title: str = "No rollback") -> None:
        screen.notify(reason, title=title, severity="error", timeout=8, markup=False)

    if actions.read_only:
        return refuse("read-only mode: nothing was changed")
    if not model:
        return refuse("no model is known here: nothing to roll back")
    snap = screen.snapshot
    if not target:
        backend = next((v.backend for v in snap.versions if v.model == model), "")
        target = actions.default_target(backend) if backend else "champion"
    plan = plan_rollback(snap, model, target)
    if isinstance(plan, str):
        return refuse(plan)
    refusal = actions.request_refusal(plan.model, plan.previous)
    if refusal:
        return refuse(refusal, "Not requested")
    intro = Text(
        f"Roll {visible(plan.target)} of {visible(plan.model)} back from v{visible(plan.current)} to "
        f"v{visible(plan.previous)}: an urgent promotion request, approved under the policy."
    )

    def done(values: dict[str, str] | None) -> None:
        if values:
            screen.run_worker(_request(screen, plan, values["reason"]), group="actions", exit_on_error=False)

    screen.app.push_screen(PromptDialog("Propose rollback", intro, [("reason", "Why (required)", why, True)]), done)
    return None


async def _request(screen: BaseScreen, plan: RollbackPlan, reason: str) -> None:
    try:
        outcome = await screen.mlops.runtime.actions.request_rollback(
            plan.backend, plan.model, plan.previous, plan.target, reason
        )
    except ActionRefused as exc:
        screen.notify(str(exc), title="Not requested", severity="error", timeout=8, markup=False)
        return
    screen.notify(outcome, title="Rollback", markup=False)
