"""Driving the app and the CLI against the on-call pipeline (pipeline.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.config.settings import Settings
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from tests.alertmanager.app_support import USER, confirm, open_alerts, wait_for_row  # noqa: F401  (re-exported to the tests)
from tests.conftest import wait_until
from tests.oncall.pipeline import PipelineCase


def oncall_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: PipelineCase, *, read_only: bool = False, **settings
) -> MlopsApp:
    """The app on the pipeline's Alertmanager (filtered to this test's model), polling every 1 s."""
    monkeypatch.setenv("MLOPS_TUI_USER", USER)
    backend = AlertmanagerBackend("am", AlertmanagerBackend.Options(url=case.am.url, filters=[case.filter]))
    runtime = build_runtime(
        Settings(refresh_seconds=1.0, **settings),
        backends=[backend],
        audit_path=tmp_path / "audit.jsonl",
        read_only=read_only,
    )
    return MlopsApp(runtime)


def write_config(tmp_path: Path, case: PipelineCase, **top: object) -> Path:
    """A config file for headless commands on this test's slice of the pipeline."""
    lines = [
        f"{k} = {v!r}".replace("'", '"') if not isinstance(v, bool) else f"{k} = {str(v).lower()}"
        for k, v in {"refresh_seconds": 1.0, **top}.items()
    ]
    lines += [
        "[contexts.default]",
        "[[contexts.default.backends]]",
        'name = "am"',
        'kind = "alertmanager"',
        f'url = "{case.am.url}"',
        f"filters = ['{case.filter}']",
    ]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def wait_on(pilot, predicate, timeout: float, what: str):
    """Wait (yielding to the app) until `predicate()` returns something truthy; return it."""
    found = None

    def check() -> bool:
        nonlocal found
        found = predicate()
        return bool(found)

    try:
        await wait_until(check, timeout=timeout, interval=0.25, pilot=pilot)
    except AssertionError:
        raise AssertionError(what) from None
    return found
