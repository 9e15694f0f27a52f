"""`KeyFooter`: the keys of the screen, `?` and `q` always first, the rest folded to fit the width.

Textual's Footer lists every key in binding order (the focused list's first, the app's last),
so at 80 columns, or on a detail screen with many keys, `? Help` and `q Quit` fall off the
end. This one puts those two first and keeps the others, in order, while they fit; the ones
that do not are in `?` (the help lists every key).

It also rebuilds only when the keys it shows change: Textual's Footer recomposes on every
bindings signal (focus moving between two grids with the same keys, each screen change, each
mount), about a quarter of the time to the first screen at start-up. And it changes its key
widgets in place rather than making new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from mlops_tui.ui.textual_internals import (
    footer_bindings_ready,
    footer_key,
    footer_key_widgets,
    footer_keys_compact,
    mark_footer_bindings_ready,
    set_footer_key,
)

# Actions whose key is always shown, in this order, whatever the width.
ALWAYS_SHOWN = ("help", "quit")
_FALLBACK = {
    "help": Binding("question_mark", "help", "Help", key_display="?"),
    "quit": Binding("q", "quit", "Quit"),
}


class ShownKey(NamedTuple):
    """One key as the footer shows it."""

    key_display: str
    description: str
    action: str
    enabled: bool
    tooltip: str
    key: str  # what a click on it presses


Shown = tuple[ShownKey, ...]


def key_width(key_display: str, description: str) -> int:
    """Cells one key takes in the footer: ` key ` then `description `."""
    return cell_len(key_display) + 2 + (cell_len(description) + 1 if description else 0)


def fold(widths: Sequence[int], always: int, width: int) -> list[int]:
    """Which keys to show (indexes, in order): the first `always` in any case, then each of
    the others that still fits in `width` cells."""
    kept = list(range(min(always, len(widths))))
    used = sum(widths[i] for i in kept)
    for i in range(len(kept), len(widths)):
        if used + widths[i] <= width:
            kept.append(i)
            used += widths[i]
    return kept


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__(show_command_palette=False)
        self._check_pending = False
        self._shown: Shown | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        mark_footer_bindings_ready(self)
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    def on_resize(self) -> None:
        if self.is_attached and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    def _entries(self) -> list[tuple[Binding, bool, str]]:
        """Every key to show, one per action: `?` and `q` first, the palette last."""
        by_action: dict[str, tuple[Binding, bool, str]] = {}
        palette: tuple[Binding, bool, str] | None = None
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.action == "command_palette":
                palette = palette or (binding, enabled, tooltip or "")
            elif binding.show and binding.action not in by_action:
                by_action[binding.action] = (binding, enabled, tooltip or "")
        first = [by_action.pop(a) if a in by_action else (_FALLBACK[a], True, "") for a in ALWAYS_SHOWN]
        return first + list(by_action.values()) + ([palette] if palette else [])

    def shown_keys(self) -> Shown:
        """What the footer shows at its width, in order."""
        return self._entries_shown_at(self.size.width or self.app.size.width)

    def _entries_shown_at(self, width: int) -> Shown:
        shown = [
            ShownKey(
                self.app.get_key_display(binding), binding.description, binding.action, enabled, tooltip, binding.key
            )
            for binding, enabled, tooltip in self._entries()
        ]
        kept = fold([key_width(display, desc) for display, desc, *_ in shown], len(ALWAYS_SHOWN), width)
        return tuple(shown[i] for i in kept)

    def _key_widget(self, shown: ShownKey) -> Widget:
        return footer_key(
            shown.key,
            shown.key_display,
            shown.description,
            shown.action,
            disabled=not shown.enabled,
            tooltip=shown.tooltip,
            compact=self.compact,
        )

    def compose(self) -> ComposeResult:
        if not footer_bindings_ready(self):
            return
        for shown in self.shown_keys():
            yield self._key_widget(shown)

    def watch_compact(self, compact: bool) -> None:
        """The keys take the footer's style when made (not data-bound: see footer_key)."""
        if not footer_keys_compact(self, compact):
            self.refresh(recompose=True)

    async def _rebuild_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown == self._shown:
            return
        self._shown = shown
        widgets = footer_key_widgets(self)
        if not widgets:  # the first keys
            await self.recompose()
            return
        # The key widgets are kept and changed in place: a key dimmed or lit again by the
        # selected row is a repaint, not a layout of the screen, and `/` opening and closing
        # leaves no widgets behind (each rebuild left ~200 objects in cycles for a full
        # collection, a megabyte a poll in the 200,000-alert bench).
        for widget, key in zip(widgets, shown, strict=False):
            set_footer_key(widget, key)
            if not widget.display:
                widget.display = True
        for widget in widgets[len(shown) :]:  # hidden, kept for when the keys are back
            if widget.display:
                widget.display = False
        if len(shown) > len(widgets):
            await self.mount_all(self._key_widget(key) for key in shown[len(widgets) :])
