"""The back stack's words: the breadcrumb path and how it is cut to fit the top bar.

The stack itself is the current view's screen stack: a jump pushes the place it opens on top
of where the user is, `esc` pops one, a view key (1-6) clears it. This module holds what can be
said about a path without Textual: its parts, their order, and the line that fits a width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

from mlops_tui.core.text import sanitise
from mlops_tui.ui import glyphs

SEPARATOR = f" {glyphs.CRUMB} "
ELLIPSIS = "…"
PART_LIMIT = 120  # one crumb never longer than this (a run name can be a paragraph)


def path_parts(root: str, crumbs: Sequence[str]) -> list[str]:
    """The breadcrumb's parts: the view the path started in, then one crumb per step.

    Every crumb goes through the one sanitiser: names from backends are shown inert.
    Empty crumbs (a step that names nothing) are left out.
    """
    parts = [sanitise(root, symbols=True, limit=PART_LIMIT)]
    parts += [sanitise(c, symbols=True, limit=PART_LIMIT) for c in crumbs if c]
    return parts


def _cut_start(text: str, width: int) -> str:
    """The end of `text` that fits `width` cells, led by an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in reversed(text):
        if cell_len(ELLIPSIS + char + out) > width:
            break
        out = char + out
    return ELLIPSIS + out if width >= 1 else ""


def fit_path(parts: Sequence[str], width: int) -> str:
    """`parts` joined by ` › `, cut from the left to fit `width` cells.

    Where the user is (the last part) is what must stay; the start of the path goes first,
    replaced by `…`. A last part too long on its own loses its beginning.
    """
    if not parts or width <= 0:
        return ""
    whole = SEPARATOR.join(parts)
    if cell_len(whole) <= width:
        return whole
    for start in range(1, len(parts)):
        line = ELLIPSIS + SEPARATOR + SEPARATOR.join(parts[start:])
        if cell_len(line) <= width:
            return line
    return _cut_start(parts[-1], width)
