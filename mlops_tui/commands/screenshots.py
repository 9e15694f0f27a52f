"""`mlops-tui screenshots --out DIR`: SVGs of every view and dialog from the frozen demo world.

The scenes live in the UI (mlops_tui/ui/scenes.py, shared with the snapshot tests); a command
may not import the UI, so this one runs it as its own process, as `serve` runs the app.
"""

from __future__ import annotations

import argparse
import subprocess
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "screenshots",
        help="write SVG screenshots of every view from the demo world (same files every run)",
        description="Write one SVG per view and dialog at 160x48, the Overview in every shipped theme "
        "and at 80x24, from the demo world at a fixed moment with a frozen clock. Running it twice "
        "writes identical files.",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the SVGs to (created if missing)")
    p.add_argument("--scene", action="append", default=[], metavar="NAME", help="only this scene (repeatable)")
    p.set_defaults(handler=cmd_screenshots)


def cmd_screenshots(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "mlops_tui.ui.scenes", "--out", args.out]
    for name in args.scene:
        command += ["--scene", name]
    return subprocess.run(command, check=False).returncode
