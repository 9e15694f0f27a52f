"""`mlops-tui doctor` against a real server: one backend in a config file, the JSON report back."""

from __future__ import annotations

import json
from pathlib import Path

from mlops_tui.cli import main


def doctor(tmp_path: Path, capsys, backend_toml: str) -> tuple[int, dict]:
    config = tmp_path / "doctor.toml"
    config.write_text("[[backends]]\n" + backend_toml)
    code = main(["doctor", "--config", str(config), "--json", "--timeout", "60"])
    out = capsys.readouterr().out
    return code, json.loads(out)["backends"][0]


def found(report: dict, capability: str) -> int:
    for entry in report["capabilities"]:
        name, _, count = entry.partition(":")
        if name == capability:
            return int(count)
    raise AssertionError(f"{capability} not among {report['capabilities']}")
