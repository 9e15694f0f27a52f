"""The items of a big JSON array, decoded one at a time from the parts the body came in.

A backend reads its answer on a thread of its own, but the interpreter lock is shared with
the UI's thread, and one C call holds it for its whole length. Over 200,000 alerts (150 MB),
`json.loads` holds it for seconds; joining the body's parts into one bytes object, or
decoding that into one str, each hold it ~0.1 s. A key pressed meanwhile waits. Here every
step is short: each part is decoded as it is read (`TextPieces`) and the array is read item by
item across the parts' seams (`iter_json_array`), so the UI's thread gets its turn between
any two; while it handles a key, the reading waits for it to finish (`core/ui_turn.py`).

Hand-written on CPython's own decoder (`JSONDecoder.raw_decode`, one item per call): ijson's
C backend, which streams too, was five times slower on a 50,000-alert answer (0.78 s against
0.16 s).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from mlops_tui.core.ui_turn import UI_TURN, step_aside

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_AFTER_ITEM = frozenset(", ]\t\n\r")  # what can follow a whole item ("" is not in it)
# A body's text is kept in pieces of about this many characters: each join is short (well
# under 1 ms), and there are few seams (each re-reads one item).
PIECE_CHARS = 1 << 20


class NotJson(ValueError):
    """The body is not a JSON array (the caller words it, with the body's start)."""


class TextPieces:
    """A body decoded as it is read (`add` each part), into pieces of about PIECE_CHARS.

    Decoded part by part, the body's bytes are never all held: 150 MB of alerts costs its
    text only, not its bytes beside. The charset is the one the server named, else UTF-8
    (what JSON is, RFC 8259); characters that do not decode are replaced, as httpx's `.text`
    does.
    """

    def __init__(self, charset: str | None = None) -> None:
        try:
            self._decoder = codecs.getincrementaldecoder(charset or "utf-8")("replace")
        except LookupError:  # a charset Python does not know
            self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pieces: list[str] = []
        self._pending: list[str] = []
        self._size = 0

    def add(self, part: bytes) -> None:
        step_aside()  # a key being handled goes first (core/ui_turn.py)
        text = self._decoder.decode(part)
        self._pending.append(text)
        self._size += len(text)
        if self._size >= PIECE_CHARS:
            self._pieces.append("".join(self._pending))
            self._pending, self._size = [], 0

    def finish(self) -> list[str]:
        """The pieces, the last one included."""
        self._pending.append(self._decoder.decode(b"", final=True))
        self._pieces.append("".join(self._pending))
        self._pending, self._size = [], 0
        return self._pieces


class _Text:
    """A text read part by part: `buf` holds what is read and not yet consumed, from
    character `offset` of the whole text on."""

    def __init__(self, parts: Iterable[str]) -> None:
        self._parts = iter(parts)
        self.buf = ""
        self.offset = 0
        self.done = False

    def more(self, at: int) -> int:
        """Drop what is consumed (`buf[:at]`) and read parts until what is left at least
        doubled (one part at least), so a long stretch is read in O(its length). Returns the
        new position of `at` (0)."""
        rest = self.buf[at:]
        self.offset += at
        pieces, size = [rest], len(rest)
        for part in self._parts:
            pieces.append(part)
            size += len(part)
            if size >= 2 * len(rest):
                break
        else:
            self.done = True
        self.buf = "".join(pieces)
        return 0

    def skip_space(self, at: int) -> int:
        """The position of the next non-space character at or after `at` (or the end)."""
        end = _SPACE.match(self.buf, at).end()  # type: ignore[union-attr]
        while end == len(self.buf) and not self.done:
            at = self.more(end)
            end = _SPACE.match(self.buf, at).end()  # type: ignore[union-attr]
        return end


def iter_json_array(text: str | Iterable[str], *, with_text: bool = False) -> Iterator[Any]:
    """The items of a JSON array, decoded one at a time; `text` whole or in parts (e.g.
    `JsonHttp.get_text_pieces`). Raises NotJson, naming the character, for anything else.

    `with_text`: (item, its JSON text) pairs, for a reader that keeps only some items for a
    while and had better hold one string each than their parsed objects (see `capped`)."""
    src = _Text((text,) if isinstance(text, str) else text)
    decode, ui_free = _DECODER.raw_decode, UI_TURN.is_free
    at = src.skip_space(0)
    if src.buf[at : at + 1] != "[":
        raise NotJson("not a JSON array")
    at = src.skip_space(at + 1)
    if src.buf[at : at + 1] == "]":
        at += 1
    else:
        while True:
            buf = src.buf
            try:
                item, end = decode(buf, at)
            except ValueError:
                end = -1  # not JSON, or an item cut by a seam
            # Cut by the seam: a number may go on in the next part ("12" + "34", "0." + "5"),
            # so an item is whole once a separator or a space follows it, or nothing will.
            if end < 0 or (not src.done and buf[end : end + 1] not in _AFTER_ITEM):
                if src.done:
                    raise NotJson(f"not JSON at character {src.offset + at:,}") from None
                at = src.more(at)
                continue
            if not ui_free():  # a key being handled goes first (core/ui_turn.py)
                UI_TURN.wait()
            yield (item, buf[at:end]) if with_text else item
            at = src.skip_space(end)
            sep = src.buf[at : at + 1]
            at = src.skip_space(at + 1)
            if sep == "]":
                break
            if sep != ",":
                raise NotJson(f"not JSON at character {src.offset + at:,}")
    if src.skip_space(at) != len(src.buf):
        raise NotJson("not JSON: more after the array")


__all__ = ["NotJson", "TextPieces", "iter_json_array"]
