"""The Alertmanager status panel: receivers and split detection by hand, then `:am` and the
Silences view's `m` against real Alertmanagers (one alone; two that are not one cluster)."""

from __future__ import annotations

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.backends.alertmanager.convert import receivers_from_config
from mlops_tui.config.settings import Settings
from mlops_tui.domain.alerts import AlertmanagerStatus
from mlops_tui.services.am_status import split_problems
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.screens.am_status import AlertmanagerStatusScreen
from tests.alertmanager.app_support import USER
from tests.alertmanager.server import AlertmanagerServer
from tests.conftest import wait_until
from tests.helpers import wait_for_data, wait_for_text
from tests.oncall.support import oncall_app, open_alerts


def test_receivers_are_read_from_the_config_text():
    config = """\
global:
  resolve_timeout: 5m
route:
  receiver: pager
  routes:
    - receiver: "team-ml"   # not a receiver definition
receivers:
  - name: "null"
  - name: pager
    pagerduty_configs:
      - routing_key: x
        name: not-a-receiver
  - name: 'team-ml'  # comment
inhibit_rules: []
"""
    assert receivers_from_config(config) == ("null", "pager", "team-ml")
    # as Alertmanager 0.25 sends it back in status.config.original (lists not indented)
    assert receivers_from_config(
        'route:\n  receiver: "null"\nreceivers:\n- name: "null"\n- name: b\ntemplates: []\n'
    ) == ("null", "b")


def status(name, cluster="ready", peers=()):
    return AlertmanagerStatus(backend=name, version="0.25.0", cluster_status=cluster, peers=tuple(peers))


def test_a_split_pair_is_flagged_and_a_healthy_one_is_not():
    a, b = "01A (10.0.0.1:9094)", "01B (10.0.0.2:9094)"
    assert split_problems([status("am-1", peers=[a, b]), status("am-2", peers=[a, b])]) == []
    assert split_problems([status("am-1", cluster="disabled")]) == []  # one alone is no pair
    disagree = split_problems([status("am-1", peers=[a]), status("am-2", peers=[b])])
    assert disagree == ["split: the peers disagree (am-1 sees 1; am-2 sees 1)"]
    short = split_problems([status("am-1", peers=[a]), status("am-2", peers=[a])])
    assert short == ["split: am-1, am-2 see fewer peers than the 2 configured"]
    off = split_problems([status("am-1", cluster="disabled"), status("am-2", cluster="disabled")])
    assert off == ["split: clustering is off on am-1, am-2; am-1, am-2 do not share silences or acks"]
    settling = split_problems([status("am-1", cluster="settling", peers=[a, b]), status("am-2", peers=[a, b])])
    assert settling == ["cluster not ready: am-1 (settling)"]


async def test_colon_am_shows_version_uptime_cluster_and_receivers(oncall, tmp_path, monkeypatch):
    app = oncall_app(tmp_path, monkeypatch, oncall)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("colon", "a", "m", "enter")
        await wait_until(lambda: isinstance(app.screen, AlertmanagerStatusScreen), timeout=5, pilot=pilot)
        shown = await wait_for_text(
            app,
            pilot,
            "no split seen",
            "version",
            oncall.am.version,
            "up since",
            "cluster",
            "disabled",
            "receivers",
            "null",
        )
        assert " ago)" in shown and "! split" not in shown


async def test_two_alertmanagers_that_are_not_one_cluster_are_flagged_from_the_silences_view(
    oncall, tmp_path, monkeypatch
):
    other = AlertmanagerServer(tmp_path / "am-b", "b").start()
    try:
        monkeypatch.setenv("MLOPS_TUI_USER", USER)
        backends = [
            AlertmanagerBackend("am-a", AlertmanagerBackend.Options(url=oncall.am.url)),
            AlertmanagerBackend("am-b", AlertmanagerBackend.Options(url=other.url)),
        ]
        runtime = build_runtime(Settings(refresh_seconds=1.0), backends=backends, audit_path=tmp_path / "a.jsonl")
        app = MlopsApp(runtime)
        async with app.run_test(size=(160, 48)) as pilot:
            await open_alerts(app, pilot)
            await pilot.press("v")
            await wait_for_text(app, pilot, "m Alertmanager status")
            await pilot.press("m")
            await wait_until(lambda: isinstance(app.screen, AlertmanagerStatusScreen), timeout=5, pilot=pilot)
            await wait_for_text(app, pilot, "! split: clustering is off on am-a, am-b", "am-a", "am-b")
    finally:
        other.stop()
