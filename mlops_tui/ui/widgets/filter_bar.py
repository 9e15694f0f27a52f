"""The `/` filter line under a list: filters as you type, `esc` clears it."""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FilterBar(Input):
    # An Input sets its virtual size to its text's width on every keystroke, and Textual's
    # virtual_size lays the whole screen out when it changes: the arrange and repaint of every
    # widget (15-40 ms beside a 10,000-row list) that each typed character waited for. This
    # line is one row the screen's width whatever its text, so its virtual size moves nothing
    # but its own scrolling: a repaint.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    DEFAULT_CSS = """
    FilterBar, FilterBar:focus {
        height: 1;
        border: none;
        padding: 0 1;
        display: none;
        background: $boost;
    }
    FilterBar.-shown {
        display: block;
    }
    """

    def __init__(self, on_change: Callable[[str], None]) -> None:
        super().__init__(placeholder="filter: type to narrow, enter keeps it, esc clears", id="filter")
        self._on_change = on_change

    def watch_value(self, value: str) -> None:
        # The list is filtered in the keystroke's own handling, not from the Changed message
        # the Input posts: that message is read after the frame that shows the typed
        # character, and the filtered list then waited for the next frame (~17 ms later).
        self._on_change(value)

    def open(self, value: str) -> None:
        self.add_class("-shown")
        self.value = value
        self.cursor_position = len(value)
        # Focus now, not after the keys already queued (what `focus()` does): "/ivan" typed
        # in one go must land in the filter, not in the list behind it.
        self.screen.set_focus(self)

    def close(self) -> None:
        self.remove_class("-shown")

    def allow_focus(self) -> bool:
        # Hidden, it must not take the focus: a screen's auto-focus would otherwise pick it
        # (it is the first Input in the DOM) and swallow every key meant for the screen.
        return self.is_open

    @property
    def is_open(self) -> bool:
        return self.has_class("-shown")
