"""A newly firing critical alert raises a notification (and the bell when enabled), in any view."""

from __future__ import annotations

from datetime import datetime, timezone

from mlops_tui.backends.base import Backend, Capability
from mlops_tui.domain import Alert
from tests.conftest import wait_until
from tests.helpers import demo_app, poll_now, screen_text, wait_for_data


class Paging(Backend):
    """Quiet at first; a critical alert fires once `fire` is set."""

    kind = "paging"
    capabilities = frozenset({Capability.ALERTS})
    fire = False

    async def list_alerts(self):
        if not Paging.fire:
            return []
        labels = {"alertname": "ModelDown", "severity": "critical", "model": "fraud-xgb"}
        return [
            Alert(
                fingerprint="fp1",
                labels=labels,
                annotations={"summary": "fraud-xgb answers 503"},
                starts_at=datetime.now(timezone.utc),
                backend=self.name,
            )
        ]


async def test_a_new_critical_alert_notifies_and_rings_when_enabled(tmp_path):
    Paging.fire = False
    app = demo_app(tmp_path, backends=[Paging("am")])
    app.runtime.bell = True
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # the terminal bell, counted
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")  # on another view than Alerts
        Paging.fire = True
        app.runtime.hub.refresh()
        await wait_until(lambda: "CRITICAL alert firing" in screen_text(app), pilot=pilot)
        assert "ModelDown on fraud-xgb: fraud-xgb answers 503" in screen_text(app)
        assert rings == [1]
        # still firing on the next poll: not new, so no second notification or ring
        await poll_now(app, pilot)  # that snapshot was handled: any notification or ring is done
        assert rings == [1]


async def test_no_bell_unless_enabled(tmp_path):
    Paging.fire = False
    app = demo_app(tmp_path, backends=[Paging("am")])
    rings: list[int] = []
    app.bell = lambda: rings.append(1)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_for_data(app, pilot)
        Paging.fire = True
        app.runtime.hub.refresh()
        await wait_until(lambda: "CRITICAL alert firing" in screen_text(app), pilot=pilot)
        assert rings == []
