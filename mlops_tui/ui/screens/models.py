"""Models: promotion requests (pending first) and every registered model version."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlops_tui.core.wording import has_stage
from mlops_tui.domain import ModelVersion, PromotionRequest, PromotionState
from mlops_tui.services.actions import ActionRefused
from mlops_tui.services.metric_order import metric_order
from mlops_tui.services.promotion_card import load_card, signature_checks
from mlops_tui.services.promotion_history import aliases_of, holder_history, how_text, when_text
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import glyphs
from mlops_tui.ui.columns import deployment_columns, request_columns, run_columns, version_columns
from mlops_tui.ui.dialogs.approval import ApprovalDialog
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.dialogs.rollback import propose_rollback
from mlops_tui.ui.format import ago, local_time, plural
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.key_values import KeyValues


def ordered_requests(snapshot: Snapshot) -> list[PromotionRequest]:
    """Pending requests first (urgent rollbacks, then oldest first), then decided ones (newest first)."""
    pending = sorted(snapshot.pending_promotions, key=lambda p: not p.note.startswith("rollback:"))
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
        Binding("c", "compare", "Compare versions", id="models.compare"),
        Binding("R", "rollback", "Propose rollback", id="models.rollback"),
        Binding("tab", "app.focus_next", "Next list", id="models.next"),
        Binding("shift+tab", "app.focus_previous", "Prev list", show=False, id="models.prev"),
    ]

    # -- keys that cannot act here are shown dimmed, with the reason in `?` ----------------------
    def unavailable_reason(self, action: str) -> str:
        """Why `action` cannot act on the selected row now ('' when it can): read-only, the
        user's own request (four-eyes), not an allowed approver, already approved by them, a
        check failing without break-glass. (`p` on a version with a pending request stays lit:
        it is refused, with the reason, before the prompt.)"""
        try:
            actions = self.mlops.runtime.actions
        except Exception:  # not attached to the app yet
            return ""
        if action in ("approve", "reject", "request", "rollback") and actions.read_only:
            return "read-only mode: no writes"
        try:
            if action == "approve":
                return self._approve_refusal() or ""
        except Exception:  # the lists are not composed yet
            return ""
        return ""

    def _approve_refusal(self) -> str | None:
        request = self._selected_request()
        if request is None or request.state != PromotionState.PENDING:
            return None
        actions = self.mlops.runtime.actions
        refusal = actions.approval_refusal(request)
        if refusal or actions.rules_for(request).break_glass:
            return refusal
        # no break-glass: a failing check blocks, judged against the holder this snapshot shows
        holder = next(
            (v.version for v in self.snapshot.versions if v.model == request.model and request.target in v.aliases),
            None,
        )
        return actions.approval_refusal(request, actions.policy_checks(request, holder, self.snapshot), "no reason")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.unavailable_reason(action):
            return None  # dimmed in the footer, and the key does nothing
        return super().check_action(action, parameters)

    def on_key(self, event: events.Key) -> None:
        """A dimmed key pressed on a row it cannot act on says why (the action audits the
        refusal); in read-only mode it stays silent, as every write key does."""
        action = {"a": "approve"}.get(event.key)
        if action is None or self.mlops.runtime.actions.read_only or not self.unavailable_reason(action):
            return
        event.stop()
        getattr(self, f"action_{action}")()

    def on_data_grid_cursor_moved(self, _event: DataGrid.CursorMoved) -> None:
        self.refresh_bindings()  # what the keys can do depends on the selected row

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self.refresh_bindings()

    def compose_body(self) -> ComposeResult:
        yield DataGrid(
            request_columns(),
            row_key=lambda p: (p.model, p.version, p.requested_at),
            id="requests",
            noun="promotion requests",
            empty_text="No promotion requests",
        )
        yield DataGrid(
            version_columns(self.snapshot),
            row_key=lambda v: v.key,
            id="versions",
            noun="model versions",
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
        versions.set_data(
            version_columns(snapshot), sorted(snapshot.versions, key=lambda v: (v.model, -_num(v.version)))
        )
        versions.border_title = f"Model versions ({len(snapshot.models)} models, {len(snapshot.versions)} versions)"
        versions.border_subtitle = "p request promotion  enter details"
        self.honest_empty(requests, "promotions", snapshot=snapshot)
        self.honest_empty(versions, "registry", snapshot=snapshot)
        self.refresh_bindings()
        pending = getattr(self, "_pending_selection", None)
        if pending is not None:  # asked for before this screen was composed (Overview → enter)
            self._pending_selection: tuple[str, str] | None = None
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

    def action_compare(self) -> None:
        """`c`: the selected model's versions side by side (values from their source runs)."""
        version = self._selected_version()
        if version is None:
            self.notify("Select a model version to compare its model's versions", severity="warning")
            return
        self.mlops.open_compare_versions(version.model)

    # -- approve ------------------------------------------------------------------------------
    def action_approve(self) -> None:
        request = self._selected_request()
        if request is None or request.state != PromotionState.PENDING:
            self.notify("Select a pending promotion request to approve", severity="warning")
            return
        if request.key not in self.snapshot.versions_by_key:
            self.notify(f"{request.model} v{request.version} is not in the registry", severity="error", markup=False)
            return
        refusal = self.mlops.runtime.actions.approval_refusal(request)
        if refusal:  # refused before any dialog: the action audits it
            self.run_approval(request, None)
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
        # signature and datasets of both versions: read through the hub, off the UI thread
        card = await load_card(actions.hub, request, holder)
        checks = actions.policy_checks(request, holder, snap) + signature_checks(card, actions.rules_for(request))
        if actions.approval_refusal(request, checks, override="break-glass"):
            # a check fails and break-glass is off: refused before the dialog
            self.run_approval(request, holder)
            return
        needs_override = actions.approval_refusal(request, checks) is not None
        dialog = ApprovalDialog(
            request,
            holder,
            actions.metric_comparison(request, holder, snap),
            checks,
            self.mlops.runtime.user,
            deployments=snap.deployments,
            card=card,
        )

        def reason_given(values: dict[str, str] | None) -> None:
            if values:
                self.run_approval(request, holder, values["override"])

        def done(yes: bool | None) -> None:
            if yes and needs_override:
                bad = sum(not c.passed for c in checks)
                intro = Text(
                    f"{plural(bad, 'policy check')} failed for "
                    f"{visible(request.model)} v{visible(request.version)}. Break glass: the reason "
                    "is recorded in the version's tags and the audit log."
                )
                self.app.push_screen(
                    PromptDialog("Override policy", intro, [("override", "Override reason (required)", "", True)]),
                    reason_given,
                )
            elif yes:
                self.run_approval(request, holder)

        self.app.push_screen(dialog, done)

    @work(group="actions", exit_on_error=False)
    async def run_approval(self, request: PromotionRequest, holder: str | None, override: str = "") -> None:
        try:
            outcome = await self.mlops.runtime.actions.approve(request, holder, override)
        except ActionRefused as exc:
            self.notify(str(exc), title="Not approved", severity="error", timeout=8, markup=False)
            return
        self.notify(
            outcome + (f" (override: {override})" if override else ""),
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

    # -- rollback -----------------------------------------------------------------------------
    def action_rollback(self) -> None:
        """Propose moving the selected model's champion back to its previous holder."""
        version = self._selected_version()
        request = self._selected_request()
        model = version.model if version is not None else (request.model if request else None)
        if model is None:
            self.notify("Select a model version to propose a rollback", severity="warning")
            return
        propose_rollback(self, model)

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
        refusal = self.mlops.runtime.actions.request_refusal(version.model, version.version)
        if refusal:  # refused before the prompt: the action audits it
            self.run_request(version, "", "")
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
                noun="runs",
                empty_text="source run not loaded",
            )
            yield Static("Deployments serving it", classes="section")
            yield DataGrid(
                deployment_columns(self.snapshot, compact=True),
                row_key=lambda d: d.name,
                id="version-deployments",
                noun="deployments",
                empty_text="not deployed",
            )
            yield Static("Alias history (who held each alias when)", classes="section")
            yield Static(id="alias-history")
            yield Static("Tags", classes="section")
            yield KeyValues(id="version-tags")
            yield Static("Logged model (MLflow 3)", classes="section", id="logged-model-title")
            yield KeyValues(id="logged-model")

    def on_mount(self) -> None:
        self.query_one("#version-run", DataGrid).focus()
        self.load_logged_model()

    @work(exclusive=True, group="logged-model", exit_on_error=False)
    async def load_logged_model(self) -> None:
        """MLflow 3: the logged model the version points at, with its id, params and metrics."""
        from mlops_tui.services.compare_loading import logged_model

        box = self.query_one("#logged-model", KeyValues)
        v = self.snapshot.versions_by_key.get((self.model, self.version))
        shown = v is not None and bool(v.model_id)
        box.display = self.query_one("#logged-model-title").display = shown
        if v is None or not shown:
            return  # no logged model (older servers): the page is as it always was
        box.show([("model id", v.model_id), ("", "loading…")])
        try:
            model = await logged_model(self.mlops.runtime.hub, v)
        except Exception as exc:  # unknown is not "none": say it could not be read
            box.show([("model id", v.model_id), ("", f"could not be read: {exc}")])
            return
        if model is None:
            box.show([("model id", v.model_id), ("", "the server has no such logged model")])
            return
        self._logged_run = model.source_run_id
        run = f"{model.source_run_id} (r opens it)" if model.source_run_id else "-"
        box.show(
            [
                ("model id", model.id),
                ("name", model.name or "-"),
                ("status", model.status or "-"),
                ("source run", run),
                *((f"param {k}", value) for k, value in sorted(model.params.items())),
                *((f"metric {k}", str(value)) for k, value in sorted(model.metrics.items())),
            ]
        )

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
                *([("stage", v.stage)] if has_stage(v.stage) else []),
                ("status", v.status),
                ("created", f"{local_time(v.created)} ({ago(v.created)})"),
                ("created by", v.user or "-"),
                ("source", v.source or "-"),
                ("run id", v.run_id or "-"),
            ]
        )
        run_grid = self.query_one("#version-run", DataGrid)
        run = snapshot.runs_by_id.get(v.run_id)
        run_grid.set_data(
            run_columns(snapshot, metric_order(snapshot.runs, [run]) if run else [], compact=True), [run] if run else []
        )
        run_grid.styles.height = 4  # border, header, the one row, border
        serving = [d for d in snapshot.deployments if d.model == v.model and d.version == v.version]
        self.query_one("#version-deployments", DataGrid).set_rows(serving)
        self.query_one("#version-tags", KeyValues).show(sorted(v.tags.items()))
        self.query_one("#alias-history", Static).update(alias_history(snapshot, v))

    def action_open_run(self) -> None:
        v = self.snapshot.versions_by_key.get((self.model, self.version))
        run_id = (v.run_id if v is not None else "") or getattr(self, "_logged_run", "")
        if run_id:  # the version's run, else its logged model's source run
            self.mlops.open_run(run_id)

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        row = event.row
        if event.grid.id == "version-run":
            self.mlops.open_run(row.id)
        else:
            self.mlops.open_deployment(row.name)


