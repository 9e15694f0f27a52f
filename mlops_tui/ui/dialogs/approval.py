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
from mlops_tui.services.promotion_card import ApprovalCard, datasets_words, run_words, sides, signature_note
from mlops_tui.ui import glyphs
from mlops_tui.ui.format import ago, number, plural
from mlops_tui.ui.literal import visible
from mlops_tui.ui.themes import ink


def comparison_table(request: PromotionRequest, holder: str | None, rows: list[MetricComparison]) -> Table:
    table = Table(box=None, expand=True, header_style="bold")
    table.add_column("metric")
    table.add_column(f"candidate v{visible(request.version)}", justify="right")
    table.add_column(f"{visible(request.target)} v{visible(holder)}" if holder else "no holder", justify="right")
    table.add_column("delta", justify="right")
    table.add_column("better")
    for row in rows:
        better = {
            "candidate": (f"{glyphs.BETTER} candidate", ink("ok")),
            "champion": (f"{glyphs.WORSE} current", ink("down")),
            "equal": ("= equal", ""),
        }
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
        mark, style = (
            (f"{glyphs.OK} pass", ink("ok")) if check.passed else (f"{glyphs.FAILED} FAIL", ink("down", "bold"))
        )
        if check.passed and check.unknown:
            mark, style = ("? unknown", ink("warning"))
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


def signature_table(card: ApprovalCard | None, request: PromotionRequest) -> Table | Text:
    """Inputs and outputs of the candidate's logged signature beside the holder's."""
    if card is None:
        return Text("signature unknown: not read", style="dim")
    shown = sides(card)
    table = Table(box=None, expand=True, header_style="bold")
    table.add_column("")
    for side in shown:
        who = "candidate" if side is card.candidate else f"{visible(request.target)}"
        table.add_column(f"{who} v{visible(side.version)}")
    for part in ("inputs", "outputs"):
        cells = []
        for side in shown:
            sig = side.card.signature if side.card else None
            cells.append(Text("\n".join(visible(c) for c in getattr(sig, part)) or "(none)") if sig else Text("?"))
        table.add_row(part, *cells)
    table.add_row(
        "",
        *(
            Text(visible(signature_note(side)), style="yellow" if not (side.card and side.card.signature) else "dim")
            for side in shown
        ),
    )
    return table


def data_text(card: ApprovalCard | None, request: PromotionRequest) -> Text:
    """Each version's source run and its dataset inputs (MLflow's `inputs.dataset_inputs`)."""
    if card is None:
        return Text("source runs and datasets unknown: not read", style="dim")
    text = Text()
    for side in sides(card):
        who = "candidate" if side is card.candidate else visible(request.target)
        text.append(f"{who} v{visible(side.version)}: ", style="bold")
        c = side.card
        if c is None:
            text.append(f"unknown ({visible(side.error)})\n", style="yellow")
            continue
        text.append(visible(run_words(c)))
        words, tone = datasets_words(c)
        text.append(f"; {visible(words)}\n", style={"unknown": "yellow", "none": "dim"}.get(tone, ""))
    return text


def rollout_text(request: PromotionRequest, deployments: Sequence[Deployment]) -> Text:
    follows = sorted(
        (d for d in deployments if d.registered_model == request.model and d.alias == request.target),
        key=lambda d: d.name,
    )
    text = rollout_change(request, deployments)
    if follows:
        text.append(f"\nserving {visible(request.target)} now: ", style="dim")
        text.append(
            ", ".join(
                f"{visible(d.name)} (v{visible(d.version)})" if d.version else f"{visible(d.name)} (version unknown)"
                for d in follows
            ),
            style="dim",
        )
    return text


def rollout_change(request: PromotionRequest, deployments: Sequence[Deployment]) -> Text:
    behind = left_behind(request, deployments)
    if not behind:
        follows = [d for d in deployments if d.registered_model == request.model and d.alias == request.target]
        if follows:
            return Text(f"every deployment of {visible(request.target)} already serves v{visible(request.version)}")
        return Text(f"no deployment is known to serve {visible(request.model)} {visible(request.target)}", style="dim")
    text = Text()
    text.append(
        f"{glyphs.NOT_EQUAL} {plural(len(behind), 'deployment')} will be mismatched until "
        f"they roll v{visible(request.version)} out:",
        style=ink("warning", "bold"),
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
        card: ApprovalCard | None = None,
    ) -> None:
        super().__init__()
        self.card = card
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
                f"{plural(len(failed), 'check')} failed: approving needs an override reason (break-glass). ",
                style=ink("down", "bold"),
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
                yield Static("Signature", classes="section")
                yield Static(signature_table(self.card, r), id="signature")
                yield Static("Source runs and datasets", classes="section")
                yield Static(data_text(self.card, r), id="datasets")
                yield Static("Policy checks", classes="section")
                yield Static(checks_text(self.checks) if self.checks else Text("(no checks)", style="dim"))
            yield Static(verdict, id="verdict")

    def action_answer(self, yes: bool) -> None:
        if self._answered:  # pressing y twice must move the alias once
            return
        self._answered = True
        self.dismiss(yes)
