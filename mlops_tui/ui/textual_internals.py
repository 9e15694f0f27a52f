"""Every private name of Textual the app relies on, why, and the one door the code reaches it through.

Textual is pinned exactly in pyproject.toml because of this table. The test
tests/ui/test_textual_internals.py checks, on the pinned version, that each name below still
exists with the kind written here, so an upgrade that renames or removes one fails in one named
test rather than in a user's terminal. To add a private name: add a row here, reach it only
through a function of this module, and the test checks it with the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from textual import _styles_cache
from textual.app import App
from textual.cache import LRUCache
from textual.color import Color
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.geometry import Size
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Footer, _footer, _toast

if TYPE_CHECKING:
    from mlops_tui.ui.widgets.key_footer import ShownKey

Kind = Literal["method", "reactive", "class", "slot", "attribute"]


@dataclass(frozen=True)
class PrivateName:
    """One private attribute of a Textual class (or class of a private Textual module) that the app uses."""

    owner: type | ModuleType
    name: str
    kind: Kind
    used_by: str
    why: str


PRIVATE_NAMES: tuple[PrivateName, ...] = (
    PrivateName(
        owner=App,
        name="_refresh_truecolor_filter",
        kind="method",
        used_by="mlops_tui/ui/themes.py (_apply_before_start) via refresh_truecolor_filter()",
        why=(
            "The theme is applied before the app starts, without running App._watch_theme "
            "(which would parse every stylesheet three times on the way to the first frame). "
            "The watcher's other steps have public equivalents; the ANSI-to-truecolor filter "
            "does not, so without this call ANSI colours keep the default theme's mapping."
        ),
    ),
    PrivateName(
        owner=Footer,
        name="_bindings_ready",
        kind="reactive",
        used_by="mlops_tui/ui/widgets/key_footer.py (KeyFooter.bindings_changed, KeyFooter.compose) "
        "via mark_footer_bindings_ready() and footer_bindings_ready()",
        why=(
            "KeyFooter overrides Footer.bindings_changed to rebuild only when the shown keys "
            "change, and Footer.compose to fold keys to the width. Footer draws nothing until "
            "this flag is set, and only its own bindings_changed sets it, so the overrides must "
            "set and read it too."
        ),
    ),
    PrivateName(
        owner=_footer,
        name="FooterKey",
        kind="class",
        used_by="tests/ui/test_startup.py, tests/ui/test_footer_keys.py via FooterKey below; "
        "mlops_tui/ui/widgets/key_footer.py (KeyFooter.compose, KeyFooter.watch_compact) via "
        "footer_key() and footer_keys_compact()",
        why="The footer draws each key with Textual's own key widget (clickable, styled as the "
        "Footer's), and the test that the footer is not rebuilt compares those widgets before "
        "and after; Textual exports Footer but not the widget of one key.",
    ),
    PrivateName(
        owner=_footer.FooterKey,
        name="_disabled",
        kind="attribute",
        used_by="mlops_tui/ui/widgets/key_footer.py (KeyFooter._rebuild_if_changed) via set_footer_key()",
        why=(
            "The footer's key widgets are kept and changed in place when the keys change: "
            "dimmed or lit again when the selected row changes what they can do (rebuilding "
            "the footer for that laid the screen out, 30-50 ms of a `j` at 160x48), another "
            "key when `/` opens or closes (each rebuild left ~200 objects in cycles a poll "
            "behind). FooterKey reads this flag on a click (a dimmed key rings the bell) and "
            "takes it only in its constructor."
        ),
    ),
    PrivateName(
        owner=Stylesheet,
        name="_process_component_classes",
        kind="method",
        used_by="mlops_tui/ui/acyclic_caches.py (install) via free_replaced_component_nodes()",
        why=(
            "Each restyle of a widget with component classes (every list on each focus change) "
            "makes a new virtual node per class; the old ones are cycles with their styles, "
            "frozen alive by the idle collection, so they waited for the deep collection every "
            "5-10 minutes: ~0.2 MB a poll in the 200,000-alert bench. Wrapped to unlink the "
            "replaced nodes from their styles so reference counting frees them."
        ),
    ),
    PrivateName(
        owner=DOMNode,
        name="_component_styles",
        kind="attribute",
        used_by="mlops_tui/ui/textual_internals.py (free_replaced_component_nodes)",
        why="The component styles a restyle replaces, read before and after it.",
    ),
    PrivateName(
        owner=_toast,
        name="Toast",
        kind="class",
        used_by="tests/alertmanager/app_support.py via Toast below",
        why="Tests read what each notification says on screen; Textual does not export the toast widget.",
    ),
    PrivateName(
        owner=LRUCache,
        name="_cache",
        kind="slot",
        used_by="mlops_tui/ui/acyclic_caches.py (LRUCache.clear) via lru_cache_links()",
        why=(
            "LRUCache keeps its entries in a ring of [prev, next, key, value] lists and `clear` "
            "drops the ring whole: a cycle that only a full collection frees, with every line "
            "cached in it. Unlinking the ring first needs its links, which only this dict holds."
        ),
    ),
    PrivateName(
        owner=_styles_cache,
        name="StylesCache",
        kind="class",
        used_by="mlops_tui/ui/acyclic_caches.py (install) via share_inner_outer()",
        why=(
            "Each widget draws through its own StylesCache, whose get_inner_outer is an "
            "lru_cache(1024) on a method: the cache's key holds the StylesCache, so the last "
            "1,024 widgets' caches and their rendered lines outlive the widgets (every footer "
            "rebuild and dialog adds some: +1.2 MB a poll under 200,000 alerts). The answer "
            "depends only on the two colours, so it is cached on them alone."
        ),
    ),
    PrivateName(
        owner=Widget,
        name="_scroll_update",
        kind="method",
        used_by="mlops_tui/ui/widgets/data_grid.py (DataGrid._update_virtual_size) via set_virtual_size_in_place()",
        why=(
            "Widget.virtual_size is a layout reactive: each change lays the whole screen out "
            "and repaints it (15-40 ms under 10,000 rows), though a list whose row count "
            "changes while it scrolls before and after moves no widget. Textual's own "
            "_size_updated sets it without a layout and calls this to update the scrollbars "
            "and clamp the scroll offsets; the grid does the same."
        ),
    ),
    PrivateName(
        owner=Screen,
        name="_on_timer_update",
        kind="method",
        used_by="mlops_tui/ui/app.py (MlopsApp.__init__) via repaint_holding()",
        why=(
            "A screen's repaint (layout, compositing, rendering the changed lines) runs from "
            "this timer callback. Beside a thread reading 200,000 alerts it shared the "
            "interpreter lock: 20-30 ms of work took 40-76 ms, and a key pressed then waited. "
            "Wrapped to hold the UI's turn (core/ui_turn.py), as a key's handling does."
        ),
    ),
    PrivateName(
        owner=Screen,
        name="_css_update_count",
        kind="attribute",
        used_by="mlops_tui/ui/screens/base.py (BaseScreen.on_screen_resume) via mark_css_current()",
        why=(
            "App.switch_mode runs a full refresh_css (every stylesheet re-parsed, the screen laid "
            "out again: ~40 ms) when the screen's count differs from the app's. A view's first "
            "visit refreshes the CSS before the view is mounted, so its count is never set and "
            "its first return paid that refresh again, though the view was styled on mount."
        ),
    ),
)

FooterKey = _footer.FooterKey
Toast = _toast.Toast


def refresh_truecolor_filter(app: App[Any]) -> None:
    """Map ANSI colours to the current theme's truecolours, as App._watch_theme does on a theme change."""
    app._refresh_truecolor_filter(app.ansi_theme)


