"""The k9s-style `:` command line: `:runs`, `:alerts`, `:q`; its hint lists every registered command."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input

from mlops_tui.ui.commands import commands


class CommandLine(ModalScreen[str | None]):
    DEFAULT_CSS = """
    CommandLine { align: left bottom; background: transparent; }
    CommandLine > Input { dock: bottom; width: 100%; height: 3; border: tall $accent; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        yield Input(placeholder="  ".join(c.usage for c in commands()), id="command")

    def take_focus(self) -> None:
        """Focus the line now, not after the keys already queued (what `focus()` would do)."""
        self.set_focus(self.query_one("#command", Input))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
