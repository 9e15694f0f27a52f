"""Helpers for driving the app in tests: build it, wait for data, read what the screen shows."""

from __future__ import annotations

import html
import re
from pathlib import Path

from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from tests.conftest import wait_until

_TEXT = re.compile(r'<text[^>]*\by="([\d.]+)"[^>]*\bx="([\d.]+)"[^>]*>(.*?)</text>|'
                   r'<text[^>]*\bx="([\d.]+)"[^>]*\by="([\d.]+)"[^>]*>(.*?)</text>', re.S)
_TAG = re.compile(r"<[^>]+>")


def screen_text(app: MlopsApp) -> str:
    """What a person sees: the screenshot's text, line by line."""
    svg = app.export_screenshot()
    lines: dict[float, list[tuple[float, str]]] = {}
    for m in _TEXT.finditer(svg):
        if m.group(1) is not None:
            y, x, body = float(m.group(1)), float(m.group(2)), m.group(3)
        else:
            x, y, body = float(m.group(4)), float(m.group(5)), m.group(6)
        text = html.unescape(_TAG.sub("", body)).replace("\xa0", " ")
        lines.setdefault(y, []).append((x, text))
    return "\n".join("".join(t for _, t in sorted(parts)) for _, parts in sorted(lines.items()))


def demo_app(tmp_path: Path, *, runs: int = 300, read_only: bool = False, backends=None, **kw) -> MlopsApp:
    runtime = build_runtime(
        None,
        demo=True,
        demo_runs=runs,
        read_only=read_only,
        audit_path=tmp_path / "audit.jsonl",
        backends=backends,
        **kw,
    )
    return MlopsApp(runtime)


async def wait_for_data(app: MlopsApp, pilot, timeout: float = 15.0) -> None:
    """Until every backend has answered once and the screen has repainted."""
    await wait_until(
        lambda: app.snapshot.statuses and all(s.state.value != "pending" for s in app.snapshot.statuses),
        timeout=timeout,
        pilot=pilot,
    )
    await pilot.pause(0.1)
