"""The Runs view's query line: a filter in MLflow's syntax, applied by the server where it can be.

`f` opens it; `enter` applies; `esc` closes it (an applied query stays until cleared). The
server's own complaint about a bad filter shows on the line below, not as a backend error.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from mlops_tui.ui import glyphs
from mlops_tui.ui.literal import visible


class QueryBar(Vertical):
    DEFAULT_CSS = """
    QueryBar { height: auto; display: none; }
    QueryBar.-shown { display: block; }
    QueryBar > Input, QueryBar > Input:focus {
        height: 1; border: none; padding: 0 1; background: $boost; display: none;
    }
    QueryBar.-editing > Input { display: block; }
    QueryBar > #query-problem { height: auto; padding: 0 1; color: $error; }
    QueryBar > #query-active { height: auto; padding: 0 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="metrics.auc > 0.9 and params.model_type = 'xgboost'   (enter applies, esc closes)",
            id="query-input",
        )
        yield Static("", id="query-problem")
        yield Static("", id="query-active")

    @property
    def input(self) -> Input:
        return self.query_one("#query-input", Input)

    def open(self, value: str) -> None:
        self.add_class("-shown", "-editing")
        self.input.value = value
        self.input.cursor_position = len(value)
        self.input.focus()

    applied: str = ""
    problem: str = ""

    def close(self) -> None:
        """Hide the input line; an applied filter or a problem keeps the bar in view."""
        self.remove_class("-editing")
        if not self.applied and not self.problem:
            self.remove_class("-shown")

    def show_state(self, applied: str, problem: str, where: str) -> None:
        """What filter is in force and, if the server refused it, its words."""
        self.applied, self.problem = applied, problem
        self.query_one("#query-problem", Static).update(Text(f"{glyphs.FAILED} {visible(problem)}") if problem else "")
        self.query_one("#query-active", Static).update(
            Text(f"filter ({where}): {visible(applied)}   f edits, enter on an empty line clears") if applied else ""
        )
        if applied or problem:
            self.add_class("-shown")
        elif not self.has_class("-editing"):
            self.remove_class("-shown")
