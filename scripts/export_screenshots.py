"""Regenerate screenshots/ (the README's pictures): `mlops-tui screenshots --out screenshots`.

Run:  .venv/bin/python scripts/export_screenshots.py [--scene NAME ...]
The scenes, the frozen demo world and the clock are in mlops_tui/ui/scenes.py.
screenshots/web.png comes from tests/serve/test_browser.py, not from here.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_tui.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["screenshots", "--out", str(ROOT / "screenshots"), *sys.argv[1:]]))
