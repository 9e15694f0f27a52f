"""The glyph table, under the name the UI imports it by: it lives in mlops_tui/core/glyphs.py,
so that services and commands draw the same symbols (read the reasons there)."""

from mlops_tui.core.glyphs import *  # noqa: F403 (one table, re-exported whole)
