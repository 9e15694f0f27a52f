"""`mlops-tui runs list --experiment E --json` over 10,000 runs, as a whole process, side by side
with a script using MLflow's own `MlflowClient.search_runs` paged loop.

Run:  .venv/bin/python bench/bench_headless_runs.py [--runs 10000] [--rounds 3]

The server and its sqlite store are those of bench/bench_mlflow.py (seeded once into
.test-servers/bench/mlflow-<runs>.db). Each round, alternately:

  mlflow client   a fresh process of the server venv's python running the paged search_runs
                  loop (page size 1000), wall clock from outside, `import mlflow` included
  ours, cold      a fresh `python -m mlops_tui runs list --experiment E --json` with an empty
                  runs cache: every page fetched, the whole answer printed (checked: all runs)
  ours, warm      the same with the cache the cold run left (runs already seen): the cached
                  set is checked against the server by the cheap incremental refresh

Targets (issue #11): cold no slower than the MLflow client; warm at most a quarter of it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_mlflow import BENCH_DIR, CLIENT, EXPERIMENT, seeded_db  # noqa: E402
from tests.mlflow.server import VENV, MlflowServer, ensure_mlflow, server_env  # noqa: E402


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    took = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"{cmd[:4]} exited {out.returncode}: {out.stderr[-2000:]}")
    return took, out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    ensure_mlflow()
    db = seeded_db(args.runs)
    home = Path(tempfile.mkdtemp(prefix="bench-headless-"))
    with MlflowServer(BENCH_DIR / "server", db=db) as server:
        exp_id = server.rest("GET", "experiments/get-by-name", params={"experiment_name": EXPERIMENT})["experiment"][
            "experiment_id"
        ]
        config = home / "config.toml"
        config.write_text(f'[[backends]]\nname = "mlflow"\nkind = "mlflow"\nurl = "{server.url}"\n')
        ours_cmd = [
            sys.executable,
            "-m",
            "mlops_tui",
            "runs",
            "list",
            "--experiment",
            EXPERIMENT,
            "--json",
            "--config",
            str(config),
            "--timeout",
            "600",
        ]
        client_cmd = [str(VENV / "bin" / "python"), "-c", CLIENT, server.url, exp_id, "1000"]
        print(f"server {server.url} (mlflow {server.server_version()}), {args.runs:,} runs")

        rows = []
        for round_no in range(1, args.rounds + 1):
            env = dict(
                os.environ,
                XDG_CACHE_HOME=str(home / f"cache-{round_no}"),
                XDG_DATA_HOME=str(home / "data"),
                XDG_CONFIG_HOME=str(home / "config"),
            )
            client, out = timed(client_cmd, server_env())
            assert json.loads(out.strip().splitlines()[-1])["runs"] == args.runs
            cold, out = timed(ours_cmd, env)
            assert len(json.loads(out)["items"]) == args.runs, "cold: not every run printed"
            warm, out = timed(ours_cmd, env)
            assert len(json.loads(out)["items"]) == args.runs, "warm: not every run printed"
            rows.append({"mlflow client": client, "ours, cold": cold, "ours, warm": warm})
            print(f"round {round_no}: " + "  ".join(f"{k} {v:.2f}s" for k, v in rows[-1].items()))

    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(f"\nmedian of {args.rounds} rounds (whole processes, {args.runs:,} runs)")
    for name, seconds in med.items():
        print(f"  {name:<14} {seconds:7.2f}s  {seconds / med['mlflow client']:5.2f}x client")
    cold_ok = med["ours, cold"] <= med["mlflow client"]
    warm_ok = med["ours, warm"] <= med["mlflow client"] / 4
    print("\ntargets")
    print(
        f"  cold <= mlflow client:      {med['ours, cold'] / med['mlflow client']:.2f}x  "
        f"{'ok' if cold_ok else 'MISSED'}"
    )
    print(
        f"  warm <= 1/4 mlflow client:  {med['ours, warm'] / med['mlflow client']:.2f}x  "
        f"{'ok' if warm_ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
