"""The approval dialog: candidate beside champion, metric by metric, the policy checks, and the
deployments that will serve another version than the alias until they roll it out."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mlops_tui.domain import Deployment, PromotionRequest
from mlops_tui.services.policy import CheckResult, MetricComparison
from mlops_tui.ui.format import ago, number
from mlops_tui.ui.literal import visible


def comparison_table(request: PromotionRequest, holder: str | None, rows: list[MetricComparison]) -> Table:
    table = Table(box=None, expand=True, header_style="bold")
    table.add_column("metric")
    table.add_column(f"candidate v{visible(request.version)}", justify="right")
    table.add_column(f"{visible(request.target)} v{visible(holder)}" if holder else "no holder", justify="right")
    table.add_column("delta", justify="right")
    table.add_column("better")
    for row in rows:
        better = {"candidate": ("▲ candidate", "green"), "champion": ("▼ current", "red"), "equal": ("= equal", "")}
        label, style = better.get(row.better, ("", ""))
        delta = row.delta
        table.add_row(
            Text(visible(row.metric)),
            number(row.candidate),
            number(row.champion),
            "-" if delta is None else f"{delta:+.4f}",
            Text(label, style=style),
        )
    return table


def checks_text(checks: list[CheckResult]) -> Text:
    text = Text()
    for check in checks:
        mark, style = ("✓ pass", "green") if check.passed else ("✖ FAIL", "bold red")
        text.append(f"{mark}  ", style=style)
        text.append(visible(check.name))
        if check.detail:
            text.append(f"  ({visible(check.detail)})", style="dim")
        text.append("\n")
    return text


def left_behind(request: PromotionRequest, deployments: Sequence[Deployment]) -> list[Deployment]:
    """The deployments that follow the request's alias but serve another version than the candidate:
    once approved, each is mismatched until it rolls the candidate out."""
    return sorted(
        (
            d
            for d in deployments
            if d.registered_model == request.model and d.alias == request.target and d.version != request.version
        ),
        key=lambda d: d.name,
    )


def rollout_text(request: PromotionRequest, deployments: Sequence[Deployment]) -> Text:
    behind = left_behind(request, deployments)
    if not behind:
        follows = [d for d in deployments if d.registered_model == request.model and d.alias == request.target]
        if follows:
            return Text(f"every deployment of {visible(request.target)} already serves v{visible(request.version)}")
        return Text(f"no deployment is known to serve {visible(request.model)} {visible(request.target)}", style="dim")
    text = Text()
    text.append(
        f"≠ {len(behind)} deployment(s) will be mismatched until they roll v{visible(request.version)} out:",
        style="bold yellow",
    )
    for d in behind:
        served = f"v{visible(d.version)}" if d.version else "an unknown version"
        text.append(f"\n  {visible(d.name)}")
        text.append(f"  serves {served}" + (f" ({visible(d.environment)})" if d.environment else ""), style="dim")
    return text


class ApprovalDialog(ModalScreen[bool]):
    DEFAULT_CSS = """
    ApprovalDialog { align: center middle; }
    ApprovalDialog > Vertical {
        width: 90; max-width: 98%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ApprovalDialog VerticalScroll { height: auto; max-height: 30; }
    ApprovalDialog .section { text-style: bold; color: $accent; margin-top: 1; }
    ApprovalDialog #rollout { margin-top: 1; }
    ApprovalDialog #verdict { margin-top: 1; dock: bottom; }  /* on screen however long the rest is */
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Approve"),
        Binding("n", "answer(False)", "Cancel"),
        Binding("escape", "answer(False)", "Cancel", show=False),
    ]

    def __init__(
        self,
        request: PromotionRequest,
        holder: str | None,
        comparisons: list[MetricComparison],
        checks: list[CheckResult],
        approver: str,
        deployments: Sequence[Deployment] = (),
    ) -> None:
        super().__init__()
        self.deployments = tuple(deployments)
        self.request = request
        self.holder = holder
        self.comparisons = comparisons
        self.checks = checks
        self.approver = approver
        self._answered = False

    def compose(self) -> ComposeResult:
        r = self.request
        head = Text()
        head.append(visible(r.model), style="bold")
        head.append(f" v{visible(r.version)} → {visible(r.target)}", style="bold")
        head.append(f"\nrequested by {visible(r.requester)} {ago(r.requested_at)}")
        if r.note:
            head.append(f": {visible(r.note)}", style="italic")
        head.append(f"\nnow held by v{visible(self.holder)}" if self.holder else "\nno version holds it now")
        if r.approvals:
            head.append(f"\napproved so far by {visible(', '.join(r.approvals))}", style="bold")
        failed = [c for c in self.checks if not c.passed]
        verdict = Text()
        if failed:
            verdict.append(
                f"{len(failed)} {'check' if len(failed) == 1 else 'checks'} failed: approving needs an "
                "override reason (break-glass). ",
                style="bold red",
            )
        verdict.append(f"Approve as {visible(self.approver)}?  y approve   n / esc cancel", style="bold")
        with Vertical() as box:
            box.border_title = "Approve promotion"
            with VerticalScroll():
                yield Static(head)
                # before the metrics: what this approval leaves behind is seen without scrolling
                yield Static(rollout_text(r, self.deployments), id="rollout")
                yield Static("Metrics", classes="section")
                yield Static(comparison_table(r, self.holder, self.comparisons))
                yield Static("Policy checks", classes="section")
                yield Static(checks_text(self.checks) if self.checks else Text("(no checks)", style="dim"))
            yield Static(verdict, id="verdict")

    def action_answer(self, yes: bool) -> None:
        if self._answered:  # pressing y twice must move the alias once
            return
        self._answered = True
        self.dismiss(yes)
