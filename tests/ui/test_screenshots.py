"""`mlops-tui screenshots`: the frozen demo world's scenes as SVGs, the same bytes on every run."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

from mlops_tui.ui.scenes import SCENES, screenshot_scenes, shipped_theme_names


def svg_text(svg: str) -> str:
    """The SVG's text runs, in order, as one string."""
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    return html.unescape("".join(runs)).replace("\xa0", " ")


SOME = ["overview", "approval", "silence-dialog", "overview-80x24"]


def shoot(out: Path) -> dict[str, bytes]:
    command = [sys.executable, "-m", "mlops_tui", "screenshots", "--out", str(out)]
    for name in SOME:
        command += ["--scene", name]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.svg"))}


def test_two_runs_write_the_same_bytes(tmp_path):
    first = shoot(tmp_path / "a")
    second = shoot(tmp_path / "b")
    assert sorted(first) == sorted(f"{name}.svg" for name in SOME)
    assert first == second
    overview = svg_text(first["overview.svg"].decode())
    assert "Firing alerts (6)" in overview and "critical" in overview  # the lively world, not a calm one
    assert "Approve as sam?" in svg_text(first["approval.svg"].decode())
    assert 'width="' in first["overview-80x24.svg"].decode() and first["overview-80x24.svg"] != first["overview.svg"]


def test_the_scene_list_covers_every_view_dialog_and_shipped_theme():
    names = {scene.name for scene in screenshot_scenes()}
    views = {"overview", "runs", "models", "deployments", "alerts", "drift", "silences"}
    dialogs = {"approval", "alert-detail", "silence-dialog"}
    assert views | dialogs <= names
    assert len(shipped_theme_names()) >= 4
    assert {f"overview-{theme}" for theme in shipped_theme_names()} <= names
    assert all(scene.size == (160, 48) for scene in SCENES)
