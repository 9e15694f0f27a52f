"""`mlops-tui runs list [--experiment NAME] [--filter EXPR] [--json]`."""

from __future__ import annotations

import argparse

from mlops_tui.backends.base import RunQuery
from mlops_tui.backends.errors import InvalidFilter
from mlops_tui.commands import compare
from mlops_tui.commands.session import CommandFailed, list_output, open_session, session_options
from mlops_tui.services import run_filter
from mlops_tui.services.metric_order import metric_order


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("runs", help="experiment runs")
    actions = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    a = actions.add_parser("list", parents=[*parents, session_options()], help="list runs")
    a.add_argument("--experiment", metavar="NAME", help="only this experiment")
    a.add_argument(
        "--filter",
        metavar="EXPR",
        default="",
        help="MLflow filter syntax, e.g. \"metrics.auc > 0.9 and params.model_type = 'xgboost'\"",
    )
    a.add_argument("--limit", type=int, default=0, help="at most this many runs (newest first)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_runs_list)
    compare.register(actions, parents)  # `runs compare`: commands/compare.py


def cmd_runs_list(args: argparse.Namespace) -> int:
    try:
        local = run_filter.matcher(args.filter)
    except InvalidFilter as exc:
        raise CommandFailed(f"invalid filter: {exc}") from exc
    with open_session(args, RunQuery(filter=args.filter), capability="runs") as (runtime, snap):
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
        keys = metric_order(snap.runs, runs, count=4)  # the Runs view's order, one more column
        return list_output(
            args,
            snap,
            "runs",
            runs,
            ["run", "experiment", "status", "started", *keys],
            lambda r: [
                r.name,
                names.get(r.experiment_id, r.experiment_id),
                r.status.value,
                r.start_time.isoformat(" ", "minutes"),
                *(f"{r.metrics[k]:.4g}" if k in r.metrics else "-" for k in keys),
            ],
        )
