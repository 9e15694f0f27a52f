"""`alerts list` says when `max_alerts` cut the answer: a line on stderr naming the backend, how
many alerts it left out and the setting to raise, and a `cut` object on that source in `--json`.

Against the real Alertmanager the suite already starts (tests/alertmanager/fixtures.py), with
12 alerts and `max_alerts = 5`.
"""

from __future__ import annotations

import json

from mlops_tui.cli import main
from tests.alertmanager import fixtures
from tests.server_process import wait_until

alertmanager_server = fixtures.alertmanager_server
alertmanager_case = fixtures.alertmanager_case


def config(tmp_path, case, max_alerts: int):
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[backends]]\nname = "am-eu"\nkind = "alertmanager"\nurl = "{case.server.url}"\n'
        f"filters = [{json.dumps(case.filter)}]\nmax_alerts = {max_alerts}\n"
    )
    return path


def post_twelve(case, server) -> None:
    case.post(*(case.alert(f"Alert{i:02d}", "critical" if i < 3 else "warning", model=f"m{i}") for i in range(12)))
    wait_until(lambda: len(server.alerts(case.filter)) == 12, 10, "Alertmanager to hold the 12 alerts")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_capped_list_says_what_it_left_out(alertmanager_case, alertmanager_server, tmp_path, capsys):
    post_twelve(alertmanager_case, alertmanager_server)
    cfg = str(config(tmp_path, alertmanager_case, 5))

    code, out, err = run(capsys, "alerts", "list", "--config", cfg)
    assert code == 0
    assert "mlops-tui: alerts cut: am-eu showing 5 of 12 alerts (cap: max_alerts = 5); 7 alerts left out" in err
    assert "raise max_alerts" in err
    assert sum("Alert" in line for line in out.splitlines()) == 5
    assert all(f"Alert{i:02d}" in out for i in range(3))  # the critical ones are kept

    code, out, err = run(capsys, "alerts", "list", "--json", "--config", cfg)
    assert code == 0 and "7 alerts left out" in err
    answer = json.loads(out)
    assert len(answer["items"]) == 5
    (source,) = answer["sources"]
    assert source["name"] == "am-eu" and source["complete"] is True
    assert source["cut"] == {
        "shown": 5,
        "total": 12,
        "left_out": 7,
        "setting": "max_alerts",
        "note": "showing 5 of 12 alerts (cap: max_alerts = 5)",
    }


def test_an_uncut_list_says_nothing_of_a_cap(alertmanager_case, alertmanager_server, tmp_path, capsys):
    post_twelve(alertmanager_case, alertmanager_server)
    cfg = str(config(tmp_path, alertmanager_case, 12))

    code, out, err = run(capsys, "alerts", "list", "--json", "--config", cfg)
    assert code == 0 and "cut" not in err
    answer = json.loads(out)
    assert len(answer["items"]) == 12
    assert answer["sources"][0]["cut"] is None
