"""`mlops-tui models list [--json]`: registered models and their versions with aliases."""

from __future__ import annotations

import argparse

from mlops_tui.commands.session import list_output, open_session, session_options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("models", help="the model registry")
    actions = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    a = actions.add_parser("list", parents=[*parents, session_options()], help="list model versions")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_models_list)


def cmd_models_list(args: argparse.Namespace) -> int:
    with open_session(args, capability="registry") as (_, snap):
        versions = sorted(snap.versions, key=lambda v: (v.model, -int(v.version) if v.version.isdigit() else 0))
        return list_output(
            args,
            snap,
            "registry",
            versions,
            ["model", "version", "aliases", "stage", "status", "run"],
            lambda v: [v.model, v.version, ",".join(v.aliases) or "-", v.stage, v.status, v.run_id],
        )
