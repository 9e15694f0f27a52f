"""What `pip install mlops-tui` (a wheel, not the source tree) gives a user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_the_themes_and_the_stylesheet(tmp_path):
    # Built from a clean copy: a build/ left in the working tree would hide a missing file.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".test-servers", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis", "screenshots", "tests", "bench"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(source), "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("mlops_tui-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(installed)
    shipped = {p.name for p in (ROOT / "themes").glob("*.toml")}
    assert shipped and {f"mlops_tui/themes/{name}" for name in shipped} <= names
    assert "mlops_tui/ui/app.tcss" in names

    # Imported from the installed layout, far from the source tree: every theme loads.
    probe = (
        "from mlops_tui.ui import themes; ts, problems = themes.load_themes();"
        "print(themes.__file__); print(sorted(t.name for t in ts)); print(problems)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(installed), "XDG_CONFIG_HOME": str(tmp_path / "config")},
    ).stdout.splitlines()
    assert out[0].startswith(str(installed))
    assert out[1] == repr(sorted(name.removesuffix(".toml") for name in shipped))
    assert out[2] == "[]"
