"""`?`: this app's keys, grouped by view, in the app's words, and every `:` command.

First the keys of the screen underneath (its group titled with its name), then every other
view's keys under its own heading (Overview, Runs, Models, Deployments, Alerts, Drift), then the
screens reached from a view (`Alerts › Silences`, `Alerts › Alert detail`, ...) that have keys
of their own, then the keys every view's lists share, the keys that work everywhere, and the
commands of the one registry the command line runs. The keys are read from the screens'
BINDINGS (there is no second list to keep), and never Textual's own keys.

Notifications wait while the help is open (the app holds them and shows them on close), so
no toast is ever drawn over it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from mlops_tui.ui import glyphs
from mlops_tui.ui import screens as screens_package
from mlops_tui.ui.commands import commands
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.top_bar import VIEWS

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


def _rows(pairs: Iterable[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(keys, description) from (action, description, key) triples: keys of one action merged,
    the letter first (`k up`, not `up k`): it is what the footer and the README say."""
    by_action: dict[tuple[str, str], list[str]] = {}
    for action, description, key in pairs:
        labels = by_action.setdefault((action, description), [])
        if _key_label(key) not in labels:
            labels.append(_key_label(key))
    return [(" ".join(sorted(keys, key=lambda k: len(k) > 1)), desc) for (_, desc), keys in by_action.items()]


def _described(binding: Binding) -> str:
    return _WORDS.get(binding.action) or binding.description or binding.action.replace("_", " ")


def _app_wide(binding: Binding) -> bool:
    return binding.action.startswith("switch_view") or binding.action in _APP_ACTIONS


def binding_rows(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(keys, description) of `screen`'s own keys and its lists' keys, as they are now: only
    bindings this app declares, a dimmed key with why, the app-wide keys left to "Everywhere"."""
    pairs = []
    owned: dict[int, set[tuple[str, str]]] = {}
    for key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        node = active.node
        if _app_wide(binding):
            continue
        mine = owned.setdefault(id(node), _ours(node))
        if (binding.action, binding.description) not in mine:
            continue  # Textual's own (scrolling a container, copying selected text...)
        description = _described(binding)
        if not active.enabled:  # dimmed in the footer: say why
            reason = getattr(screen, "unavailable_reason", lambda _action: "")(binding.action)
            description += f" (unavailable: {reason})" if reason else " (unavailable)"
        pairs.append((binding.action, description, key))
    return _rows(pairs)


def declared_rows(cls: type[DOMNode], *, below: type[DOMNode] | None = BaseScreen) -> list[tuple[str, str]]:
    """(keys, description) of the keys a screen class declares, as Textual merges them (a
    subclass's key replaces its base's), leaving out those of `below` and its bases: the keys
    every view shares, listed once on their own."""
    keys: dict[str, tuple[str, str]] = {}
    for base in reversed(cls.__mro__):
        if not (isinstance(base, type) and issubclass(base, DOMNode)):
            continue  # Textual reads BINDINGS from widget classes only, and so does the help
        shared = below is not None and issubclass(below, base)
        for binding in base.__dict__.get("BINDINGS", ()):
            if not isinstance(binding, Binding) or _app_wide(binding):
                continue
            for key in binding.key.split(","):
                key = key.strip()
                if shared or not base.__module__.startswith("mlops_tui."):
                    keys.pop(key, None)
                else:
                    keys[key] = (binding.action, _described(binding))
    return _rows((action, description, key) for key, (action, description) in keys.items())


def shared_rows() -> list[tuple[str, str]]:
    """The keys of every view's screen (BaseScreen) and of every list (DataGrid)."""
    return declared_rows(BaseScreen, below=None) + declared_rows(DataGrid, below=None)


def _words(class_name: str) -> str:
    """`AlertDetailScreen` -> `Alert detail`."""
    words = re.findall(r"[A-Z][a-z]*", class_name.removesuffix("Screen"))
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else class_name


_VIEW_LABEL = {mode: label for _key, mode, label in VIEWS}


def heading(cls: type[Screen[Any]]) -> str:
    """A screen's name as the app says it: a view's label (`Deployments`), or the view it is
    reached from and its own name (`Alerts › Alert detail`)."""
    view = getattr(cls, "VIEW", "")
    label = _VIEW_LABEL.get(view, "")
    if label and cls.__name__ == f"{label}Screen":
        return label
    return f"{label} {glyphs.CRUMB} {_words(cls.__name__)}" if label else _words(cls.__name__)


def all_screens() -> list[type[BaseScreen]]:
    """Every screen of the app: the views in their key order (1-6), then the screens reached
    from them, by view and in the order their module defines them."""
    found: list[type[BaseScreen]] = []
    for module in pkgutil.iter_modules(screens_package.__path__):
        loaded = importlib.import_module(f"{screens_package.__name__}.{module.name}")
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, BaseScreen) and value.__module__ == loaded.__name__:
                if value is BaseScreen:
                    continue
                found.append(value)
    order = [mode for _key, mode, _label in VIEWS]

    def rank(cls: type[BaseScreen]) -> tuple[bool, int, int]:
        view = getattr(cls, "VIEW", "")
        main = heading(cls) == _VIEW_LABEL.get(view)
        return (not main, order.index(view) if view in order else len(order), found.index(cls))

    return sorted(found, key=rank)


def command_rows() -> list[tuple[str, str]]:
    """Every registered `:` command, with its other names."""
    rows = []
    for command in commands():
        also = [f":{name}" for name in command.names[1:]]
        rows.append((command.usage, command.does + (f" (also {', '.join(also)})" if also else "")))
    return rows


NO_KEYS_OF_ITS_OWN = "no keys of its own: the list keys below"
SHARED_TITLE = "In every view and list"


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
        self.under_title = heading(type(under))
        self.shared = shared_rows()
        # this screen's keys as they are now, less the shared ones that work here as everywhere
        # (a shared key that is dimmed here stays, with why)
        self.rows = self.unshared(binding_rows(under))

    def unshared(self, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """`rows` less the keys that do there what the shared keys do everywhere (listed once)."""
        shared = {(key, does) for keys, does in self.shared for key in keys.split()}
        return [
            (" ".join(left), does)
            for keys, does in rows
            if (left := [key for key in keys.split() if (key, does) not in shared])
        ]

    def sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """(title, rows): this screen, every other view, the screens reached from the views
        that have keys of their own, the shared keys, the app's keys, the commands."""
        found = [(f"{self.under_title} (here)", self.rows or [("", NO_KEYS_OF_ITS_OWN)])]
        for cls in all_screens():
            if cls is type(self._under):
                continue
            rows = self.unshared(declared_rows(cls))
            if rows or heading(cls) in _VIEW_LABEL.values():
                found.append((heading(cls), rows or [("", NO_KEYS_OF_ITS_OWN)]))
        return [
            *found,
            (SHARED_TITLE, self.shared),
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
