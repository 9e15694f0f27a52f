"""`KeyFooter`: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes (unmounts and mounts a widget per key) on every bindings signal:
focus moving between two grids with the same keys, each screen change, each mount. At
start-up that is six rebuilds of ten keys, about a quarter of the time to the first
screen. This one coalesces the signals of one refresh into a single check and rebuilds
only when the shown keys differ from what is on screen.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

from mlops_tui.ui.textual_internals import mark_footer_bindings_ready


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._check_pending = False
        self._shown: tuple[tuple[str, str, str, bool, str | None], ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        mark_footer_bindings_ready(self)
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    def shown_keys(self) -> tuple[tuple[str, str, str, bool, str | None], ...]:
        """What the footer shows: each visible binding and whether it is enabled."""
        return tuple(
            (binding.key, binding.description, binding.action, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show or binding.action == "command_palette"
        )

    async def _rebuild_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
