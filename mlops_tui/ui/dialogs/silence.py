"""The silence dialog: duration, comment, matchers, and a live line of what the matchers hit.

Each edit of the matchers recounts the active alerts they match (services/silence_match.py,
Alertmanager's rules) and lists them. A silence that matches nothing, more than
`silence_warn_over` alerts, or alerts of several names needs a second `y` after enter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import events
from textual.widget import Widget
from textual.widgets import Input, Static

from mlops_tui.domain import Alert, Matcher
from mlops_tui.services.silence_match import AlertIndex, SilenceImpact, impact
from mlops_tui.ui import glyphs
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.literal import visible

LISTED = 6  # alerts listed under the count; the rest are counted


class SilenceDialog(PromptDialog):
    DEFAULT_CSS = """
    SilenceDialog #impact { margin-bottom: 1; }
    SilenceDialog #impact.warn { color: $warning; }
    """

    def __init__(
        self,
        title: str,
        intro: Text | str,
        fields: list[tuple[str, str, str, bool]],
        *,
        alerts: Sequence[Alert],
        parse: Callable[[str], list[Matcher]],
        warn_over: int = 20,
    ) -> None:
        super().__init__(title, intro, fields)
        self.index = AlertIndex(alerts)
        self.parse = parse
        self.warn_over = warn_over
        self.impact: SilenceImpact | None = None
        self.awaiting_y: dict[str, str] | None = None  # the values to submit on a second y

    def on_mount(self) -> None:
        matchers = self.query("#field-matchers")
        if matchers:
            parent = self.query_one("#field-matchers", Input).parent
            if isinstance(parent, Widget):
                parent.mount(Static("", id="impact"), after="#field-matchers")
            self.recount()

    def recount(self) -> None:
        text = self.query_one("#field-matchers", Input).value
        parsed = self.parse(text)
        line = self.query_one("#impact", Static)
        if not parsed:
            self.impact = None
            line.update(Text('matchers: name="value", name!="v", name=~"re", name!~"re"'))
            line.remove_class("warn")
            return
        self.impact = found = impact(parsed, self.index, self.warn_over)
        out = Text(visible(found.summary()))
        for alert in found.hits[:LISTED]:
            target = " / ".join(p for p in (alert.model, alert.deployment) if p)
            out.append(f"\n  {visible(alert.name)}" + (f"  {visible(target)}" if target else ""))
        if len(found.hits) > LISTED:
            out.append(f"\n  … and {len(found.hits) - LISTED} more")
        for warning in found.warnings:
            out.append(f"\n{glyphs.WARN} {warning}")
        line.set_class(bool(found.warnings), "warn")
        line.update(out)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.awaiting_y = None
        self.query_one("#problem", Static).update("")
        if event.input.id == "field-matchers":
            self.recount()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # this dialog decides, not PromptDialog's handler
        values = self.submitted_values(event.input)
        if values is None:
            return
        if self.impact is not None and self.impact.warnings:
            self.awaiting_y = values
            self.query_one("#problem", Static).update(
                Text(
                    f"{glyphs.WARN} " + "; ".join(self.impact.warnings) + ". Press y to create it anyway, "
                    "or edit the fields (esc cancels)."
                )
            )
            self.set_focus(None)  # so that y is a key, not a letter typed into a field
            return
        self.dismiss(values)

    def on_key(self, event: events.Key) -> None:
        if self.awaiting_y is not None and event.key == "y":
            event.stop()
            self.dismiss(self.awaiting_y)
