"""`mlops-tui deployments list|wait`: deployment health for scripts and CD pipelines.

`wait NAME --for ready|matched` polls until the deployment is ready, or serves the version its
registry alias points at: exit 0 when it holds, 1 on timeout (with the last reason), 2 for a
usage or config error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from mlops_tui.commands.session import open_session, print_table, session_options
from mlops_tui.core.text import printable
from mlops_tui.domain import BackendState, Deployment, DeploymentHealth
from mlops_tui.services.snapshot import Snapshot

EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("deployments", help="deployments: health, served vs expected version")
    actions = p.add_subparsers(dest="deployments_command", metavar="ACTION", required=True)
    opts = [*parents, session_options()]

    a = actions.add_parser("list", parents=opts, help="every deployment, not healthy first")
    a.add_argument("--json", action="store_true", help="print JSON")
    a.set_defaults(handler=cmd_list)

    # its own --timeout (how long to wait for the condition) replaces the session's
    a = actions.add_parser(
        "wait", parents=opts, conflict_handler="resolve",
        help="wait until a deployment is ready, or serves what its alias points at",
    )  # fmt: skip
    a.add_argument("name", help="the deployment's name")
    a.add_argument("--for", dest="condition", choices=("ready", "matched"), required=True)
    a.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="give up after this long (default 300); exit code 1",
    )
    a.add_argument(
        "--interval",
        type=_seconds,
        default=2.0,
        metavar="SECONDS",
        help="how often to ask the servers again (default 2)",
    )
    a.set_defaults(handler=cmd_wait)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


# -- list ---------------------------------------------------------------------------------
_ORDER = {
    DeploymentHealth.DOWN: 0,
    DeploymentHealth.DEGRADED: 1,
    DeploymentHealth.UNKNOWN: 2,
    DeploymentHealth.HEALTHY: 3,
}


def as_json(d: Deployment) -> dict[str, Any]:
    """The stable headless shape of one deployment (names from the issue, then the rest)."""
    return {
        "name": d.name,
        "environment": d.environment,
        "health": d.health.value,
        "ready": d.ready,
        "live": d.live,
        "model": d.model,
        "served_version": d.version,
        "expected_version": d.expected_version,
        "registered_model": d.registered_model,
        "alias": d.alias,
        "mismatch": d.mismatch,
        "mismatch_since": d.mismatch_since.isoformat() if d.mismatch_since else None,
        "requests_per_second": d.requests_per_second,
        "error_rate": d.error_rate,
        "latency_p50_ms": d.latency_p50_ms,
        "latency_p95_ms": d.latency_p95_ms,
        "max_error_rate": d.max_error_rate,
        "max_latency_p95_ms": d.max_latency_p95_ms,
        "metrics_note": d.metrics_note,
        "reason": d.reason,
        "repository_state": d.repository_state,
        "platform": d.platform,
        "endpoint": d.endpoint,
        "checked_at": d.checked_at.isoformat() if d.checked_at else None,
        "backend": d.backend,
        "sources": list(d.sources),
    }


def _num(value: float | None, fmt: str) -> str:
    return "?" if value is None else format(value, fmt)


def cmd_list(args: argparse.Namespace) -> int:
    with open_session(args) as (_, snap):
        deployments = sorted(snap.deployments, key=lambda d: (_ORDER[d.health], d.name))
        if args.json:
            print(json.dumps([as_json(d) for d in deployments], indent=2, ensure_ascii=False))
            return EXIT_OK
        if not deployments:
            print("no deployments (configure an oip, mlflow-serving or prometheus backend)")
            return EXIT_OK
        print_table(
            ["deployment", "env", "health", "model", "served", "expected", "req/s", "err %", "p95 ms", "reason"],
            [[d.name, d.environment or "-", d.health.value, d.model or "-", d.version or "?",
              (d.expected_version + (" MISMATCH" if d.mismatch else "")) if d.alias else "-",
              _num(d.requests_per_second, ".2f"),
              "?" if d.error_rate is None else f"{d.error_rate * 100:.1f}",
              _num(d.latency_p95_ms, ".0f"), d.reason or d.metrics_note or "-"]
             for d in deployments],
        )  # fmt: skip
    return EXIT_OK


# -- wait ---------------------------------------------------------------------------------
def holds(d: Deployment, condition: str) -> bool:
    if condition == "ready":
        return d.ready is True or (d.ready is None and d.health == DeploymentHealth.HEALTHY)
    return bool(d.version and d.expected_version and d.version == d.expected_version)


def why_not(d: Deployment | None, condition: str, name: str) -> str:
    if d is None:
        return f"no backend reports a deployment named {name!r}"
    if condition == "ready":
        return d.reason or f"not ready (health {d.health.value})"
    if not d.version:
        return "nobody can tell which version it serves" + (f" ({d.reason})" if d.reason else "")
    if not d.expected_version:
        return f"the registry has no version for {d.registered_model} @ {d.alias}"
    return f"serves version {d.version}, but {d.alias} points at version {d.expected_version}"


def _all_polled_ok(snap: Snapshot) -> bool:
    return all(s.state in (BackendState.OK, BackendState.SLOW) for s in snap.statuses)


def cmd_wait(args: argparse.Namespace) -> int:
    name, condition = args.name, args.condition
    deadline = time.monotonic() + args.timeout
    with open_session(args) as (runtime, snap):
        hub = runtime.hub
        last_refresh = time.monotonic()
        while True:
            snap = hub.snapshot
            d = snap.deployments_by_name.get(name)
            if d is None and _all_polled_ok(snap):
                known = ", ".join(sorted(snap.deployments_by_name)) or "none"
                print(f"mlops-tui: no deployment named {printable(name)} (known: {printable(known)})", file=sys.stderr)
                return EXIT_USAGE
            if d is not None and condition == "matched" and not (d.registered_model and d.alias):
                print(
                    f"mlops-tui: deployment {printable(name)} has no registered_model and alias in "
                    "its config, so there is nothing to match",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            if d is not None and holds(d, condition):
                what = "ready" if condition == "ready" else f"serves version {d.version}, as {d.alias} says"
                print(f"{printable(name)}: {printable(what)}")
                return EXIT_OK
            now = time.monotonic()
            if now >= deadline:
                print(
                    f"mlops-tui: timed out after {args.timeout:g}s waiting for {printable(name)} to be "
                    f"{condition}: {printable(why_not(d, condition, name))}",
                    file=sys.stderr,
                )
                return EXIT_TIMEOUT
            if now - last_refresh >= args.interval:
                hub.refresh()
                last_refresh = now
            time.sleep(min(0.1, max(0.0, deadline - now)))
