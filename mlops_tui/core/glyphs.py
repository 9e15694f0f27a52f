"""Every symbol the app draws, in one table, chosen from glyphs that common monospace fonts have.

Fonts: DejaVu Sans Mono (Linux default), Menlo (macOS Terminal), Consolas (Windows console),
Cascadia Mono (Windows Terminal). All four cover WGL4, Microsoft's pan-European set, so every
glyph here is in WGL4 (listed below as WGL4_SYMBOLS) except the eighth-blocks of sparklines:
DejaVu Sans Mono, Menlo and Cascadia have them, Consolas does not, and Windows Terminal draws
them from its fallback font (Textual's own Sparkline uses the same characters).

It lives in `core` so that every layer that draws text can take its symbols from here: the UI
(`mlops_tui.ui.glyphs` is this module under the UI's name), `services` (an alert's triage line,
a comparison's best mark) and `commands` (the CLI prints the same lines). The domain keeps only
words (`Triage.ACKED` is "acked"); which symbol goes with a word is decided here.

Not used, and why: ⧗ ⟳ are in none of the four; ✓ ✖ ⚠ ◐ ⊘ ◆ ↯ ★ ✚ are in DejaVu but missing from
Consolas (✓ ✖ ⚠ ⊘ ◆ ↯ ★) or Cascadia (✖ ✚), where a fallback font of another width breaks the
columns. Meaning never rests on a glyph alone either: each comes with a word (`√ pass`,
`× down`, `ø inhibited by ModelDown`).
tests/ui/test_glyphs.py checks the table against WGL4, against DejaVu Sans Mono's own cmap when
the font is installed, and that no module of the domain, services, commands or UI draws a symbol
that is not from here.
"""

from __future__ import annotations

# -- states --------------------------------------------------------------------------------------
OK = "√"  # a check passed, no drift, healthy answer (mocha's choice too: ✓ is not in Consolas)
FAILED = "×"  # a check failed, drifted, unreachable, down
WARN = "!"  # a warning worth reading before going on
HEALTHY = "●"
DEGRADED = "◊"  # degraded deployment, slow backend
UNKNOWN = "?"  # a value nobody can tell: never shown as 0 or as nothing
PENDING = "○"  # waiting: a pending promotion, a backend that has not answered yet
BUSY = "…"  # work in progress (loading pages)

# -- who owns an alert (services/triage.py pairs each with domain.Triage's word) -----------------
FIRING = "♦"  # not ●: that is the list's mark (◆ was here: not in Consolas)
ACKED = "√"  # someone looked and took it (✓ was here: not in Consolas)
SILENCED = "~"  # muted for a while
# Inhibited: Alertmanager holds it back because another alert fires. ø is WGL4's nearest shape
# to the "no entry" sign ⊘ that was here (not in Consolas); ≠ is taken (NOT_EQUAL: a mismatch),
# and a glyph should mean one thing within a screen.
INHIBITED = "ø"
RESOLVED = "○"  # over: hollow, as PENDING, and the word tells them apart
FLAPPING = "↕"  # fires and resolves over and over (↯ was here: not in Consolas)

# -- comparisons and thresholds ------------------------------------------------------------------
OVER = "▲"  # a value over its threshold
BETTER = "▲"
WORSE = "▼"
NOT_EQUAL = "≠"
ARROW = "→"
HIGHER = "↑"  # compare: higher is better for this metric
LOWER = "↓"  # compare: lower is better
BEST = "☼"  # compare: the best value of a metric row (★ was here: not in Consolas)

# -- lists and chrome ----------------------------------------------------------------------------
MARKED = "●"
SORT_ASC = "▲"
SORT_DESC = "▼"
GROUP_OPEN = "▼"
GROUP_FOLDED = "►"
HERE = "◄"  # this row: the version whose detail is open, in its alias history
CRUMB = "›"
SEPARATOR = "│"
RULE = "─"  # a heading drawn as a line: ── Labels ──
BARS = "▁▂▃▄▅▆▇█"  # sparklines, lowest to highest
FIRED = "█"  # an alert's history strip: it fired in that slice (· it did not)
CHART_MARKERS = ("●", "■", "▲", "♦", "+", "×", "*", "○")  # one per compared column

TABLE = {
    name: value
    for name, value in globals().items()
    if name.isupper() and isinstance(value, (str, tuple)) and name not in ("WGL4_SYMBOLS", "NOT_WGL4")
}

# The symbols of WGL4 (letters left out, but for ø, INHIBITED's sign): what DejaVu Sans Mono,
# Menlo, Consolas and Cascadia Mono all have. Typography used in sentences (… — – · • ± →) is in it too.
WGL4_SYMBOLS = frozenset(
    "¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿×÷ø"
    "–—―‗‘’‚‛“”„†‡•…‰′″‹›‼‾⁄ⁿ₣₤₧€℅ℓ№™Ω℮⅛⅜⅝⅞"
    "←↑→↓↔↕↨∂∆∏∑−∕∙√∞∟∩∫≈≠≡≤≥⌂⌐⌠⌡"
    "─│┌┐└┘├┤┬┴┼═║╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧╨╩╪╫╬"
    "▀▄█▌▐░▒▓■□▪▫▬▲►▼◄◊○●◘◙◦☺☻☼♀♂♠♣♥♦♪♫"
)
# The one exception, explained above.
NOT_WGL4 = frozenset("▁▂▃▅▆▇")


def used() -> set[str]:
    """Every non-ASCII character of the table."""
    chars: set[str] = set()
    for value in TABLE.values():
        for text in value if isinstance(value, tuple) else (value,):
            chars.update(ch for ch in text if ord(ch) > 127)
    return chars
