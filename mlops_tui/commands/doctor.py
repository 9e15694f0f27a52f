"""`mlops-tui doctor`: is every backend of the context reachable, authorised, and what does it have."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mlops_tui.backends.base import Capability
from mlops_tui.commands.session import open_session, print_table, session_options
from mlops_tui.config.policy import PolicyConfig, parse_gate
from mlops_tui.domain import BackendState
from mlops_tui.services.snapshot import Snapshot

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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", parents=[*parents, session_options()], help="check every backend of the context")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)


def _authorised(state: BackendState) -> bool | None:
    if state == BackendState.UNAUTHORISED:
        return False
    if state in (BackendState.OK, BackendState.SLOW):
        return True
    return None  # never answered, or answered with an error: whether it would accept us is unknown


def cmd_doctor(args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = []  # one JSON object per backend
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
                    # None: unknown, the server was never asked (unreachable, no answer yet)
                    "authorised": _authorised(state),
                    "ok": state in (BackendState.OK, BackendState.SLOW),
                    "state": state.value,
                    "version": status.version if status else "",
                    "capabilities": found,
                    "message": status.message if status else "",
                }
            )
        context = runtime.context
        policy_notes = _policy_notes(runtime.actions.policy, snap)
    if args.json:
        print(json.dumps({"context": context, "backends": rows, "policy": policy_notes}, indent=2))
    else:
        print(f"context {context}")
        for note in policy_notes:
            print(f"policy: {note}")
        yes = {True: "yes", False: "NO", None: "unknown"}
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


def _policy_notes(policy: PolicyConfig, snap: Snapshot) -> list[str]:
    """Gate metrics that no registered version's source run has: most likely a typo."""
    gates = [*policy.gates, *(g for o in policy.models.values() for g in (o.gates or ()))]
    metrics = sorted({parse_gate(g).metric for g in gates})
    if not metrics:
        return []
    if not snap.versions:
        return ["cannot check the gate metrics: no registered version was read"]
    have: set[str] = set()
    for v in snap.versions:
        run = snap.runs_by_id.get(v.run_id)
        if run is not None:
            have.update(run.metrics)
    return [f"gate metric {m!r} is on no registered version's source run (a typo?)" for m in metrics if m not in have]
