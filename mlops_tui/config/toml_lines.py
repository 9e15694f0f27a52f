"""Finding the line of a key in TOML text, best effort: tomllib reports no positions.

A key is named by its path from the top of the file, e.g. ``("contexts", "prod", "backends",
0, "url")``; the n-th ``[[table]]`` of an array of tables is index n.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Loc = tuple[str | int, ...]

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEYPART = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
_KEYLINE_RE = re.compile(rf"^\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*=")
_PART_RE = re.compile(r"[A-Za-z0-9_-]+|\"([^\"]*)\"|'([^']*)'")


def _split_key(text: str) -> tuple[str, ...]:
    out = []
    for m in _PART_RE.finditer(text):
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(m.group(2))
        else:
            out.append(m.group(0))
    return tuple(out)


def _key_lines(text: str) -> Iterator[tuple[int, Loc, bool]]:
    """(line number, full key path, is a table header) for every header and key line."""
    counters: dict[tuple[str, ...], int] = {}
    current: Loc = ()
    for lineno, line in enumerate(text.splitlines(), 1):
        header = _HEADER_RE.match(line)
        if header:
            parts = _split_key(header.group(2))
            if header.group(1) == "[[":
                counters[parts] = counters.get(parts, -1) + 1
                current = (*parts, counters[parts])
            else:
                current = parts
            yield lineno, current, True
            continue
        keyline = _KEYLINE_RE.match(line)
        if keyline:
            yield lineno, (*current, *_split_key(keyline.group(1))), False


def line_of(text: str, target: Loc) -> int | None:
    """The line that defines `target` (or its closest enclosing table), if one can be found."""
    best_len, best_line = 0, None
    for lineno, candidate, _ in _key_lines(text):
        n = len(candidate)
        if best_len < n <= len(target) and tuple(target[:n]) == candidate:
            best_len, best_line = n, lineno
    return best_line


def duplicate_key(text: str) -> tuple[int, Loc] | None:
    """The line of the first key that is set a second time, and that key, if it can be found."""
    seen: set[Loc] = set()
    for lineno, key, is_header in _key_lines(text):
        if is_header:
            continue
        if key in seen:
            return lineno, key
        seen.add(key)
    return None


_AT_LINE_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END_RE = re.compile(r"\s*\(at end of document\)\s*$")


def syntax_error_position(message: str, text: str) -> tuple[str, int | None, int | None]:
    """A tomllib error message without its position, and that position as (line, column)."""
    m = _AT_LINE_RE.search(message)
    if m:
        return message[: m.start()], int(m.group(1)), int(m.group(2))
    m = _AT_END_RE.search(message)
    if m:
        return message[: m.start()], max(1, len(text.splitlines())), None
    return message, None, None
