"""Ask for a few short texts (a note, a reason, a target alias)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PromptDialog(ModalScreen[dict[str, str] | None]):
    """Fields are (key, label, default, required); enter on the last field submits."""

    DEFAULT_CSS = """
    PromptDialog { align: center middle; }
    PromptDialog > Vertical {
        width: 72; max-width: 95%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2;
    }
    PromptDialog Input { margin-bottom: 1; }
    PromptDialog #problem { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, intro: Text | str, fields: list[tuple[str, str, str, bool]]) -> None:
        super().__init__()
        self.title_text = title
        self.intro = intro if isinstance(intro, Text) else Text(intro)
        self.fields = fields

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(self.intro)
            for key, label, default, _ in self.fields:
                yield Label(label)
                yield Input(value=default, id=f"field-{key}")
            yield Static("", id="problem")
            yield Static("enter submits   esc cancels", classes="keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        values = self.submitted_values(event.input)
        if values is not None:
            self.dismiss(values)

    def submitted_values(self, field: Input) -> dict[str, str] | None:
        """enter in `field`: the next field takes the focus, or, on the last one, every value
        when the required ones are filled (else None, with what is missing said)."""
        inputs = list(self.query(Input))
        index = inputs.index(field)
        if index < len(inputs) - 1:
            inputs[index + 1].focus()
            return None
        values = {key: self.query_one(f"#field-{key}", Input).value.strip() for key, *_ in self.fields}
        missing = [field_name(label) for key, label, _, required in self.fields if required and not values[key]]
        if missing:
            self.query_one("#problem", Static).update(Text(missing_words(missing)))
            return None
        return values

    def action_cancel(self) -> None:
        self.dismiss(None)


def field_name(label: str) -> str:
    """`Reason (required)` -> `Reason`: the label without its hint in brackets."""
    return label.split(" (", 1)[0].strip() or label


def missing_words(names: list[str]) -> str:
    """`Reason is required`, `Duration and Comment are required`: said once, in words."""
    if len(names) == 1:
        return f"{names[0]} is required"
    return f"{', '.join(names[:-1])} and {names[-1]} are required"
