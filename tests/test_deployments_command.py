"""`mlops-tui deployments list|wait` on the demo world: the table, the JSON shape, exit codes."""

from __future__ import annotations

import json

from mlops_tui.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_has_the_fields_a_pipeline_reads(capsys):
    code, out, err = run(capsys, "deployments", "list", "--json")
    assert code == 0, err
    items = json.loads(out)
    assert items
    for key in (
        "name",
        "health",
        "ready",
        "served_version",
        "expected_version",
        "mismatch",
        "requests_per_second",
        "error_rate",
        "latency_p95_ms",
        "reason",
        "backend",
    ):
        assert all(key in d for d in items), key
    order = {"down": 0, "degraded": 1, "unknown": 2, "healthy": 3}
    assert [order[d["health"]] for d in items] == sorted(order[d["health"]] for d in items)


def test_list_table_names_every_deployment(capsys):
    code, out, _ = run(capsys, "deployments", "list")
    assert code == 0
    _, json_out, _ = run(capsys, "deployments", "list", "--json")
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["deployment", "env", "health"]
    assert {r.split()[0] for r in rows} == {d["name"] for d in json.loads(json_out)}


def test_wait_exit_codes(capsys):
    _, out, _ = run(capsys, "deployments", "list", "--json")
    healthy = next(d["name"] for d in json.loads(out) if d["health"] == "healthy")
    code, out, _ = run(capsys, "deployments", "wait", healthy, "--for", "ready", "--timeout", "20")
    assert code == 0 and f"{healthy}: ready" in out
    code, _, err = run(capsys, "deployments", "wait", "no-such-thing", "--for", "ready", "--timeout", "20")
    assert code == 2 and "no deployment named no-such-thing" in err
    code, _, err = run(capsys, "deployments", "wait", healthy, "--for", "ready", "--timeout", "-1")
    assert code == 2
