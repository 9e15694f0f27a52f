"""What every screen shares: the top bar, the status bar, the footer, `/` filter and `esc`."""

from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker

from mlops_tui.services.clipboard import copy_text
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.services.triage import ack_failed_notes, flapping
from mlops_tui.ui import glyphs
from mlops_tui.ui.literal import visible
from mlops_tui.ui.textual_internals import mark_css_current
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.filter_bar import FilterBar
from mlops_tui.ui.widgets.key_footer import KeyFooter
from mlops_tui.ui.widgets.status_bar import StatusBar
from mlops_tui.ui.widgets.top_bar import TopBar

if TYPE_CHECKING:
    from mlops_tui.ui.app import MlopsApp


_MISSING_MARK = glyphs.WARN
_KIND_LABEL = {"registry": "Models", "drift": "Drift scores"}


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
        if self in self.app.screen_stack:  # pushed: its path is known from the first frame
            view, crumbs = self.mlops.path_of(self)
        else:
            view, crumbs = self.VIEW, []
        yield TopBar(view, demo=self.mlops.runtime.is_demo, crumbs=crumbs)
        # The filter line is mounted on the first `/`: an Input's stylesheet costs ~80 ms of
        # start-up that a person who never filters should not wait for.
        with Vertical(id="chrome-bottom"):
            yield StatusBar()
            yield KeyFooter()
        yield from self.compose_body()

    def crumb(self) -> str:
        """This screen's step in the breadcrumb ("" on a view's own list)."""
        return self.CRUMB

    def show_path(self) -> None:
        """The top bar shows the back stack up to this screen."""
        root, crumbs = self.mlops.path_of(self)
        for bar in self.query(TopBar):
            bar.show_path(root, crumbs)

    def compose_body(self) -> ComposeResult:
        yield from ()

    # Textual calls the handler of every class in the MRO, so a subclass's on_mount must not
    # call super().on_mount(): that would run this class's twice.
    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Each time the screen is shown, the first time too (ScreenResume follows the mount).

        A view shown again is not rebuilt or restyled when nothing it shows changed: that
        work (a full restyle and a fresh render of every row, 30-50 ms at 160x48) is most of
        a view key's cost. This handler runs before Textual's own (subclass first), so the
        event it passes on already says whether to restyle."""
        looks = (self.app.theme, frozenset(self.app.get_pseudo_classes()), frozenset(self.app.classes))
        if "_looks_shown" not in self.__dict__:
            # styled on mount: no CSS refresh when shown again (see textual_internals)
            self.call_after_refresh(mark_css_current, self)
            if self.app.screen_stack[:1] == [self]:
                self.call_after_refresh(self.mlops.park_long_lived)  # a view's list lives as long as the app
        if self.__dict__.get("_looks_shown") == looks:
            event.refresh_styles = False  # a new theme restyles anyway (App.switch_mode's CSS check)
        self.__dict__["_looks_shown"] = looks
        self.show_path()
        if self.__dict__.get("_presented") is None:
            self.present(self.snapshot)  # the first time: there is nothing else to show
        elif self._behind():
            # Shown as it was left first (the key is answered in one frame), then brought up
            # to the newest snapshot in the next one, as if a poll had landed just then.
            self.call_after_refresh(self._catch_up)
        self.update_status()
        # after the rest of this ScreenResume's handlers (Textual's restyle among them)
        self.call_next(self.mlops.release_held_paint)

    def _behind(self) -> bool:
        """Whether the rows were built from something other than what they would be now."""
        shown = self.__dict__.get("_presented")
        return shown is None or shown[0]() is not self.snapshot or shown[1] != self.marks()

    def _catch_up(self) -> None:
        if self.is_current and self._behind():
            self.present(self.snapshot)

    def marks(self) -> tuple[object, ...]:
        """What the screen's rows are built from besides the snapshot and its own keys: the
        minute (ages) and the triage marks that change without a poll (flapping, a failed ack).
        Colours need no rebuild: cells take their theme's ink when drawn."""
        return (int(time.monotonic() // 60), flapping(), ack_failed_notes())

    def present(self, snapshot: Snapshot) -> None:
        """`show_snapshot`, remembering what it was built from (see on_screen_resume). The
        snapshot by a weak reference: a view left behind must not keep an old 200,000-alert
        snapshot alive."""
        self.__dict__["_presented"] = (weakref.ref(snapshot), self.marks())
        self.show_snapshot(snapshot)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Repaint from `snapshot`; called when this screen is visible and a new one arrives."""

    def honest_empty(
        self,
        grid: DataGrid[Any],
        capability: str,
        empty_text: str | None = None,
        snapshot: Snapshot | None = None,
    ) -> None:
        """Say "unknown", never `empty_text`, unless every source of `capability` answered.

        With no row, the grid says e.g. "Alerts unknown: am-eu unreachable (...) since 10:02";
        with rows from the sources that did answer, its border subtitle names what is missing.
        `empty_text` defaults to the grid's own (the one it was made with). Call it after the
        screen set the grid's rows and subtitle.
        """
        coverage = (snapshot or self.snapshot).coverage(capability)
        hints: dict[DataGrid[Any], str] = self.__dict__.setdefault("_honest_hints", {})
        empties: dict[DataGrid[Any], str] = self.__dict__.setdefault("_honest_empties", {})
        if empty_text is None:
            empty_text = empties.setdefault(grid, grid.empty_text)
        subtitle = str(grid.border_subtitle or "")
        if not subtitle.startswith(_MISSING_MARK):
            hints[grid] = subtitle  # the screen's own hint line, to put back when complete
        hint = hints.get(grid, "")
        if coverage.complete:
            grid.empty_text = empty_text
            grid.border_subtitle = hint
            return
        what = coverage.describe()
        label = _KIND_LABEL.get(capability, capability.title())
        grid.empty_text = f"{label} unknown: {what}" if coverage.sources else f"{label}: {what}"
        if grid.total_rows == 0:  # the grid itself says it
            grid.border_subtitle = hint
            return
        # backend text shown literally; the screen's hint is markup, as the getter returns it
        line = Content(f"{_MISSING_MARK} missing: {visible(what)}")
        grid.border_subtitle = line + Content.from_markup(f"  ·  {hint}") if hint else line

    def copy_for_user(self, text: str, what: str) -> None:
        """Copy `text` and say where it went: "Copied" only when a clipboard surely has it."""
        self.app.copy_to_clipboard(text)  # app.clipboard, and OSC 52 (a terminal may drop it)
        self._copy_elsewhere(text, what)

    @work(thread=True, group="copy", exit_on_error=False)
    def _copy_elsewhere(self, text: str, what: str) -> None:
        copied = copy_text(text)  # may wait for a clipboard tool: off the UI thread
        verb = "Copied" if copied.on_clipboard else "Saved"
        self.app.call_from_thread(self.notify, f"{verb} {what} {copied.describe()}", markup=False)

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
            bar = FilterBar(on_change=self._filter_typed)
            await self.query_one("#chrome-bottom").mount(bar, before=0)
        bar.open(grid.filter_text)

    @property
    def filter_bar(self) -> FilterBar | None:
        bars = self.query(FilterBar)
        return bars.first() if bars else None

    def _filter_typed(self, text: str) -> None:
        grid = self.filter_target()
        if grid is not None:
            grid.set_filter(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, FilterBar):
            grid = self.filter_target()
            if not event.value:
                event.input.close()
            if grid is not None:
                grid.focus()

    # A filter a jump set (Drift `a`: the model's alerts) is part of that step: esc goes back.
    path_filter: str = ""

    def action_back(self) -> None:
        """Close the filter the user typed, else go back one step on the back stack."""
        bar = self.filter_bar
        grid = self.filter_target()
        typed = grid is not None and grid.filter_text and grid.filter_text != self.path_filter
        if (bar is not None and bar.is_open) or typed:
            if bar is not None:
                bar.value = ""
                bar.close()
            if grid is not None:
                grid.set_filter("")
                grid.focus()
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
