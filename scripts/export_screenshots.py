"""Write screenshots/ from the demo world: one SVG per view, plus details and dialogs.

Run:  .venv/bin/python scripts/export_screenshots.py [--size 160x48]
The demo clock is frozen (speed 0) so a run shows one consistent moment.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_tui.backends.demo.backend import DemoBackend  # noqa: E402
from mlops_tui.services.runtime import build_runtime  # noqa: E402
from mlops_tui.ui.app import MlopsApp  # noqa: E402

SHOTS = [
    ("overview", []),
    ("runs", ["2"]),
    ("run-detail", ["2", "enter"]),
    ("compare", ["2", "space", "down", "space", "down", "space", "c"]),
    ("models", ["3"]),
    ("approval", ["3", "a"]),
    ("deployments", ["4"]),
    ("deployment-detail", ["4", "enter"]),
    ("alerts", ["5"]),
    ("alert-detail", ["5", "enter"]),
    ("drift", ["6"]),
    ("help", ["2", "question_mark"]),
]


async def shoot(name: str, keys: list[str], size: tuple[int, int], out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        backend = DemoBackend("demo", DemoBackend.Options(speed=0))
        runtime = build_runtime(None, demo=True, backends=[backend], audit_path=Path(tmp) / "audit.jsonl")
        runtime.user = "screenshot"
        runtime.actions.user = "screenshot"
        app = MlopsApp(runtime)
        async with app.run_test(size=size) as pilot:
            while not app.snapshot.generation or not app.snapshot.runs:
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            for key in keys:
                await pilot.press(key)
                await pilot.pause(0.3)
            await pilot.pause(0.5)  # metric histories and sparklines
            app.save_screenshot(f"{name}.svg", str(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="160x48")
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    args = parser.parse_args()
    cols, rows = (int(v) for v in args.size.split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, keys in SHOTS:
        asyncio.run(shoot(name, keys, (cols, rows), out))
        print(out / f"{name}.svg")


if __name__ == "__main__":
    main()
