"""Backend text shown literally: never parsed as markup, never passed to the terminal as control.

Every string that comes from a backend (names, params, labels, annotations) goes through
`visible()` before it is drawn, and into widgets as `Text`, never as a markup `str`.
`visible()` is the app's one sanitiser (`services.text.sanitise`) with symbols for the common
controls: ``␛`` for ESC, ``␤`` for a newline, ``<U+202E>`` for a bidi override.
"""

from __future__ import annotations

from rich.text import Text

from mlops_tui.core.text import sanitise


def visible(text: object, limit: int | None = None) -> str:
    """`text` with secrets masked, cut to `limit` characters (with a marker) when given, and
    every control, bidi or zero-width character replaced by a visible symbol."""
    return sanitise(text, symbols=True, limit=limit)


def literal(text: object, style: str = "", limit: int | None = None) -> Text:
    """A Rich `Text` holding `text` literally: no markup, no control characters."""
    return Text(visible(text, limit), style=style, no_wrap=False)
