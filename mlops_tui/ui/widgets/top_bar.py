"""The top line: the six views with their keys, the current one marked, the DEMO badge and the
breadcrumb of the back stack (`Alerts › alert ModelLatencyHigh › deployment ranker-online`)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from mlops_tui.ui.navigation import SEPARATOR, fit_path, path_parts
from mlops_tui.ui.themes import ink

VIEWS = (
    ("1", "overview", "Overview"),
    ("2", "runs", "Runs"),
    ("3", "models", "Models"),
    ("4", "deploy", "Deployments"),
    ("5", "alerts", "Alerts"),
    ("6", "drift", "Drift"),
)

SHORT = {"deploy": "Deploy"}  # so all six fit an 80-column terminal

DEMO_HINT = "demo world: run `mlops-tui init` to connect MLflow and Alertmanager"


class TopBar(Static):
    DEFAULT_CSS = """
    TopBar {
        dock: top;
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, current: str, *, demo: bool, crumbs: Sequence[str] = ()) -> None:
        super().__init__()
        self.current = current
        self.demo = demo
        self.crumbs = list(crumbs)

    @property
    def path(self) -> list[str]:
        """The breadcrumb's parts ([] on a view's own list): the view, then each step."""
        if not self.crumbs:
            return []
        label = next((label for _key, mode, label in VIEWS if mode == self.current), self.current)
        return path_parts(label, self.crumbs)

    def show_path(self, current: str, crumbs: Sequence[str]) -> None:
        """Mark `current` and show the steps taken from its list (`crumbs`, backend text)."""
        self.current = current
        self.crumbs = list(crumbs)
        self.update(self.render_bar(self.content_size.width or None))

    def on_mount(self) -> None:
        self.update(self.render_bar(self.content_size.width or None))

    def on_resize(self) -> None:
        self.update(self.render_bar(self.content_size.width))

    def render_bar(self, width: int | None = None) -> Text:
        path = self.path
        text = self._bar(compact=False)
        if not path:
            return text
        if width and text.cell_len + 4 + len(SEPARATOR.join(path)) > width:
            # Too narrow for every view's name and the path: the other views show their key
            # only, so that where the user is stays in sight.
            text = self._bar(compact=True)
        room = (width - text.cell_len - 2) if width else 10_000
        text.append("  ")
        parts = fit_path(path, max(room, 1)).split(SEPARATOR)
        for i, part in enumerate(parts):
            if i:
                text.append(SEPARATOR, style="dim")
            text.append(part, style="bold" if i == len(parts) - 1 else "")
        return text

    def _bar(self, compact: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if not compact:  # narrow: the app's name gives its room to the path
            text.append("mlops-tui ", style="bold")
        if self.demo:
            text.append(" DEMO ", style=ink("info", "bold reverse"))
            text.append(" ")
        for key, mode, label in VIEWS:
            current = mode == self.current
            style = "bold reverse" if current else ""
            text.append(f" {key} {SHORT.get(mode, label)} " if current or not compact else f" {key} ", style=style)
        if self.demo and not self.crumbs:
            text.append(f"   {DEMO_HINT}", style="dim italic")
        return text
