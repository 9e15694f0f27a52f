"""`mlops-tui runs list [--experiment NAME] [--filter EXPR] [--json]`."""

from __future__ import annotations

import argparse

from mlops_tui.backends.base import RunQuery
from mlops_tui.backends.errors import InvalidFilter
from mlops_tui.commands.session import CommandFailed, open_session, print_json, print_table, session_options
from mlops_tui.services import run_filter


def register(sub, parents) -> None:
    p = sub.add_parser("runs", help="experiment runs")
    actions = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    a = actions.add_parser("list", parents=[*parents, session_options()], help="list runs")
    a.add_argument("--experiment", metavar="NAME", help="only this experiment")
    a.add_argument(
        "--filter",
        metavar="EXPR",
        default="",
        help="MLflow filter syntax, e.g. \"metrics.auc > 0.9 and params.model = 'xgb'\"",
    )
    a.add_argument("--limit", type=int, default=0, help="at most this many runs (newest first)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_runs_list)


def cmd_runs_list(args: argparse.Namespace) -> int:
    try:
        local = run_filter.matcher(args.filter)
    except InvalidFilter as exc:
        raise CommandFailed(f"invalid filter: {exc}") from exc
    with open_session(args, RunQuery(filter=args.filter)) as (runtime, snap):
        errors = [s for s in snap.statuses if s.query_error]
        if errors:
            raise CommandFailed("; ".join(f"{s.name}: invalid filter: {s.query_error}" for s in errors))
        server_side = {b.name for b in runtime.hub.backends if b.server_side_run_query}
        names = {e.id: e.name for e in snap.experiments}
        runs = [
            r
            for r in snap.runs
            if (r.backend in server_side or local(r))
            and (not args.experiment or names.get(r.experiment_id) == args.experiment)
        ]
        runs.sort(key=lambda r: r.start_time, reverse=True)
        if args.limit:
            runs = runs[: args.limit]
        if args.json:
            print_json(runs)
            return 0
        keys = sorted({k for r in runs[:200] for k in r.metrics})[:4]
        print_table(
            ["run", "experiment", "status", "started", *keys],
            [
                [
                    r.name,
                    names.get(r.experiment_id, r.experiment_id),
                    r.status.value,
                    r.start_time.isoformat(" ", "minutes"),
                    *(f"{r.metrics[k]:.4g}" if k in r.metrics else "-" for k in keys),
                ]
                for r in runs
            ],
        )
    return 0
