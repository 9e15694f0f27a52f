"""Child of bench_app.py: from process start to the painted Overview, printed in seconds.

argv[1] is the parent's time.time() right before it spawned this process, so interpreter
start-up and every import count. The app starts through the real entry point
(`mlops_tui.cli.main(["--demo"])`, what the `mlops-tui` script runs: argument parsing, logging,
config lookup, runtime, app), only headless at 160x48 instead of on a terminal. The clock stops
when each Overview panel that has data has rendered its first row; the app then exits.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import time

START = float(sys.argv[1])
PANELS = ("ov-alerts", "ov-deployments", "ov-promotions", "ov-runs")


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Runs `patches[name](module)` right after the module `name` is first executed."""

    def __init__(self, patches: dict) -> None:
        self.patches = patches

    def find_spec(self, name, path, target=None):  # noqa: ANN001
        patch = self.patches.pop(name, None)
        if patch is None:
            return None
        spec = importlib.util.find_spec(name)
        execute = spec.loader.exec_module

        def exec_module(module) -> None:  # noqa: ANN001
            execute(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec


def main() -> float:
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from mlops_tui import cli

    painted: dict[str, float] = {}
    done: list[float] = []
    originals: dict[str, object] = {}

    def render_line(grid, y):  # noqa: ANN001
        strip = originals["render_line"](grid, y)
        if grid.id in PANELS and grid.total_rows and y == 1:
            painted.setdefault(grid.id, time.time())
            snap = grid.app.snapshot
            wanted = {
                "ov-alerts": bool(snap.firing_alerts),
                "ov-deployments": bool(snap.unhealthy_deployments),
                "ov-promotions": bool(snap.pending_promotions),
                "ov-runs": bool(snap.runs),
            }
            if not done and snap.generation and all(painted.get(k) for k, v in wanted.items() if v):
                done.append(max(painted[k] for k, v in wanted.items() if v) - START)
                grid.app.call_later(grid.app.exit)
        return strip

    def run(app, **kwargs):  # noqa: ANN001
        return originals["run"](app, headless=True, size=(160, 48))

    def patch_grid(module) -> None:  # noqa: ANN001
        originals["render_line"] = module.DataGrid.render_line
        module.DataGrid.render_line = render_line

    def patch_app(module) -> None:  # noqa: ANN001
        originals["run"] = module.MlopsApp.run
        module.MlopsApp.run = run

    # Patch the modules when the app imports them, so they load in the app's own order.
    sys.meta_path.insert(
        0,
        _PatchOnImport(
            {
                "mlops_tui.ui.widgets.data_grid": patch_grid,
                "mlops_tui.ui.app": patch_app,
            }
        ),
    )
    code = cli.main(["--demo"])
    if code != 0 or not done:
        raise SystemExit(f"the Overview never filled (exit code {code})")
    return done[0]


if __name__ == "__main__":
    print(f"{main():.4f}")
