"""Every main view and dialog at 160x48 and 80x24 against its approved SVG (pytest-textual-snapshot).

The scenes, the frozen demo world and the clock are the screenshots' (mlops_tui/ui/scenes.py).
After an intended change of the UI:  pytest tests/snapshots --snapshot-update, look at the
report or the SVGs in tests/snapshots/__snapshots__/, and commit them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlops_tui.ui.scenes import Scene, frozen_clock, play, scene_app, snapshot_scenes


@pytest.fixture
def frozen() -> Iterator[None]:
    with frozen_clock():
        yield


@pytest.mark.parametrize("scene", snapshot_scenes(), ids=lambda scene: scene.id)
def test_the_scene_looks_as_approved(scene: Scene, snap_compare, frozen, tmp_path) -> None:
    app = scene_app(scene, tmp_path)
    assert snap_compare(app, terminal_size=scene.size, run_before=lambda pilot: play(pilot, scene))
