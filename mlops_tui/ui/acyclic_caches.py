"""Rendered lines that reference counting frees: Textual's render caches without cycles.

Textual keeps each frame's lines (`Strip`s) in caches, and three of its ways of doing so make
reference cycles, so a line that is dropped is not freed when it goes but waits for a full
collection:

- `Strip.divide` at the strip's own length caches `[self]` on the strip, and
  `Strip.crop_extend` over its whole width caches `self`: the strip, its segments and its
  seven little caches become a cycle;
- `LRUCache.clear` (every widget's line cache is cleared when its rows change) drops its ring
  of `[prev, next, key, value]` links whole, a cycle holding every cached line.

Under a storm of alerts that was ~60,000 objects a minute of keys (measured with
bench/bench_big_answers.py), freed in full collections of 150-400 ms, each a keystroke's
wait (ui/idle_gc.py says when those run). With the answers below the same objects go when
they are dropped, a few at a time, and full collections shrink to what is really cyclic.

The strip's two answers are the strip itself, so they are returned without being cached: the
same results, no cycle. The cache's ring is unlinked before it is dropped. Everything else is
Textual's own code.

One more cache kept lines of widgets long gone, without a cycle: each widget's style cache is
a key of a 1,024-entry `lru_cache` on its `get_inner_outer` method, so the caches (and the lines
they hold) of the last 1,024 widgets outlived them, a slow climb of memory with every footer
rebuild and dialog. That answer now is cached on its two colours alone (textual_internals.py).

And each restyle of a widget with component classes (a list gaining or losing focus) makes a
virtual node per class, in a cycle with its styles; the nodes it replaces are unlinked from
their styles, so they go when replaced (textual_internals.free_replaced_component_nodes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from mlops_tui.ui.textual_internals import free_replaced_component_nodes, lru_cache_links, share_inner_outer

_divide = Strip.divide
_crop_extend = Strip.crop_extend
_lru_clear = LRUCache.clear


def _divide_acyclic(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    cuts = list(cuts)
    length = self.cell_length
    if [cut for cut in cuts if cut <= length] == [length]:
        return [self]
    return _divide(self, cuts)


def _crop_extend_acyclic(self: Strip, start: int, end: int, style: Style | None) -> Strip:
    if start <= 0 and end == self.cell_length:
        return self
    return _crop_extend(self, start, end, style)


def _clear_acyclic(self: LRUCache[Any, Any]) -> None:
    for link in lru_cache_links(self):
        link.clear()
    _lru_clear(self)


def install() -> None:
    """Put the cycle-free versions on Textual's classes (idempotent)."""
    Strip.divide = _divide_acyclic  # type: ignore[method-assign]
    Strip.crop_extend = _crop_extend_acyclic  # type: ignore[method-assign]
    LRUCache.clear = _clear_acyclic  # type: ignore[method-assign]
    share_inner_outer()
    free_replaced_component_nodes()
