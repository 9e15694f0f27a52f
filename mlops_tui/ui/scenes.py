"""The scenes of the screenshots and of the snapshot tests: one list, one frozen demo world.

A scene is a fresh app on the demo world the app opens with (seed 7, 300 runs) stopped at
one lively moment (FROZEN_AT: alerts of both severities firing, deployments healthy, degraded
and down, promotions pending), then the keys a person would press. The clock is frozen
(time-machine) and times are shown in UTC, so the same scene gives the same SVG, byte for byte.

`mlops-tui screenshots --out DIR` runs `python -m mlops_tui.ui.scenes`; tests/snapshots/ uses
`snapshot_scenes()`, `scene_app()` and `play()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from mlops_tui.backends.registry import load_kind
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp

# The demo world as `mlops-tui --demo` opens it (DemoOptions' defaults), at a busy moment:
# 6 alerts firing (2 critical), deployments healthy, degraded and down, 2 promotions pending.
SEED = 7
RUNS = 300
FROZEN_AT = datetime(2025, 3, 3, 21, 0, tzinfo=UTC)
USER = "sam"  # who the approval dialog asks: not one of the demo's requesters
WIDE = (160, 48)
SMALL = (80, 24)
STABLE_FOR = 3  # identical frames in a row before a shot
SETTLE_TIMEOUT = 20.0


@dataclass(frozen=True)
class Scene:
    name: str
    keys: tuple[str, ...] = ()
    size: tuple[int, int] = WIDE
    theme: str = "oncall-dark"

    @property
    def id(self) -> str:
        return f"{self.name}-{self.size[0]}x{self.size[1]}"


def _typed(command: str) -> tuple[str, ...]:
    """The keys of a `:command` line."""
    names = {" ": "space", ":": "colon", "-": "minus"}
    return ("colon", *(names.get(ch, ch) for ch in command), "enter")


# Every main view and dialog, once. Keys are the app's own: change them here when a key moves.
SCENES: tuple[Scene, ...] = (
    Scene("overview"),
    Scene("runs", ("2",)),
    Scene("run-detail", ("2", "enter")),
    Scene("compare", ("2", "space", "down", "space", "down", "space", "c")),
    Scene("models", ("3",)),
    Scene("approval", ("3", "a")),
    Scene("deployments", ("4",)),
    Scene("deployment-detail", ("4", "enter")),
    Scene("alerts", ("5",)),
    Scene("alert-detail", ("5", "enter")),
    Scene("silence-dialog", ("5", "s")),
    Scene("silences", _typed("silences")),
    Scene("drift", ("6",)),
    Scene("help", ("2", "question_mark")),
)


def shipped_theme_names() -> list[str]:
    from mlops_tui.ui.themes import shipped_themes

    return sorted(theme.name for theme in shipped_themes())


def screenshot_scenes() -> list[Scene]:
    """What screenshots/ holds: every scene at 160x48, the Overview in each shipped theme and at 80x24."""
    themed = [Scene(f"overview-{name}", theme=name) for name in shipped_theme_names()]
    return [*SCENES, *themed, Scene("overview-80x24", size=SMALL)]


def snapshot_scenes() -> list[Scene]:
    """What the snapshot tests compare: every scene at 160x48 and at 80x24."""
    return [replace(scene, size=size) for scene in SCENES for size in (WIDE, SMALL)]


# -- running a scene ------------------------------------------------------------------------------
@contextlib.contextmanager
def frozen_clock() -> Iterator[None]:
    """Wall-clock time stands still at FROZEN_AT and local time is UTC (monotonic time still runs,
    so Textual's timers and asyncio work)."""
    import time_machine

    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        with time_machine.travel(FROZEN_AT, tick=False):
            yield
    finally:
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()


def scene_app(scene: Scene, workdir: Path) -> MlopsApp:
    """A fresh app on the frozen demo world, in the scene's theme, writing only under `workdir`."""
    demo = load_kind("demo")
    backend: Any = demo("demo", {"seed": SEED, "runs": RUNS, "speed": 0.0, "epoch": FROZEN_AT})
    runtime = build_runtime(None, demo=True, backends=[backend], audit_path=workdir / "audit.jsonl")
    runtime.user = USER
    runtime.actions.user = USER
    runtime.theme = scene.theme
    return MlopsApp(runtime)


async def _settle(pilot: Pilot[Any]) -> None:
    """Until the screen stops changing: STABLE_FOR identical frames in a row (loads, sparklines)."""
    app = pilot.app
    deadline = time.monotonic() + SETTLE_TIMEOUT
    same, last = 0, ""
    while same < STABLE_FOR:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the screen kept changing for {SETTLE_TIMEOUT:.0f}s")
        await pilot.pause(0.1)
        for field in app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor is a coin toss per frame
        frame = app.export_screenshot()
        same, last = (same + 1, last) if frame == last else (0, frame)


async def play(pilot: Pilot[Any], scene: Scene) -> None:
    """Wait for the demo world's first answers, press the scene's keys, wait for a still screen."""
    app = pilot.app
    assert isinstance(app, MlopsApp)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while not (app.snapshot.statuses and all(s.state.value != "pending" for s in app.snapshot.statuses)):
        if time.monotonic() > deadline:
            raise TimeoutError("the demo world did not answer")
        await pilot.pause(0.05)
    await _settle(pilot)
    for key in scene.keys:
        await pilot.press(key)
        await _settle(pilot)


async def shoot(scene: Scene) -> str:
    """The scene as an SVG (call inside frozen_clock())."""
    with tempfile.TemporaryDirectory() as tmp:
        app = scene_app(scene, Path(tmp))
        async with app.run_test(size=scene.size) as pilot:
            await play(pilot, scene)
            return app.export_screenshot(title=f"mlops-tui: {scene.name}")


def write_screenshots(out: Path, names: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    scenes = [s for s in screenshot_scenes() if not names or s.name in names]
    unknown = sorted(set(names or ()) - {s.name for s in scenes})
    if unknown:
        raise SystemExit(f"no scene {', '.join(unknown)}; scenes: {', '.join(s.name for s in screenshot_scenes())}")
    written = []
    with frozen_clock():
        for scene in scenes:
            path = out / f"{scene.name}.svg"
            path.write_text(asyncio.run(shoot(scene)), encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlops_tui.ui.scenes", description=__doc__)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--scene", action="append", dest="scenes", help="only this scene (repeatable)")
    args = parser.parse_args(argv)
    try:
        import time_machine  # noqa: F401
    except ImportError:
        print("screenshots need time-machine (pip install 'mlops-tui[test]')", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as home:
        # the user's config, themes and remembered theme stay out of the pictures
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(Path(home) / var.lower())
        for var in ("MLOPS_TUI_CONFIG", "MLOPS_TUI_USER", "TEXTUAL_THEME"):
            os.environ.pop(var, None)
        paths = write_screenshots(args.out, args.scenes)
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
