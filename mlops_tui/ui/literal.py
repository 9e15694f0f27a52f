"""Backend text shown literally: never parsed as markup, never passed to the terminal as control.

Every string that comes from a backend (names, params, labels, annotations) goes through
`visible()` before it is drawn, and into widgets as `Text`, never as a markup `str`.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls (tab excepted), DEL and C1 controls: anything a terminal might act on.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_NAMES = {"\x1b": "␛", "\n": "␤", "\r": "␍", "\x07": "␇", "\x08": "␈", "\x00": "␀", "\x7f": "␡"}


def _show(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMES.get(char) or f"\\x{ord(char):02x}"


def visible(text: object) -> str:
    """`text` as a string whose control characters are replaced by visible symbols."""
    s = text if isinstance(text, str) else str(text)
    if _CONTROL.search(s) is None:
        return s.replace("\t", " ")
    return _CONTROL.sub(_show, s).replace("\t", " ")


def literal(text: object, style: str = "") -> Text:
    """A Rich `Text` holding `text` literally: no markup, no control characters."""
    return Text(visible(text), style=style, no_wrap=False)
