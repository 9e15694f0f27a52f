"""`mlops-tui runs compare RUN_ID RUN_ID… [--all] [--json]`: runs side by side, headless."""

from __future__ import annotations

import argparse
import json

from mlops_tui.commands.session import CommandFailed, open_session, print_table, session_options
from mlops_tui.domain import Run
from mlops_tui.services import compare as cmp
from mlops_tui.services.snapshot import Snapshot


def register(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    """A subcommand of `runs` (`actions` is its subparsers)."""
    a = actions.add_parser(
        "compare", parents=[*parents, session_options()], help="compare 2 to 8 runs: params, metrics, tags, attributes"
    )
    a.add_argument(
        "run_ids", nargs="+", metavar="RUN_ID", help="run ids (a unique prefix of at least 6 characters will do)"
    )
    a.add_argument("--all", action="store_true", help="every row, not only the differences")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_runs_compare)


def find_run(snapshot: Snapshot, wanted: str) -> Run:
    run = snapshot.runs_by_id.get(wanted)
    if run is not None:
        return run
    if len(wanted) >= 6:
        matches = [r for r in snapshot.runs if r.id.startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise CommandFailed(f"run id {wanted} is ambiguous: {len(matches)} runs start with it")
    raise CommandFailed(f"no loaded run has the id {wanted}")


def cmd_runs_compare(args: argparse.Namespace) -> int:
    try:
        cmp.check_count(len(args.run_ids))
    except cmp.CompareRefused as exc:
        raise CommandFailed(str(exc)) from exc
    with open_session(args) as (runtime, snap):
        runs = [find_run(snap, wanted) for wanted in args.run_ids]
        if len({r.id for r in runs}) != len(runs):
            raise CommandFailed("a run is named twice: compare different runs")
        names = {e.id: e.name for e in snap.experiments}
        comparison = cmp.compare(
            [cmp.run_subject(r, names.get(r.experiment_id, "")) for r in runs],
            cmp.MetricDirections.from_settings(runtime.settings),
        )
    differences_only = not args.all
    if args.json:
        print(json.dumps(cmp.to_json(comparison, differences_only), indent=2, ensure_ascii=False))
        return 0
    rows: list[list[str]] = []
    group = ""
    for row in comparison.shown(differences_only):
        if row.group != group:
            group = row.group
            rows.append([f"[{group}]", *("" for _ in comparison.subjects)])
        rows.append(["  " + row.label, *row.cells])
    print_table(["", *(s.label for s in comparison.subjects)], rows)
    if not rows:
        print("every compared value is the same (--all shows them)")
    print(
        f"\n{cmp.BEST} best  {cmp.HIGHER} higher is better  {cmp.LOWER} lower is better"
        + ("" if args.all else "  (differences only; --all shows every row)")
    )
    return 0
