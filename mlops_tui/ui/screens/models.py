"""Models: promotion requests (pending first) and every registered model version."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlops_tui.domain import ModelVersion, PromotionRequest, PromotionState
from mlops_tui.services.actions import ActionRefused
from mlops_tui.services.policy import compare_metrics, evaluate
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui.columns import deployment_columns, request_columns, run_columns, version_columns
from mlops_tui.ui.dialogs.approval import ApprovalDialog
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.format import ago, local_time
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.key_values import KeyValues


def ordered_requests(snapshot: Snapshot) -> list[PromotionRequest]:
    """Pending requests first (oldest first), then decided ones (newest first)."""
    pending = list(snapshot.pending_promotions)
    decided = sorted(
        (p for p in snapshot.promotions if p.state != PromotionState.PENDING),
        key=lambda p: p.decided_at or p.requested_at,
        reverse=True,
    )
    return pending + decided


class ModelsScreen(BaseScreen):
    VIEW = "models"
    DEFAULT_CSS = """
    ModelsScreen #requests { height: 2fr; border: round $panel-lighten-2; }
    ModelsScreen #versions { height: 3fr; border: round $panel-lighten-2; }
    ModelsScreen DataGrid:focus { border: round $primary; }
    """
    BINDINGS = [
        Binding("a", "approve", "Approve", id="models.approve"),
        Binding("x", "reject", "Reject", id="models.reject"),
        Binding("p", "request", "Request promotion", id="models.request"),
        Binding("tab", "app.focus_next", "Next list", id="models.next"),
        Binding("shift+tab", "app.focus_previous", "Prev list", show=False, id="models.prev"),
    ]

    def compose_body(self) -> ComposeResult:
        yield DataGrid(
            request_columns(),
            row_key=lambda p: (p.model, p.version, p.requested_at),
            id="requests",
            empty_text="No promotion requests",
        )
        yield DataGrid(
            version_columns(self.snapshot),
            row_key=lambda v: v.key,
            id="versions",
            empty_text="No registered model versions",
        )

    def on_mount(self) -> None:
        self.query_one("#requests", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        requests = self.query_one("#requests", DataGrid)
        versions = self.query_one("#versions", DataGrid)
        requests.set_rows(ordered_requests(snapshot))
        requests.border_title = f"Promotion requests ({len(snapshot.pending_promotions)} pending)"
        requests.border_subtitle = "a approve  x reject"
        versions.set_columns(version_columns(snapshot))
        versions.set_rows(sorted(snapshot.versions, key=lambda v: (v.model, -_num(v.version))))
        versions.border_title = f"Model versions ({len(snapshot.models)} models, {len(snapshot.versions)} versions)"
        versions.border_subtitle = "p request promotion  enter details"
        pending = getattr(self, "_pending_selection", None)
        if pending is not None:  # asked for before this screen was composed (Overview → enter)
            self._pending_selection = None
            self.select_request(*pending)

    def select_request(self, model: str, version: str) -> None:
        if not self.query("#requests"):  # first visit: the lists are not composed yet
            self._pending_selection = (model, version)
            return
        grid = self.query_one("#requests", DataGrid)
        for row in grid.visible_rows:
            if row.model == model and row.version == version:
                grid.move_cursor_to_key((row.model, row.version, row.requested_at))
                break
        grid.focus()

    # -- which row the keys act on ----------------------------------------------------------
    def _selected_request(self) -> PromotionRequest | None:
        grid = self.query_one("#requests", DataGrid)
        if self.focused is grid:
            return grid.cursor_row
        version = self._selected_version()
        if version is not None:
            return next((p for p in self.snapshot.pending_promotions if p.key == version.key), None)
        return grid.cursor_row

    def _selected_version(self) -> ModelVersion | None:
        grid = self.query_one("#versions", DataGrid)
        if self.focused is grid:
            return grid.cursor_row
        request = self.query_one("#requests", DataGrid).cursor_row
        if request is not None:
            return self.snapshot.versions_by_key.get(request.key)
        return None

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        row = event.row
        self.mlops.open_version(row.model, row.version)

    # -- approve ------------------------------------------------------------------------------
    def action_approve(self) -> None:
        request = self._selected_request()
        if request is None or request.state != PromotionState.PENDING:
            self.notify("Select a pending promotion request to approve", severity="warning")
            return
        if request.key not in self.snapshot.versions_by_key:
            self.notify(f"{request.model} v{request.version} is not in the registry", severity="error", markup=False)
            return
        self.open_approval(request)

    @work(group="approval-dialog", exclusive=True, exit_on_error=False)
    async def open_approval(self, request: PromotionRequest) -> None:
        """Read who holds the target now (from the server), then show the dialog."""
        actions = self.mlops.runtime.actions
        try:
            holder = await actions.current_holder(request)
        except ActionRefused as exc:
            self.notify(str(exc), title="Cannot approve", severity="error", timeout=8, markup=False)
            return
        snap = self.snapshot
        candidate = snap.versions_by_key.get(request.key)
        if candidate is None:
            return
        champion = snap.versions_by_key.get((request.model, holder)) if holder else None
        cand_run = snap.runs_by_id.get(candidate.run_id)
        champ_run = snap.runs_by_id.get(champion.run_id) if champion else None
        dialog = ApprovalDialog(
            request,
            holder,
            compare_metrics(cand_run, champ_run),
            evaluate(candidate, cand_run, champ_run),
            self.mlops.runtime.user,
        )

        def done(yes: bool | None) -> None:
            if yes:
                self.run_approval(request, holder)

        self.app.push_screen(dialog, done)

    @work(group="actions", exit_on_error=False)
    async def run_approval(self, request: PromotionRequest, holder: str | None) -> None:
        try:
            await self.mlops.runtime.actions.approve(request, holder)
        except ActionRefused as exc:
            self.notify(str(exc), title="Not approved", severity="error", timeout=8, markup=False)
            return
        self.notify(
            f"{request.model} v{request.version} is now {request.target}",
            title="Approved",
            markup=False,
        )

    # -- reject -------------------------------------------------------------------------------
    def action_reject(self) -> None:
        request = self._selected_request()
        if request is None or request.state != PromotionState.PENDING:
            self.notify("Select a pending promotion request to reject", severity="warning")
            return
        intro = Text(
            f"Reject {visible(request.model)} v{visible(request.version)} → {visible(request.target)}"
            f", requested by {visible(request.requester)}?"
        )

        def done(values: dict[str, str] | None) -> None:
            if values:
                self.run_rejection(request, values["reason"])

        self.app.push_screen(PromptDialog("Reject promotion", intro, [("reason", "Reason (required)", "", True)]), done)

    @work(group="actions", exit_on_error=False)
    async def run_rejection(self, request: PromotionRequest, reason: str) -> None:
        try:
            await self.mlops.runtime.actions.reject(request, reason)
        except ActionRefused as exc:
            self.notify(str(exc), title="Not rejected", severity="error", timeout=8, markup=False)
            return
        self.notify(f"{request.model} v{request.version} rejected", title="Rejected", markup=False)

    # -- request ------------------------------------------------------------------------------
    def action_request(self) -> None:
        version = (
            self.query_one("#versions", DataGrid).cursor_row
            if self.focused is self.query_one("#versions", DataGrid)
            else self._selected_version()
        )
        if version is None:
            self.notify("Select a model version to request its promotion", severity="warning")
            return
        intro = Text(f"Request promotion of {visible(version.model)} v{visible(version.version)}")

        def done(values: dict[str, str] | None) -> None:
            if values:
                self.run_request(version, values["target"], values["note"])

        self.app.push_screen(
            PromptDialog(
                "Request promotion",
                intro,
                [
                    (
                        "target",
                        "Target alias (or stage)",
                        self.mlops.runtime.actions.default_target(version.backend),
                        True,
                    ),
                    ("note", "Note", "", False),
                ],
            ),
            done,
        )

    @work(group="actions", exit_on_error=False)
    async def run_request(self, version: ModelVersion, target: str, note: str) -> None:
        try:
            await self.mlops.runtime.actions.request_promotion(
                version.backend, version.model, version.version, target, note
            )
        except ActionRefused as exc:
            self.notify(str(exc), title="Not requested", severity="error", timeout=8, markup=False)
            return
        self.notify(f"Requested {version.model} v{version.version} → {target}", title="Requested", markup=False)


class VersionDetailScreen(BaseScreen):
    VIEW = "models"
    BINDINGS = [Binding("r", "open_run", "Open source run", id="version.run")]
    DEFAULT_CSS = """
    VersionDetailScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    VersionDetailScreen #version-deployments { height: 8; }
    """

    def __init__(self, model: str, version: str) -> None:
        super().__init__()
        self.model = model
        self.version = version

    def crumb(self) -> str:
        return visible(f"{self.model} v{self.version}")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll():
            yield KeyValues(id="version-info")
            yield Static("Source run (enter or r opens it)", classes="section")
            yield DataGrid(
                run_columns(self.snapshot, [], compact=True),
                row_key=lambda r: r.id,
                id="version-run",
                empty_text="source run not loaded",
            )
            yield Static("Deployments serving it", classes="section")
            yield DataGrid(
                deployment_columns(self.snapshot, with_trend=False),
                row_key=lambda d: d.name,
                id="version-deployments",
                empty_text="not deployed",
            )
            yield Static("Tags", classes="section")
            yield KeyValues(id="version-tags")

    def on_mount(self) -> None:
        self.query_one("#version-run", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        v = snapshot.versions_by_key.get((self.model, self.version))
        if v is None:
            self.query_one("#version-info", KeyValues).show([("version", "no longer in the registry")])
            return
        self.query_one("#version-info", KeyValues).show(
            [
                ("model", v.model),
                ("version", v.version),
                ("aliases", ", ".join(v.aliases) or "-"),
                ("stage", v.stage),
                ("status", v.status),
                ("created", f"{local_time(v.created)} ({ago(v.created)})"),
                ("created by", v.user or "-"),
                ("source", v.source or "-"),
                ("run id", v.run_id or "-"),
            ]
        )
        run_grid = self.query_one("#version-run", DataGrid)
        run = snapshot.runs_by_id.get(v.run_id)
        run_grid.set_columns(run_columns(snapshot, sorted(run.metrics)[:3] if run else [], compact=True))
        run_grid.set_rows([run] if run else [])
        run_grid.styles.height = 4  # border, header, the one row, border
        serving = [d for d in snapshot.deployments if d.model == v.model and d.version == v.version]
        self.query_one("#version-deployments", DataGrid).set_rows(serving)
        self.query_one("#version-tags", KeyValues).show(sorted(v.tags.items()))

    def action_open_run(self) -> None:
        v = self.snapshot.versions_by_key.get((self.model, self.version))
        if v is not None and v.run_id:
            self.mlops.open_run(v.run_id)

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        row = event.row
        if event.grid.id == "version-run":
            self.mlops.open_run(row.id)
        else:
            self.mlops.open_deployment(row.name)


def _num(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
