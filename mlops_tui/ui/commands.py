"""Every `:` command, in one registry: the command line runs them, `?` lists them and the
command palette offers them, so the three cannot drift apart.

A command added elsewhere (e.g. `:theme`) calls `register(Command(...))` once at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from mlops_tui.ui.widgets.top_bar import VIEWS

if TYPE_CHECKING:
    from mlops_tui.ui.app import MlopsApp


@dataclass(frozen=True)
class Command:
    """`:name [args]`. The first name is the one shown; the others are accepted too."""

    names: tuple[str, ...]
    title: str  # in the command palette
    does: str  # in the help, after its usage
    run: Callable[[MlopsApp, Sequence[str]], None]
    args: str = ""  # how its arguments read in the help, e.g. "[NAME]"

    @property
    def usage(self) -> str:
        return f":{self.names[0]}" + (f" {self.args}" if self.args else "")


_REGISTRY: list[Command] = []


def register(command: Command) -> Command:
    """Add `command` (its names must be new); returns it."""
    taken = {name for c in _REGISTRY for name in c.names}
    clash = taken.intersection(command.names)
    if clash:
        raise ValueError(f"command names already taken: {', '.join(sorted(clash))}")
    _REGISTRY.append(command)
    return command


def unregister(command: Command) -> None:
    """Take `command` out again (a plugin unloading, a test cleaning up)."""
    if command in _REGISTRY:
        _REGISTRY.remove(command)


def commands() -> tuple[Command, ...]:
    """Every registered command, in the order they were registered."""
    return tuple(_REGISTRY)


def find(verb: str) -> Command | None:
    verb = verb.lower()
    return next((c for c in _REGISTRY if verb in c.names), None)


# -- the built-in commands -------------------------------------------------------------------
VIEW_NAMES = {
    "overview": ("overview", "o"),
    "runs": ("runs", "run"),
    "models": ("models", "model", "registry"),
    "deploy": ("deploy", "deployments"),
    "alerts": ("alerts", "alert"),
    "drift": ("drift",),
}
VIEW_ALIASES = {name: mode for mode, names in VIEW_NAMES.items() for name in names}


def _view(mode: str) -> Callable[[MlopsApp, Sequence[str]], None]:
    return lambda app, _args: app.switch_view(mode)


def _context(app: MlopsApp, args: Sequence[str]) -> None:
    if not args:
        known = ", ".join(app.runtime.contexts) or "none (demo world)"
        app.notify(f"context {app.runtime.context}; known: {known}", markup=False)
    else:
        app.switch_context(args[0])


for _key, _mode, _label in VIEWS:
    register(Command(VIEW_NAMES[_mode], f"Go to {_label}", f"{_label} (key {_key}): a new path", _view(_mode)))
register(
    Command(
        ("silences", "silence"),
        "Silences",
        "every active and pending silence (v in Alerts)",
        lambda app, _a: app.open_silences(),
    )
)
register(
    Command(
        ("am", "alertmanager"),
        "Alertmanager status",
        "Alertmanager status: cluster, config (m in Silences)",
        lambda app, _a: app.open_am_status(),
    )
)
register(
    Command(
        ("theme",),
        "Theme",
        "switch theme (kept for next time); without NAME, list them",
        lambda app, args: app.choose_theme(args[0] if args else ""),
        "[THEME]",
    )
)
register(Command(("ctx", "context"), "Context", "switch context; without NAME, list them", _context, "[NAME]"))
register(Command(("help", "?"), "Show keys", "these keys and commands (?)", lambda app, _a: app.action_help()))
register(Command(("q", "quit", "q!", "exit"), "Quit", "quit (q)", lambda app, _a: app.exit()))


class ViewCommands(Provider):
    """The command palette (ctrl+p): the same commands, by name."""

    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        app = cast("MlopsApp", self.app)  # this provider is registered on MlopsApp only
        for key, mode, label in VIEWS:
            yield (f"Go to {label}", partial(app.switch_view, mode), f"key {key}, or :{mode}")
        yield ("Refresh now", app.action_refresh, "ctrl+r: poll every backend now")
        yield ("Show keys", app.action_help, "?: every binding of this screen")
        for command in commands():
            if command.names[0] in VIEW_NAMES or command.names[0] in ("help", "q", "ctx"):
                continue  # said above, or needs an argument (contexts are listed one by one)
            yield (command.title, partial(command.run, app, ()), f"{command.usage}: {command.does}")
        for context in app.runtime.contexts:
            yield (f"Switch context: {context}", partial(app.switch_context, context), f":ctx {context}")

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
