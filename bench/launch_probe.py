"""Child of bench_app.py: from process start to the painted Overview, printed in seconds.

argv[1] is the parent's time.time() right before it spawned this process, so interpreter
start-up and every import count.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

START = float(sys.argv[1])
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlops_tui.services.runtime import build_runtime  # noqa: E402
from mlops_tui.ui.app import MlopsApp  # noqa: E402
from mlops_tui.ui.widgets.data_grid import DataGrid  # noqa: E402

PANELS = ("ov-alerts", "ov-deployments", "ov-promotions", "ov-runs")


async def main() -> float:
    painted: dict[str, float] = {}
    original = DataGrid.render_line

    def render_line(grid, y):  # noqa: ANN001
        strip = original(grid, y)
        if grid.id in PANELS and grid.total_rows and y == 1:
            painted.setdefault(grid.id, time.time())
        return strip

    DataGrid.render_line = render_line  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        app = MlopsApp(build_runtime(None, demo=True, audit_path=Path(tmp) / "audit.jsonl"))
        async with app.run_test(size=(160, 48)) as pilot:
            # "full" = every panel that has data painted its first row
            while True:
                await pilot.pause()
                snap = app.snapshot
                wanted = {
                    "ov-alerts": bool(snap.firing_alerts),
                    "ov-deployments": bool(snap.unhealthy_deployments),
                    "ov-promotions": bool(snap.pending_promotions),
                    "ov-runs": bool(snap.runs),
                }
                if snap.generation and all(painted.get(k) for k, v in wanted.items() if v):
                    return max(painted[k] for k, v in wanted.items() if v) - START
                if time.time() - START > 60:
                    raise RuntimeError("the Overview never filled")


if __name__ == "__main__":
    print(f"{asyncio.run(main()):.4f}")
