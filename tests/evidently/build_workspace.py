"""Build the Evidently workspace the tests read: run with the evidently venv's Python.

    .test-servers/evidently-venv/bin/python tests/evidently/build_workspace.py DIR

Two small data frames per project (reference and current) with deliberate drift in some
columns and none in others (their current data is the reference shuffled), one report
(DataDriftPreset) per snapshot at fixed UTC times, and `manifest.json` in DIR saying what
was built. Deterministic apart from the ids Evidently assigns. The test fixture caches the
result keyed by this file's content, so edit it freely: the next run rebuilds.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
from evidently.ui.workspace import Workspace

ROWS = 400  # under 1000 rows Evidently picks p-value tests (K-S, chi-square, Z) by default
START = datetime(2026, 11, 1, tzinfo=UTC)


def fraud_frames(rng: np.random.Generator, step: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ref = pd.DataFrame(
        {
            "age": rng.normal(40, 8, ROWS),
            "income": rng.normal(50_000, 9_000, ROWS),
            "amount": rng.lognormal(3, 0.5, ROWS),
            "tenure": rng.uniform(0, 10, ROWS),
            "country": rng.choice(["de", "fr", "it", "es"], ROWS),
            "plan": rng.choice(["basic", "pro"], ROWS),
        }
    )
    shuffled = ref.sample(frac=1.0, random_state=step).reset_index(drop=True)
    cur = pd.DataFrame(
        {
            "age": rng.normal(52 + 2 * step, 8, ROWS),  # drifted, more so each snapshot
            "income": shuffled["income"],  # stable: the same values
            "amount": rng.lognormal(4 + 0.2 * step, 0.5, ROWS),  # drifted
            "tenure": shuffled["tenure"],  # stable
            "country": rng.choice(["de", "fr", "it", "es"], ROWS, p=[0.7, 0.1, 0.1, 0.1]),  # drifted
            "plan": shuffled["plan"],  # stable
        }
    )
    return ref, cur


def churn_frames(rng: np.random.Generator, step: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ref = pd.DataFrame(
        {
            "sessions": rng.poisson(12, ROWS).astype(float),
            "device": rng.choice(["ios", "android", "web"], ROWS),
        }
    )
    shuffled = ref.sample(frac=1.0, random_state=step).reset_index(drop=True)
    cur = pd.DataFrame(
        {
            "sessions": shuffled["sessions"],  # stable
            "device": rng.choice(["ios", "android", "web"], ROWS, p=[0.05, 0.05, 0.9]),  # drifted
        }
    )
    return ref, cur


def main(directory: str) -> None:
    root = Path(directory)
    ws = Workspace.create(str(root))
    rng = np.random.default_rng(20261101)
    manifest: dict = {"projects": {}}

    # fraud: the model name is in each snapshot's metadata (model_from = "tag").
    fraud = ws.create_project("fraud")
    fraud_report = Report(
        [DataDriftPreset(per_column_method={"amount": "psi", "tenure": "wasserstein"})],
        metadata={"model": "fraud-xgb"},
        tags=["nightly"],
    )
    snaps = []
    for step in range(4):
        when = START + timedelta(hours=6 * step)
        ref, cur = fraud_frames(rng, step)
        run = fraud_report.run(current_data=cur, reference_data=ref, timestamp=when)
        snaps.append({"id": str(ws.add_run(fraud.id, run).id), "timestamp": when.isoformat()})
    manifest["projects"]["fraud"] = {"id": str(fraud.id), "snapshots": snaps}

    # churn: the model name is a tag "model=churn-lgbm" only.
    churn = ws.create_project("churn")
    churn_report = Report(
        [DataDriftPreset(per_column_method={"sessions": "hellinger", "device": "jensenshannon"})],
        tags=["model=churn-lgbm"],
    )
    snaps = []
    for step in range(3):
        when = START + timedelta(days=1, hours=8 * step)
        ref, cur = churn_frames(rng, step)
        run = churn_report.run(current_data=cur, reference_data=ref, timestamp=when)
        snaps.append({"id": str(ws.add_run(churn.id, run).id), "timestamp": when.isoformat()})
    manifest["projects"]["churn"] = {"id": str(churn.id), "snapshots": snaps}

    # live: only the test that adds and deletes snapshots through the API reads it.
    live = ws.create_project("live")
    live_report = Report([DataDriftPreset()])
    snaps = []
    for step in range(2):
        when = START + timedelta(days=2, hours=step)
        ref, cur = churn_frames(rng, step)
        run = live_report.run(current_data=cur, reference_data=ref, timestamp=when)
        snaps.append({"id": str(ws.add_run(live.id, run).id), "timestamp": when.isoformat()})
    manifest["projects"]["live"] = {"id": str(live.id), "snapshots": snaps}

    # A project nobody has reported to yet.
    empty = ws.create_project("empty")
    manifest["projects"]["empty"] = {"id": str(empty.id), "snapshots": []}

    (root / "manifest.json").write_text(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build_workspace.py DIR")
    main(sys.argv[1])
