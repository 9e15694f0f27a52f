"""What every screen shares: the top bar, the status bar, the footer, `/` filter and `esc`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker

from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.filter_bar import FilterBar
from mlops_tui.ui.widgets.key_footer import KeyFooter
from mlops_tui.ui.widgets.status_bar import StatusBar
from mlops_tui.ui.widgets.top_bar import TopBar

if TYPE_CHECKING:
    from mlops_tui.ui.app import MlopsApp


class BaseScreen(Screen[None]):
    """A screen fed by snapshots. Subclasses compose `compose_body` and fill `show_snapshot`."""

    VIEW: ClassVar[str] = "overview"
    CRUMB: ClassVar[str] = ""

    DEFAULT_CSS = """
    BaseScreen #chrome-bottom { dock: bottom; height: auto; }
    BaseScreen #chrome-bottom > Footer { dock: none; }
    BaseScreen #chrome-bottom > StatusBar { dock: none; }
    BaseScreen #chrome-bottom > FilterBar { dock: none; }
    """

    BINDINGS = [
        # priority: resolved when the key arrives, so that keys typed right after it (the
        # query, "/ivan" in one go) already go to the filter line, not to the list
        Binding("slash", "filter", "Filter", id="screen.filter", priority=True),
        Binding("escape", "back", "Back", id="screen.back"),
    ]

    @property
    def mlops(self) -> MlopsApp:
        return self.app  # type: ignore[return-value]

    @property
    def snapshot(self) -> Snapshot:
        return self.mlops.snapshot

    def compose(self) -> ComposeResult:
        yield TopBar(self.VIEW, demo=self.mlops.runtime.is_demo, crumb=self.crumb())
        # The filter line is mounted on the first `/`: an Input's stylesheet costs ~80 ms of
        # start-up that a person who never filters should not wait for.
        with Vertical(id="chrome-bottom"):
            yield StatusBar()
            yield KeyFooter()
        yield from self.compose_body()

    def crumb(self) -> str:
        return self.CRUMB

    def compose_body(self) -> ComposeResult:
        yield from ()

    # Textual calls the handler of every class in the MRO, so a subclass's on_mount must not
    # call super().on_mount(): that would run this class's twice.
    def on_screen_resume(self) -> None:
        """Each time the screen is shown, the first time too (ScreenResume follows the mount)."""
        self.show_snapshot(self.snapshot)
        self.update_status()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Repaint from `snapshot`; called when this screen is visible and a new one arrives."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A screen's own workers (approve, ack, history...) failing: tell the user, never lose it.

        Worker.StateChanged does not bubble, so the app never sees these.
        """
        self.mlops.on_worker_state_changed(event)

    def update_status(self) -> None:
        runtime = self.mlops.runtime
        for bar in self.query(StatusBar):
            bar.show(self.snapshot.statuses, runtime.context, runtime.user, runtime.actions.read_only)

    # -- filter -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter" and isinstance(self.focused, Input):
            return False  # "/" typed into a text field (the filter itself, a query) is text
        return super().check_action(action, parameters)

    def filter_target(self) -> DataGrid[Any] | None:
        focused = self.focused
        if isinstance(focused, DataGrid):
            return focused
        last: DataGrid[Any] | None = getattr(self, "_filter_target", None)
        if last is not None and last.is_attached:
            return last
        grids = list(self.query(DataGrid))
        return grids[0] if grids else None

    async def action_filter(self) -> None:
        grid = self.filter_target()
        if grid is None:
            return
        self._filter_target = grid
        bar = self.filter_bar
        if bar is None:
            bar = FilterBar()
            await self.query_one("#chrome-bottom").mount(bar, before=0)
        bar.open(grid.filter_text)

    @property
    def filter_bar(self) -> FilterBar | None:
        bars = self.query(FilterBar)
        return bars.first() if bars else None

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBar):
            grid = self.filter_target()
            if grid is not None:
                grid.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, FilterBar):
            grid = self.filter_target()
            if not event.value:
                event.input.close()
            if grid is not None:
                grid.focus()

    def action_back(self) -> None:
        bar = self.filter_bar
        grid = self.filter_target()
        if (bar is not None and bar.is_open) or (grid is not None and grid.filter_text):
            if bar is not None:
                bar.value = ""
                bar.close()
            if grid is not None:
                grid.set_filter("")
                grid.focus()
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
