"""Text from a backend is shown literally in every view and detail screen.

A run, model, deployment, alert and feature whose names carry Rich markup or terminal escape
sequences must show those characters visibly, and never reach the terminal as control.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mlops_tui.backends.base import Backend, Capability
from mlops_tui.domain import (
    Alert,
    Deployment,
    DeploymentHealth,
    DriftScore,
    Event,
    EventKind,
    Experiment,
    HealthSample,
    MetricPoint,
    ModelVersion,
    PromotionRequest,
    RegisteredModel,
    Run,
    RunStatus,
)
from mlops_tui.ui.literal import literal, visible
from tests.conftest import wait_until
from tests.helpers import demo_app, screen_text, wait_for_data

MARKUP = "[bold red]x[/]"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
CLEAR = "\x1b[2J"
EVIL = f"{CLEAR}{MARKUP}{OSC52}"
NOW = datetime.now(timezone.utc)


class HostileBackend(Backend):
    """Every name, label and annotation it returns is hostile."""

    kind = "hostile"
    capabilities = frozenset(Capability)

    async def list_experiments(self):
        return [Experiment(id="1", name=f"exp{EVIL}", backend=self.name)]

    async def list_runs(self):
        return [
            Run(
                id="r1",
                experiment_id="1",
                name=f"run{EVIL}",
                status=RunStatus.FINISHED,
                start_time=NOW - timedelta(hours=1),
                end_time=NOW,
                user=f"user{EVIL}",
                params={f"param{EVIL}": f"value{EVIL}"},
                metrics={"auc": 0.9},
                tags={f"tag{EVIL}": f"tagvalue{EVIL}"},
                backend=self.name,
            )
        ]

    async def metric_history(self, run_id, key):
        return [MetricPoint(step=i, value=i / 10) for i in range(5)]

    async def list_models(self):
        return [RegisteredModel(name=f"model{EVIL}", aliases={"champion": "1"}, latest_version="2", backend=self.name)]

    async def list_versions(self):
        return [
            ModelVersion(
                model=f"model{EVIL}",
                version=v,
                aliases=a,
                run_id="r1",
                tags={f"t{EVIL}": f"v{EVIL}"},
                source=f"src{EVIL}",
                backend=self.name,
            )
            for v, a in (("1", ("champion",)), ("2", ()))
        ]

    async def alias_holder(self, model, alias):
        return "1"

    async def list_promotions(self):
        return [
            PromotionRequest(
                model=f"model{EVIL}",
                version="2",
                requester=f"req{EVIL}",
                requested_at=NOW,
                note=f"note{EVIL}",
                backend=self.name,
            )
        ]

    async def list_deployments(self):
        return [
            Deployment(
                name=f"dep{EVIL}",
                model=f"model{EVIL}",
                version="1",
                health=DeploymentHealth.DOWN,
                endpoint=f"http://x/{EVIL}",
                environment=f"env{EVIL}",
                backend=self.name,
            )
        ]

    async def list_health(self):
        return [
            HealthSample(deployment=f"dep{EVIL}", time=NOW - timedelta(minutes=i), latency_p95_ms=100 + i)
            for i in range(5)
        ]

    async def list_alerts(self):
        labels = {
            "alertname": f"alert{EVIL}",
            "severity": "critical",
            "model": f"model{EVIL}",
            "deployment": f"dep{EVIL}",
            f"label{EVIL}": f"lv{EVIL}",
        }
        return [
            Alert(
                fingerprint="f1",
                labels=labels,
                starts_at=NOW - timedelta(minutes=5),
                annotations={"summary": f"summary{EVIL}", "runbook_url": f"https://rb/{EVIL}"},
                generator_url=f"http://gen/{EVIL}",
                backend=self.name,
            )
        ]

    async def list_silences(self):
        return []

    async def list_drift(self):
        return [
            DriftScore(
                model=f"model{EVIL}",
                feature=f"feat{EVIL}",
                score=0.5,
                threshold=0.2,
                method=f"m{EVIL}",
                time=NOW - timedelta(hours=i),
                backend=self.name,
            )
            for i in range(3)
        ]

    async def list_events(self):
        return [
            Event(
                time=NOW - timedelta(minutes=30),
                model=f"model{EVIL}",
                kind=EventKind.PROMOTION,
                text=f"event{EVIL}",
                backend=self.name,
            )
        ]


def test_visible_replaces_every_control_character():
    shown = visible(EVIL)
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown == "␛[2J[bold red]x[/]␛]52;c;ZXZpbA==␇"
    assert literal(MARKUP).plain == MARKUP  # a Text, so markup is not parsed


def assert_literal(app, where: str) -> None:
    text = screen_text(app)
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\x07" not in svg, f"{where}: a control character reached the screen"
    assert MARKUP in text, f"{where}: markup was interpreted or lost:\n{text}"
    assert "␛[2J" in text, f"{where}: the escape sequence is not shown visibly"


VIEWS = [("1", "overview"), ("2", "runs"), ("3", "models"), ("4", "deploy"), ("5", "alerts"), ("6", "drift")]


@pytest.mark.parametrize(("key", "mode"), VIEWS)
async def test_every_view_shows_backend_text_literally(tmp_path, key, mode):
    app = demo_app(tmp_path, backends=[HostileBackend("evil")])
    async with app.run_test(size=(240, 50)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press(key)
        await wait_until(lambda: app.current_mode == mode, pilot=pilot)
        await pilot.pause()  # painted
        assert_literal(app, mode)


DETAILS = [
    ("2", ["enter"], "run detail", "value"),  # params are shown
    ("3", ["tab", "enter"], "version detail", "src"),
    ("4", ["enter"], "deployment detail", "env"),
    ("5", ["enter"], "alert detail", "summary"),
    ("6", ["enter"], "drift history", "feat"),
]


@pytest.mark.parametrize(("key", "keys", "where", "word"), DETAILS)
async def test_every_detail_screen_shows_backend_text_literally(tmp_path, key, keys, where, word):
    app = demo_app(tmp_path, backends=[HostileBackend("evil")])
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press(key)
        await pilot.pause()
        await pilot.press(*keys)
        await wait_until(lambda: len(app.screen_stack) > 1, pilot=pilot)  # the detail opened
        await pilot.pause()  # painted
        assert_literal(app, where)
        assert f"{word}␛[2J{MARKUP}" in screen_text(app)


async def test_dialogs_show_backend_text_literally(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", "approver")
    app = demo_app(tmp_path, backends=[HostileBackend("evil")])
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("3", "a")  # the approval dialog of the hostile request
        await wait_until(lambda: type(app.screen).__name__ == "ApprovalDialog", pilot=pilot)
        await pilot.pause()  # painted
        assert_literal(app, "approval dialog")
        await pilot.press("escape", "5", "a")  # the ack confirmation
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmDialog", pilot=pilot)
        await pilot.pause()  # painted
        assert_literal(app, "ack dialog")