def mark_footer_bindings_ready(footer: Footer) -> None:
    """Let Footer.compose draw the keys (what Footer.bindings_changed does before recomposing)."""
    footer._bindings_ready = True


def footer_bindings_ready(footer: Footer) -> bool:
    """Whether the footer may draw its keys yet (set by the first bindings signal)."""
    return bool(footer._bindings_ready)


def footer_key(
    key: str, key_display: str, description: str, action: str, *, disabled: bool, tooltip: str, compact: bool
) -> Widget:
    """One key of the footer, as Footer.compose makes it (clicking it presses the key).

    `compact` is the footer's own: FooterKey's default (True) would be drawn once at mount and
    then flipped by the binding, two restyles of every key, ~30 ms of every screen's first paint.
    Not data-bound to the footer as Footer.compose does: a binding stays in the footer's list
    of watchers after the key is removed (Textual prunes it only when `compact` changes), so
    every rebuild of the footer kept its old keys alive. KeyFooter rebuilds its keys instead
    when its `compact` changes."""
    footer_key = FooterKey(key, key_display, description, action, disabled=disabled, tooltip=tooltip)
    footer_key.set_reactive(FooterKey.compact, compact)
    return footer_key


def lru_cache_links(cache: LRUCache[Any, Any]) -> list[list[object]]:
    """The [prev, next, key, value] links of an LRUCache's ring (see acyclic_caches.py)."""
    return list(cache._cache.values())