def alias_history(snapshot: Snapshot, version: ModelVersion) -> Table | Text:
    """The version's model: every change of holder of each alias, as `models history` lists it
    (from the promotion tags on the server), with this version's rows marked."""
    coverage = snapshot.coverage("promotions")
    if not coverage.complete:  # unknown is not "no history": say what is missing
        return Text(f"alias history unknown: {visible(coverage.describe())}", style="yellow")
    aliases = aliases_of(version.model, snapshot.versions, snapshot.promotions)
    if not aliases:
        return Text(f"no alias of {visible(version.model)} has had a holder", style="dim")
    table = Table(box=None, expand=True, header_style="bold", padding=(0, 1))
    for column in ("alias", "version", "since", "requested by", "approved by", "checks", "how"):
        table.add_column(column)
    for alias in aliases:
        for change in holder_history(version.model, alias, snapshot.promotions, snapshot.versions):
            mine = change.version == version.version
            table.add_row(
                Text(visible(alias)),
                Text(f"v{visible(change.version)}" + (f" {glyphs.HERE}" if mine else ""), style="bold" if mine else ""),
                Text(when_text(change)),
                Text(visible(change.requester) or "-"),
                Text(visible(", ".join(change.approvers)) or "-"),
                Text(visible(change.checks) or "-"),
                Text(visible(how_text(change)), style="yellow" if change.outside else ""),
            )
    return table


def _num(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
