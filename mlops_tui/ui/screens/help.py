"""`?`: this app's keys for the screen underneath, the keys that work everywhere, and every `:`
command (from the one registry the command line runs). Never Textual's own keys.

Notifications wait while the help is open (the app holds them and shows them on close), so
no toast is ever drawn over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from mlops_tui.ui.commands import commands

# Keys of the app itself: listed once, under "Everywhere", never again under a screen.
EVERYWHERE = (
    ("1-6", "views: 1 Overview, 2 Runs, 3 Models, 4 Deployments, 5 Alerts, 6 Drift (each starts a new path)"),
    (":", "command line (commands below)"),
    ("?", "these keys"),
    ("ctrl+r", "refresh every backend now"),
    ("ctrl+p", "command palette: views, commands, contexts by name"),
    ("q ctrl+q", "quit"),
)
_APP_ACTIONS = {"help", "quit", "refresh", "command_line", "command_palette"}

# Descriptions said in the app's words where a widget's own is too terse.
_WORDS = {"select": "Open the selected row"}

_KEY_NAMES = {"slash": "/", "question_mark": "?", "colon": ":", "escape": "esc", "space": "space"}
_KEY_NAMES |= {"less_than_sign": "<", "greater_than_sign": ">"}


def _key_label(key: str) -> str:
    return _KEY_NAMES.get(key, key)


def _ours(node: object) -> set[tuple[str, str]]:
    """(action, description) of the bindings the app's own classes declare for `node`."""
    found: set[tuple[str, str]] = set()
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("mlops_tui."):
            continue
        for binding in vars(cls).get("BINDINGS", ()):
            if isinstance(binding, Binding):
                found.add((binding.action, binding.description))
    return found


def binding_rows(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(keys, description) of `screen`'s own keys and its lists' keys: only bindings this app
    declares, keys of one action merged, the app-wide keys left to "Everywhere"."""
    by_action: dict[tuple[str, str], list[str]] = {}
    owned: dict[int, set[tuple[str, str]]] = {}
    for key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        node = active.node
        if binding.action.startswith("switch_view") or binding.action in _APP_ACTIONS:
            continue
        mine = owned.setdefault(id(node), _ours(node))
        if (binding.action, binding.description) not in mine:
            continue  # Textual's own (scrolling a container, copying selected text...)
        description = _WORDS.get(binding.action) or binding.description or binding.action.replace("_", " ")
        if not active.enabled:  # dimmed in the footer: say why
            reason = getattr(screen, "unavailable_reason", lambda _action: "")(binding.action)
            description += f" (unavailable: {reason})" if reason else " (unavailable)"
        labels = by_action.setdefault((binding.action, description), [])
        if _key_label(key) not in labels:
            labels.append(_key_label(key))
    # the letter first (`k up`, not `up k`): it is what the footer and the README say
    return [(" ".join(sorted(keys, key=lambda k: len(k) > 1)), desc) for (_, desc), keys in by_action.items()]


def command_rows() -> list[tuple[str, str]]:
    """Every registered `:` command, with its other names."""
    rows = []
    for command in commands():
        also = [f":{name}" for name in command.names[1:]]
        rows.append((command.usage, command.does + (f" (also {', '.join(also)})" if also else "")))
    return rows


def screen_label(screen: Screen[Any]) -> str:
    crumb = getattr(screen, "crumb", lambda: "")()
    name = type(screen).__name__.removesuffix("Screen")
    return name if not crumb else f"{name}: {crumb}"


class HelpScreen(ModalScreen[None]):
    DEFERS_NOTIFICATIONS = True  # the app holds toasts while this is open

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96; max-width: 95%; height: auto; max-height: 90%;
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
        self._under = under
        self.rows = binding_rows(under)
        self.under_title = type(under).__name__.removesuffix("Screen")
        self.under_label = screen_label(under)

    def sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return [
            (f"On this screen ({self.under_title})", self.rows),
            ("Everywhere", list(EVERYWHERE)),
            ("Commands (type : then one of these, enter)", command_rows()),
        ]

    def compose(self) -> ComposeResult:
        parts: list[RenderableType] = []
        for title, rows in self.sections():
            table = Table(box=None, expand=True, show_header=False, padding=(0, 2, 0, 0))
            table.add_column("key", style="bold", no_wrap=True, min_width=12)
            table.add_column("does", ratio=1)
            for keys, desc in _unique(rows):
                table.add_row(Text(keys), Text(desc))
            parts += [Text(title, style="bold underline"), table, Text("")]
        with VerticalScroll() as scroll:
            scroll.border_title = f"Keys: {self.under_title}  (esc closes)"
            yield Static(Group(*parts[:-1]), id="help-table")

    def on_mount(self) -> None:
        # Toasts already up wait with the screen underneath (its rack is drawn through this
        # modal's backdrop): hidden while the help is open, shown again when it closes.
        self.query("#textual-toastrack").remove()
        self._under.query("#textual-toastrack").set(display=False)

    def on_unmount(self) -> None:
        self._under.query("#textual-toastrack").set(display=True)
        show_held = getattr(self.app, "show_held_notifications", None)
        if show_held is not None:  # however the help went away, what it held is shown
            self.app.call_later(show_held)


def _unique(rows: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for row in rows:
        if row not in seen:
            seen.add(row)
            out.append(row)
    return out