def share_inner_outer() -> None:
    """Cache StylesCache.get_inner_outer on its two colours alone, not on the StylesCache too
    (see the table above). Textual's own code still computes each answer. Idempotent."""
    styles_cache = _styles_cache.StylesCache
    method = styles_cache.get_inner_outer
    compute: Callable[[object, Color, Color], tuple[Style, Style]] | None = getattr(method, "__wrapped__", None)
    if compute is None:  # already shared
        return
    method.cache_clear()  # let go of the widgets' caches it held

    @lru_cache(1024)
    def inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
        return compute(None, base_background, background)

    def get_inner_outer(self: object, base_background: Color, background: Color) -> tuple[Style, Style]:
        return inner_outer(base_background, background)

    setattr(styles_cache, "get_inner_outer", get_inner_outer)  # noqa: B010 (a method mypy sees as fixed)


def free_replaced_component_nodes() -> None:
    """After a restyle, unlink the virtual nodes of the component styles it replaced from
    their styles (see the table above), so that reference counting frees them. Their styles
    object stays usable for reading rules; only its link back to the dead node is gone.
    Idempotent."""
    process = Stylesheet._process_component_classes
    if getattr(process, "frees_replaced_nodes", False):
        return

    def process_and_free(self: Stylesheet, node: DOMNode) -> None:
        before = list(node._component_styles.values())
        process(self, node)
        kept = {id(styles) for styles in node._component_styles.values()}
        for styles in before:
            if id(styles) not in kept:
                styles.base.node = None
                styles.inline.node = None

    process_and_free.frees_replaced_nodes = True  # type: ignore[attr-defined]
    setattr(Stylesheet, "_process_component_classes", process_and_free)  # noqa: B010


def repaint_holding(hold: Callable[[], AbstractContextManager[None]]) -> None:
    """Run every screen's repaint inside `hold()` (see the table above). Idempotent."""
    update = Screen._on_timer_update
    if getattr(update, "holding", False):
        return

    def on_timer_update(self: Screen[Any]) -> None:
        with hold():
            update(self)

    on_timer_update.holding = True  # type: ignore[attr-defined]
    setattr(Screen, "_on_timer_update", on_timer_update)  # noqa: B010


def set_virtual_size_in_place(widget: Widget, size: Size) -> None:
    """Give a scrolling widget a new virtual size without laying the screen out, as Textual's
    Widget._size_updated does with layout=False: the scrollbars get the new extent and the
    scroll offsets are clamped to it. Only for a change that shows or hides no scrollbar. The
    caller repaints what changed of the widget itself."""
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)  # the scrollbars repaint; the widget's own lines are its to repaint


def mark_css_current(screen: Screen[Any]) -> None:
    """Record that `screen`, mounted and styled under the app's current CSS, needs no CSS refresh
    when shown again (App.switch_mode compares these counts). A theme changed later still
    refreshes it: that moves the app's count on."""
    screen._css_update_count = screen.app._css_update_count


def footer_key_widgets(footer: Footer) -> list[Widget]:
    """The key widgets the footer shows, in order."""
    return list(footer.query(FooterKey))


def set_footer_key(widget: Widget, shown: ShownKey) -> None:
    """Make a key widget of the footer show another key, in place, as FooterKey's constructor
    sets one up: its text and action (a layout of the footer when they change), the `-disabled`
    class for its look and the flag for its click (a repaint)."""
    assert isinstance(widget, FooterKey)
    text = (shown.key, shown.key_display, shown.description, shown.action)
    if (widget.key, widget.key_display, widget.description, widget.action) != text:
        widget.key, widget.key_display, widget.description, widget.action = text
        widget.refresh(layout=True)
    if widget._disabled == shown.enabled:
        widget._disabled = not shown.enabled
        widget.set_class(not shown.enabled, "-disabled")
    if (widget.tooltip or "") != shown.tooltip:
        widget.tooltip = shown.tooltip or None


def footer_keys_compact(footer: Footer, compact: bool) -> bool:
    """Whether every key the footer shows is drawn `compact` (see footer_key)."""
    return all(key.compact == compact for key in footer.query(FooterKey))
