"""`mlops-tui cache clear`: forget the runs cached from MLflow servers (the next launch reloads)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("cache", help="the local cache of runs")
    actions = p.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    a = actions.add_parser("clear", parents=parents, help="delete every cached run history")
    a.set_defaults(handler=cmd_clear)


def cmd_clear(args: argparse.Namespace) -> int:
    from mlops_tui.backends.mlflow.cache import clear_cache

    removed = clear_cache()
    print(f"removed {removed} cached run histor{'y' if removed == 1 else 'ies'}")
    return 0
