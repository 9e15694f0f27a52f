"""`KeyFooter`: the keys of the screen, `?` and `q` always first, the rest folded to fit the width.

Textual's Footer lists every key in binding order (the focused list's first, the app's last),
so at 80 columns, or on a detail screen with many keys, `? Help` and `q Quit` fall off the
end. This one puts those two first and keeps the others, in order, while they fit; the ones
that do not are in `?` (the help lists every key).

It also rebuilds only when the keys it shows change: Textual's Footer recomposes on every
bindings signal (focus moving between two grids with the same keys, each screen change, each
mount), about a quarter of the time to the first screen at start-up. When only some keys are
dimmed or lit again (the selected row changed what they can do), it restyles those in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from mlops_tui.ui.textual_internals import (
    footer_bindings_ready,
    footer_key,
    footer_keys_compact,
    mark_footer_bindings_ready,
    restyle_footer_keys,
)

# Actions whose key is always shown, in this order, whatever the width.
ALWAYS_SHOWN = ("help", "quit")
_FALLBACK = {
    "help": Binding("question_mark", "help", "Help", key_display="?"),
    "quit": Binding("q", "quit", "Quit"),
}

Shown = tuple[tuple[str, str, str, bool, str], ...]


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
        """What the footer shows at its width: (key shown, description, action, enabled, tooltip)."""
        return self._entries_shown_at(self.size.width or self.app.size.width)

    def _entries_shown_at(self, width: int) -> Shown:
        shown = [
            (self.app.get_key_display(binding), binding.description, binding.action, enabled, tooltip)
            for binding, enabled, tooltip in self._entries()
        ]
        kept = fold([key_width(display, desc) for display, desc, *_ in shown], len(ALWAYS_SHOWN), width)
        return tuple(shown[i] for i in kept)

    def compose(self) -> ComposeResult:
        if not footer_bindings_ready(self):
            return
        entries = {binding.action: (binding, enabled, tooltip) for binding, enabled, tooltip in self._entries()}
        for display, description, action, enabled, tooltip in self.shown_keys():
            binding = entries[action][0]
            yield footer_key(
                binding.key, display, description, action, disabled=not enabled, tooltip=tooltip, compact=self.compact
            )

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
        before, self._shown = self._shown, shown
        # the same keys, some dimmed or lit again (the selected row changed what they can do):
        # restyled in place, no rebuild and so no layout of the screen
        states = [(enabled, tooltip) for *_, enabled, tooltip in shown]
        if before is not None and _same_keys(before, shown) and restyle_footer_keys(self, states):
            return
        await self.recompose()


def _same_keys(before: Shown, after: Shown) -> bool:
    """Whether two lists of shown keys differ at most in which keys are enabled and their tooltips."""
    return [entry[:3] for entry in before] == [entry[:3] for entry in after]
