"""`mlops-tui doctor`: is every backend of the context reachable, authorised, and what does it have."""

from __future__ import annotations

import argparse
import json

from mlops_tui.backends.base import Capability
from mlops_tui.commands.session import open_session, print_table, session_options
from mlops_tui.domain import BackendState

# the snapshot field that shows a capability was found in practice
_EVIDENCE = {
    Capability.RUNS: "runs",
    Capability.REGISTRY: "versions",
    Capability.PROMOTIONS: "promotions",
    Capability.DEPLOYMENTS: "deployments",
    Capability.ALERTS: "alerts",
    Capability.SILENCES: "silences",
    Capability.DRIFT: "drift",
}


def register(sub, parents) -> None:
    p = sub.add_parser("doctor", parents=[*parents, session_options()], help="check every backend of the context")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    rows = []
    with open_session(args) as (runtime, snap):
        for backend in runtime.hub.backends:
            status = snap.status_of(backend.name)
            state = status.state if status else BackendState.PENDING
            found = []
            for cap in sorted(backend.capabilities):
                count = sum(1 for item in getattr(snap, _EVIDENCE[cap]) if item.backend == backend.name)
                found.append(f"{cap.value}:{count}")
            rows.append(
                {
                    "backend": backend.name,
                    "kind": backend.kind,
                    "reachable": state not in (BackendState.UNREACHABLE, BackendState.PENDING),
                    "authorised": state != BackendState.UNAUTHORISED and state != BackendState.PENDING,
                    "ok": state in (BackendState.OK, BackendState.SLOW),
                    "state": state.value,
                    "version": status.version if status else "",
                    "capabilities": found,
                    "message": status.message if status else "",
                }
            )
        context = runtime.context
    if args.json:
        print(json.dumps({"context": context, "backends": rows}, indent=2))
    else:
        print(f"context {context}")
        yes = {True: "yes", False: "NO"}
        print_table(
            ["backend", "kind", "reachable", "authorised", "version", "capabilities found", "problem"],
            [
                [
                    r["backend"],
                    r["kind"],
                    yes[r["reachable"]],
                    yes[r["authorised"]],
                    r["version"] or "-",
                    " ".join(r["capabilities"]),
                    "" if r["ok"] else f"{r['state']}: {r['message']}",
                ]
                for r in rows
            ],
        )
    return 0 if rows and all(r["ok"] for r in rows) else 1
