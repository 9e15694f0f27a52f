"""The one sanitiser for text from outside (servers, config files, the environment).

Everything the app did not write itself is shown inert: no character a terminal acts on
(C0/C1 controls, DEL), no character that reorders or hides text (bidi controls, zero-width
characters), no resolved secret, and never longer than a screen can hold. Headless commands
use `printable()`; the TUI uses `ui.literal.visible()`, which is this same function with
symbols for the common controls.
"""

from __future__ import annotations

import re

from mlops_tui.core.secrets import redact

# C0 controls (tab excepted, it becomes a space), DEL, C1 controls: anything a terminal acts on.
_C0_C1 = "\x00-\x08\x0a-\x1f\x7f-\x9f"
# Characters that reorder or hide text on screen: bidi embeddings/overrides/isolates and marks,
# zero-width space/joiners, word joiner, BOM, line/paragraph separators, soft hyphen.
_INVISIBLE = "\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
UNSAFE = re.compile(f"[{_C0_C1}{_INVISIBLE}]")
# What json.dumps(ensure_ascii=False) leaves raw (it escapes C0 controls in strings itself;
# outside strings its only control characters are the line breaks of `indent`).
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")

# Symbols for the controls people meet most; every other unsafe character is written out.
_SYMBOLS = {"\x1b": "␛", "\n": "␤", "\r": "␍", "\x07": "␇", "\x08": "␈", "\x00": "␀", "\x7f": "␡"}

# A display cut: long enough for any sane name or message, short enough for one screen.
DISPLAY_LIMIT = 500


def _escaped(char: str, symbols: bool) -> str:
    code = ord(char)
    if symbols and char in _SYMBOLS:
        return _SYMBOLS[char]
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def sanitise(value: object, *, symbols: bool = False, limit: int | None = None) -> str:
    """`value` as inert text: secrets masked, then cut to `limit` characters with a marker,
    then every unsafe character written visibly (``\\x1b`` or ``␛``, ``<U+202E>``).

    Masking comes first so a cut can never leave part of a secret behind (see `redact`);
    the cut comes before escaping so the marker counts characters of the original text.
    """
    text = value if isinstance(value, str) else str(value)
    text = redact(text, limit)
    if UNSAFE.search(text) is not None:
        text = UNSAFE.sub(lambda m: _escaped(m.group(), symbols), text)
    return text.replace("\t", " ")


def printable(value: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """Backend text for a plain terminal: controls as ``\\xNN``, bidi/zero-width as ``<U+XXXX>``,
    secrets masked, cut at `limit` characters (None: never cut)."""
    return sanitise(value, limit=limit)


def has_unsafe(text: str) -> bool:
    """True when `text` holds a character `sanitise` would rewrite."""
    return UNSAFE.search(text) is not None


def printable_lines(text: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """Several lines of our own layout (an error, a report) around outside text: every line
    made `printable()` and cut at `limit`, the line breaks kept."""
    s = text if isinstance(text, str) else str(text)
    return "\n".join(printable(line, limit) for line in s.split("\n"))


def inert_json(encoded: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every character a terminal
    would act on or that reorders text written as a ``\\uXXXX`` escape: inert on screen, and
    the same data for a program that parses it (JSON already escapes C0 controls itself)."""
    if _UNSAFE_IN_JSON.search(encoded) is None:
        return encoded
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)
