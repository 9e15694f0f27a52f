"""The arrows of the house, checked by import-linter (contracts in pyproject.toml): the layers,
backend kinds independent of each other, no Textual on the data side, no HTTP in the UI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a test dependency; install with pip install -e '.[test]'"
    result = subprocess.run([exe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for contract in ("Layers:", "independent of each other", "never import textual", "never talks HTTP"):
        assert contract in result.stdout  # each contract is still there and was checked
