"""What `pip install mlops-tui` (a wheel or an sdist, not the source tree) gives a user."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import mlops_tui

ROOT = Path(__file__).resolve().parents[1]
# Listed from the source tree (one copy, in the top-level themes/), so a theme added there and
# not shipped fails the tests.
SHIPPED = {p.name for p in (ROOT / "themes").glob("*.toml")}


def clean_copy(tmp_path: Path) -> Path:
    # A build/ or *.egg-info left in the working tree would hide a missing file.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            ".test-servers",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".pytest_cache",
            ".hypothesis",
            "screenshots",
            "tests",
            "bench",
        ),
    )
    return source


def build_wheel(source: Path | str, out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(source), "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("mlops_tui-*.whl")
    return wheel


def check_wheel(wheel: Path, tmp_path: Path) -> None:
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(installed)
    assert len(SHIPPED) >= 4 and {f"mlops_tui/themes/{name}" for name in SHIPPED} <= names
    assert "mlops_tui/ui/app.tcss" in names
    (metadata,) = (installed / n for n in names if n.endswith(".dist-info/METADATA"))
    assert email.message_from_string(metadata.read_text())["Version"] == mlops_tui.__version__

    # Imported from the installed layout, far from the source tree: every theme loads.
    probe = (
        "from mlops_tui.ui import themes; ts, problems = themes.load_themes();"
        "print(themes.__file__); print(sorted(t.name for t in ts)); print(problems)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(installed), "XDG_CONFIG_HOME": str(tmp_path / "config")},
    ).stdout.splitlines()
    assert out[0].startswith(str(installed))
    assert out[1] == repr(sorted(name.removesuffix(".toml") for name in SHIPPED))
    assert out[2] == "[]"


def test_the_wheel_ships_the_themes_and_the_stylesheet(tmp_path):
    check_wheel(build_wheel(clean_copy(tmp_path), tmp_path), tmp_path)


def test_the_sdist_ships_the_themes_without_a_symlink_and_installs_whole(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(dist), str(clean_copy(tmp_path))],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (sdist,) = dist.glob("mlops_tui-*.tar.gz")
    assert sdist.name == f"mlops_tui-{mlops_tui.__version__}.tar.gz"
    with tarfile.open(sdist) as tf:
        members = tf.getmembers()
    assert not [m.name for m in members if m.issym() or m.islnk()]  # Windows and zip-based tools drop them
    top = f"mlops_tui-{mlops_tui.__version__}"
    names = {m.name for m in members}
    assert {f"{top}/themes/{name}" for name in SHIPPED} <= names

    # What `pip install mlops-tui` does with an sdist: build a wheel from it.
    check_wheel(build_wheel(sdist, tmp_path / "from-sdist"), tmp_path / "from-sdist")
