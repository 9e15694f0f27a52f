"""Unknown is not empty: with Alertmanager and MLflow unreachable, no view says "nothing there".

The config points both at a closed port on 127.0.0.1. The views must name the backend and its
state in place of their empty-state text ("No alert firing", "Every deployment is healthy").
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from mlops_tui.config.loader import find_settings
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.screens.alerts import AlertsScreen
from mlops_tui.ui.screens.runs import RunsScreen
from tests.conftest import wait_until
from tests.helpers import screen_text, wait_for_text
from tests.server_process import free_port

SIZE = (200, 50)
LIES = (
    "No alert firing",
    "No active alerts",
    "Every deployment is healthy",
    "No runs",
    "No pending promotion request",
    "No registered model versions",
)


def unreachable_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
refresh_seconds = 30

[[backends]]
name = "am-eu"
kind = "alertmanager"
url = "http://127.0.0.1:{port}"
timeout_seconds = 2

[[backends]]
name = "mlflow"
kind = "mlflow"
url = "http://127.0.0.1:{port}"
timeout_seconds = 2
""")
    return path


def unreachable_app(tmp_path: Path) -> MlopsApp:
    settings, path = find_settings(unreachable_config(tmp_path, free_port()))
    runtime = build_runtime(settings, config_path=path, audit_path=tmp_path / "audit.jsonl")
    return MlopsApp(runtime)


def no_lies(text: str) -> None:
    for lie in LIES:
        assert lie not in text, f"{lie!r} shown while its source is unreachable:\n{text}"


async def test_unreachable_sources_are_said_unknown_in_every_view(tmp_path):
    app = unreachable_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            lambda: all(s.state.value == "unreachable" for s in app.snapshot.statuses),
            timeout=15,
            pilot=pilot,
        )
        text = await wait_for_text(
            app,
            pilot,
            "Alerts unknown: am-eu unreachable",
            "Runs unknown: mlflow unreachable",
            "Promotions unknown: mlflow unreachable",
        )
        assert "Alerts unknown: am-eu unreachable since " in text
        assert "Deployments: no configured backend provides deployments" in text
        no_lies(text)

        await pilot.press("5")
        await wait_until(lambda: isinstance(app.screen, AlertsScreen), pilot=pilot)
        text = await wait_for_text(app, pilot, "Alerts unknown: am-eu unreachable")
        no_lies(text)

        await pilot.press("2")
        await wait_until(lambda: isinstance(app.screen, RunsScreen), pilot=pilot)
        text = await wait_for_text(app, pilot, "Runs unknown: mlflow unreachable")
        no_lies(text)
        assert "Traceback" not in screen_text(app)


async def test_before_the_first_answer_the_views_say_not_answered_yet(tmp_path):
    # a hung port: accepted, never answered; the first poll is still out when the screen is drawn
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        settings, path = find_settings(unreachable_config(tmp_path, listener.getsockname()[1]))
        app = MlopsApp(build_runtime(settings, config_path=path, audit_path=tmp_path / "audit.jsonl"))
        async with app.run_test(size=SIZE) as pilot:
            text = await wait_for_text(app, pilot, "Alerts unknown: am-eu has not answered yet")
            no_lies(text)
    finally:
        listener.close()


async def test_a_partial_list_shows_what_it_has_and_names_what_is_missing(tmp_path):
    from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
    from mlops_tui.backends.demo.backend import DemoBackend
    from tests.ui.support import INCIDENT_EPOCH

    backends = [
        DemoBackend("demo", DemoBackend.Options(runs=50, epoch=INCIDENT_EPOCH)),
        AlertmanagerBackend(
            "am-eu", AlertmanagerBackend.Options(url=f"http://127.0.0.1:{free_port()}", timeout_seconds=2)
        ),
    ]
    app = MlopsApp(build_runtime(None, backends=backends, audit_path=tmp_path / "audit.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await wait_until(lambda: isinstance(app.screen, AlertsScreen), pilot=pilot)
        text = await wait_for_text(app, pilot, "! missing: am-eu unreachable", "ModelErrorRateHigh")
        assert "Alerts unknown" not in text  # the demo's alerts are there: not an empty list
        no_lies(text)


# -- notifications: only alerts new to this session ----------------------------------------------


class Pager:
    """What a fake Alertmanager answers; the test changes it between polls."""

    alerts: list = []


def _critical(fingerprint: str, name: str, state: str, silenced_by=()):
    from datetime import datetime

    from mlops_tui.domain import Alert, AlertState

    labels = {"alertname": name, "severity": "critical", "model": "fraud-xgb"}
    return Alert(
        fingerprint=fingerprint,
        labels=labels,
        annotations={"summary": f"{name} summary"},
        starts_at=datetime.now(UTC),
        state=AlertState(state),
        silenced_by=silenced_by,
        backend="am",
    )


def _pager_backend():
    from mlops_tui.backends.base import Backend, Capability

    class PagerBackend(Backend):
        kind = "test-pager"
        capabilities = frozenset({Capability.ALERTS})

        async def list_alerts(self):
            return list(Pager.alerts)

    return PagerBackend("am")


async def test_an_alert_unsilenced_by_hand_does_not_pop_as_new_but_a_new_one_does(tmp_path):
    from tests.helpers import demo_app, poll_now

    Pager.alerts = [_critical("fp1", "ModelDown", "suppressed", ("s1",))]
    app = demo_app(tmp_path, backends=[_pager_backend()])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(lambda: app.snapshot.alerts, pilot=pilot)
        # the silence expired by hand: the same alert fires again
        Pager.alerts = [_critical("fp1", "ModelDown", "firing")]
        await poll_now(app, pilot)
        assert app.snapshot.firing_alerts  # the snapshot with it firing was handled
        assert "CRITICAL alert firing" not in screen_text(app)
        # a critical alert never seen in this session
        Pager.alerts = [_critical("fp1", "ModelDown", "firing"), _critical("fp2", "FeatureStoreDown", "firing")]
        app.runtime.hub.refresh()
        await wait_for_text(app, pilot, "CRITICAL alert firing", "FeatureStoreDown on fraud-xgb")
        assert "ModelDown on fraud-xgb" not in screen_text(app)


# -- copy says where the text went ----------------------------------------------------------------


async def test_copy_claims_the_clipboard_only_when_it_surely_has_it(tmp_path, monkeypatch):
    import os

    from tests.helpers import demo_app, wait_for_data

    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLOPS_TUI_OSC52", "0")  # a terminal not known to take OSC 52
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5")
        await wait_until(
            lambda: isinstance(app.screen, AlertsScreen) and app.screen.query_one("#alerts").cursor_row, pilot=pilot
        )
        await pilot.press("c")
        text = await wait_for_text(app, pilot, "Saved 1 alert as Markdown to")
        assert "Copied" not in text
        saved = Path(os.environ["XDG_STATE_HOME"]) / "mlops-tui" / "clipboard.txt"
        assert saved.read_text() == app.clipboard and app.clipboard.startswith("### ")

        monkeypatch.setenv("MLOPS_TUI_OSC52", "1")
        await pilot.press("c")
        await wait_for_text(app, pilot, "Copied 1 alert as Markdown to", "(OSC 52)")  # the toast wraps
