"""Benchmark: 200 deployments on 4 Open Inference Protocol servers that each take 1 s to
answer every request, polled by the `oip` backend through the hub.

Run:  .venv/bin/python bench/bench_deployments.py [--deployments 200] [--servers 4]
                                                   [--latency 1.0] [--repeat 3] [--refresh 15]

The servers are the fault fake of tests/fakes/oip_faults.py in "slow" mode (every route
answered correctly after `--latency` seconds), on 127.0.0.1, in a child process of their own
(so that their threads do not compete with the client for this process's GIL). Times, each the median of
`--repeat` runs (min and max shown):

- first poll: one `OipBackend.list_deployments()` (all servers concurrently; per server a round
  of live, ready, /v2 and the repository index, then a round of each model's metadata);
- next polls: the same backend again: the index gives every model's readiness and the metadata
  is known, so one round of 4 requests per server;
- merge: `Snapshot.merge` of that poll with the services join (services/deployments.py);
- hub first snapshot: from `Hub.start()` to the first snapshot holding all deployments, the
  figure that says whether the Deployments view can be painted within one refresh.

It also prints the requests each server received per poll, and whether the poll fits one
refresh interval (`--refresh`, the default `refresh_seconds`). Exit code 1 when it does not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlops_tui.backends.base import BackendData
from mlops_tui.backends.oip.backend import OipBackend
from mlops_tui.domain import BackendState, BackendStatus, DeploymentHealth
from mlops_tui.services.hub import Hub
from mlops_tui.services.snapshot import Snapshot
from tests.fakes.oip_faults import FakeOip


def _figures(values: list[float]) -> str:
    return f"median {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deployments", type=int, default=200)
    ap.add_argument("--servers", type=int, default=4)
    ap.add_argument("--latency", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--refresh", type=float, default=15.0)
    ap.add_argument("--serve-fakes", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    per_server = -(-args.deployments // args.servers)
    if args.serve_fakes:
        return serve_fakes(args.servers, per_server, args.latency)
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-fakes", "--servers", str(args.servers),
         "--deployments", str(args.deployments), "--latency", str(args.latency)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None and child.stdin is not None
    urls = json.loads(child.stdout.readline())
    try:
        deployments = [
            {"name": f"dep-{s}-{i}", "url": url, "model": f"model-{s}-{i}", "environment": "prod"}
            for s, url in enumerate(urls)
            for i in range(per_server)
        ][: args.deployments]
        options = OipBackend.Options(deployments=deployments)  # the defaults: 10 s poll, 5 s per server

        polls, repolls, merges = [], [], []
        for _ in range(args.repeat):
            backend = OipBackend("serving", options)

            async def two_polls():
                try:
                    started = time.perf_counter()
                    first = await backend.list_deployments()
                    polls.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await backend.list_deployments()  # metadata known: readiness only
                    repolls.append(time.perf_counter() - started)
                    return first
                finally:
                    await backend.close()

            got = asyncio.run(two_polls())
            assert len(got) == args.deployments, len(got)
            assert all(d.health == DeploymentHealth.HEALTHY for d in got), {d.reason for d in got}
            started = time.perf_counter()
            Snapshot.merge(1, (BackendStatus(name="serving", kind="oip", state=BackendState.OK),),
                           {"serving": BackendData(deployments=tuple(got))})  # fmt: skip
            merges.append(time.perf_counter() - started)

        firsts = []
        for _ in range(args.repeat):
            hub = Hub([OipBackend("serving", options)], refresh_seconds=args.refresh)
            started = time.perf_counter()
            hub.start()
            try:
                while len(hub.snapshot.deployments) < args.deployments:
                    time.sleep(0.01)
                firsts.append(time.perf_counter() - started)
            finally:
                hub.stop()
    finally:
        child.stdin.close()  # the child stops its fakes when its stdin closes
        child.wait(10)

    fits = max(firsts) <= args.refresh
    print(f"{args.deployments} deployments on {args.servers} servers, {args.latency:g} s per request")
    print(f"  first poll:               {_figures(polls)}")
    print(f"  next polls:               {_figures(repolls)}")
    print(f"  merge + join:             {_figures(merges)}")
    print(f"  hub start -> snapshot:    {_figures(firsts)}")
    print(
        f"  requests per server: first poll {per_server + 4} in two rounds (live, ready, /v2 and the "
        f"repository index; then each model's metadata), later polls 4 in one round"
    )
    print(f"  load average while it ran: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  fits one refresh ({args.refresh:g} s): {'yes' if fits else 'NO'}")
    return 0 if fits else 1


def serve_fakes(servers: int, per_server: int, latency: float) -> int:
    fakes = [
        FakeOip("slow", models=[f"model-{s}-{i}" for i in range(per_server)], latency=latency).start()
        for s in range(servers)
    ]
    print(json.dumps([f.url for f in fakes]), flush=True)
    try:
        sys.stdin.read()  # until the parent closes it
    finally:
        for fake in fakes:
            fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
