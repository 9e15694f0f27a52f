"""`?`: every binding of the screen underneath, built from Textual's own active bindings."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

_EXTRA = (
    ("1-6", "switch view: Overview, Runs, Models, Deployments, Alerts, Drift"),
    (":", "command: overview runs models deploy alerts drift q"),
    ("ctrl+p", "command palette"),
)


def _key_label(key: str) -> str:
    names = {"slash": "/", "question_mark": "?", "colon": ":", "escape": "esc", "space": "space"}
    names |= {"less_than_sign": "<", "greater_than_sign": ">"}
    return names.get(key, key)


def binding_rows(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(keys, description) for every active binding of `screen`, keys of one action merged."""
    by_action: dict[tuple[str, str], list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        if binding.action.startswith("switch_view"):
            continue
        description = binding.description or binding.action.replace("_", " ")
        if not active.enabled:  # dimmed in the footer: say why
            reason = getattr(screen, "unavailable_reason", lambda _action: "")(binding.action)
            description += f" (unavailable: {reason})" if reason else " (unavailable)"
        by_action.setdefault((binding.action, description), []).append(_key_label(key))
    rows = [(" ".join(keys), desc) for (_, desc), keys in by_action.items()]
    rows.extend(_EXTRA)
    return rows


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.rows = binding_rows(under)
        self.under_title = type(under).__name__.removesuffix("Screen")

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        for keys, desc in self.rows:
            table.add_row(Text(keys), Text(desc))
        with VerticalScroll() as scroll:
            scroll.border_title = f"Keys: {self.under_title}  (esc closes)"
            yield Static(table, id="help-table")
