"""Command palette entries: the views, refresh, help."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from mlops_tui.ui.widgets.top_bar import VIEWS

if TYPE_CHECKING:
    from mlops_tui.ui.app import MlopsApp


class ViewCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        app = cast("MlopsApp", self.app)  # this provider is registered on MlopsApp only
        for key, mode, label in VIEWS:
            yield (f"Go to {label}", partial(app.switch_view, mode), f"key {key}, or :{mode}")
        yield ("Refresh now", app.action_refresh, "ctrl+r: poll every backend now")
        yield ("Show keys", app.action_help, "?: every binding of this screen")
        yield ("Silences", app.open_silences, ":silences, or v in the Alerts view")
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
