"""Every symbol the app draws comes from one table, mlops_tui/core/glyphs.py, and renders in common
monospace fonts (the UI imports it as mlops_tui.ui.glyphs)."""

from __future__ import annotations

import ast
import struct
from pathlib import Path

import pytest

from mlops_tui.core import glyphs
from mlops_tui.domain.alerts import Triage
from mlops_tui.services.triage import AlertTriage
from mlops_tui.ui import glyphs as ui_glyphs

ROOT = Path(__file__).resolve().parents[2]
# The layers that put text in front of a user: the domain's words, the services' lines (triage,
# compare, history), the CLI's output and the UI. `core` holds the table itself and the sanitiser,
# whose literals are the control characters it replaces.
DRAWING = [ROOT / "mlops_tui" / part for part in ("domain", "services", "commands", "ui")]
# Typography inside sentences, all of it in WGL4: allowed as literals anywhere.
TYPOGRAPHY = set("…—–·•±→“”")  # sentence typography, all of it in WGL4
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")  # Debian's fonts-dejavu-core


def test_every_glyph_is_in_the_set_all_four_fonts_share():
    outside = sorted(glyphs.used() - glyphs.WGL4_SYMBOLS - glyphs.NOT_WGL4)
    assert outside == [], f"not in WGL4 (DejaVu Sans Mono, Menlo, Consolas, Cascadia Mono): {outside}"
    assert "⧗" not in glyphs.used() and glyphs.PENDING in glyphs.WGL4_SYMBOLS


def test_the_ui_draws_from_the_same_table():
    assert ui_glyphs.TABLE is glyphs.TABLE and ui_glyphs.OK == glyphs.OK


def test_every_alert_state_carries_a_word_and_its_own_symbol_from_the_table():
    symbols = {state: AlertTriage(state).symbol for state in Triage}
    assert set(symbols.values()) <= set(glyphs.TABLE.values())
    # firing, acked, silenced and inhibited are told apart by symbol too (resolved shares ○ with pending)
    owned = [symbols[s] for s in (Triage.FIRING, Triage.ACKED, Triage.SILENCED, Triage.INHIBITED)]
    assert len(set(owned)) == 4
    for state in Triage:
        assert AlertTriage(state).text().startswith(f"{symbols[state]} {state.value}")
    assert AlertTriage(Triage.FIRING, flapping=True).text() == f"{glyphs.FIRING} firing {glyphs.FLAPPING} flapping"
    assert not {"✓", "⊘", "◆", "↯"} & glyphs.used()  # the old ones, missing from Consolas


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_module_draws_a_symbol_that_is_not_from_the_glyph_table():
    found = []
    paths = sorted(p for folder in DRAWING for p in folder.rglob("*.py"))
    assert len(paths) > 50 and any(p.name == "triage.py" for p in paths)  # the walk found the app
    for path in paths:
        for line, text in _string_literals(path):
            symbols = {ch for ch in text if ord(ch) > 127} - TYPOGRAPHY
            if symbols:
                found.append(f"{path.relative_to(ROOT)}:{line}: {''.join(sorted(symbols))}")
    assert found == [], "use mlops_tui.core.glyphs instead of these literals:\n" + "\n".join(found)


def _cmap(path: Path) -> set[int]:
    """The code points a TrueType font maps (its cmap's format 4 and 12 subtables)."""
    data = path.read_bytes()
    count = struct.unpack(">H", data[4:6])[0]
    tables = {
        data[12 + 16 * i : 16 + 16 * i].decode("latin-1"): struct.unpack(">I", data[20 + 16 * i : 24 + 16 * i])[0]
        for i in range(count)
    }
    base = tables["cmap"]
    points: set[int] = set()
    for i in range(struct.unpack(">H", data[base + 2 : base + 4])[0]):
        start = base + struct.unpack(">I", data[base + 8 + 8 * i : base + 12 + 8 * i])[0]
        kind = struct.unpack(">H", data[start : start + 2])[0]
        if kind == 4:
            segments = struct.unpack(">H", data[start + 6 : start + 8])[0] // 2
            ends = struct.unpack(f">{segments}H", data[start + 14 : start + 14 + 2 * segments])
            starts = struct.unpack(f">{segments}H", data[start + 16 + 2 * segments : start + 16 + 4 * segments])
            for first, last in zip(starts, ends):
                points.update(range(first, last + 1))
        elif kind == 12:
            for g in range(struct.unpack(">I", data[start + 12 : start + 16])[0]):
                first, last, _ = struct.unpack(">III", data[start + 16 + 12 * g : start + 28 + 12 * g])
                points.update(range(first, last + 1))
    return points


@pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVu Sans Mono is not installed (Debian: fonts-dejavu-core)")
def test_dejavu_sans_mono_has_every_glyph_and_not_the_old_pending_marker():
    points = _cmap(DEJAVU)
    missing = sorted(ch for ch in glyphs.used() | TYPOGRAPHY if ord(ch) not in points)
    assert missing == [], f"DejaVu Sans Mono lacks {missing}"
    assert ord("⧗") not in points  # why the pending marker had to go: the parser sees a real gap
