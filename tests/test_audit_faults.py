"""The audit log under faults: a writer killed mid-burst leaves whole lines, and says where it
tore; two processes appending at once never interleave their lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlops_tui.cli import main
from mlops_tui.core.paths import audit_log_path
from mlops_tui.services.audit import AuditLog

REPO = Path(__file__).resolve().parents[1]

WRITER = r"""
import sys
from pathlib import Path
from mlops_tui.services.audit import AuditLog
log = AuditLog(Path(sys.argv[1]))
who, count, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for i in range(count):
    log.append(user=who, action="ack", target=f"{who}-{i}", outcome="ok", detail={"pad": who[0] * size})
"""


def writer(path: Path, who: str, count: int, size: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), who, str(count), str(size)],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


def test_two_processes_appending_at_once_never_interleave(tmp_path):
    path = tmp_path / "audit.jsonl"
    # lines of 40 KB: bigger than any write buffer, so a line written in pieces would show
    procs = [writer(path, who, 150, 40_000) for who in ("alice", "bob")]
    for proc in procs:
        assert proc.wait(timeout=300) == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 300
    entries = [json.loads(line) for line in lines]  # every line one whole entry
    for who in ("alice", "bob"):
        mine = [e["target"] for e in entries if e["user"] == who]
        assert mine == [f"{who}-{i}" for i in range(150)]
        assert all(e["detail"]["pad"] == who[0] * 40_000 for e in entries if e["user"] == who)


def test_kill_9_mid_burst_leaves_whole_lines_and_audit_names_a_torn_one(tmp_path, capsys):
    path = audit_log_path()
    proc = writer(path, "carol", 100_000, 2_000)
    deadline = time.monotonic() + 60
    while (not path.exists() or path.stat().st_size < 200_000) and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for the burst to be under way, then it is killed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    text = path.read_text()
    complete = text.splitlines(keepends=True)
    whole = [line for line in complete if line.endswith("\n")]
    assert len(whole) > 50
    for line in whole:
        assert json.loads(line)["user"] == "carol"

    # a crash mid-line, made sure of (a kill rarely lands inside one write): the log reads on
    with path.open("a") as fh:
        fh.write('{"time": "2026-11-30T10:02:00+00:00", "user": "carol", "act')
    contents = AuditLog(path).read()
    assert [s.reason for s in contents.skipped] == ["not valid JSON: a torn last line (its writer stopped mid-entry)"]
    assert len(contents.entries) == len(whole)
    assert main(["audit"]) == 0
    err = capsys.readouterr().err
    assert f"{path}:{len(whole) + 1}: skipped a line that is not valid JSON: a torn last line" in err

    # the next entry is not glued to the torn line: it stays readable
    AuditLog(path).append(user="dave", action="ack", target="x", outcome="failed")
    contents = AuditLog(path).read()
    assert contents.entries[-1]["user"] == "dave" and len(contents.skipped) == 1
