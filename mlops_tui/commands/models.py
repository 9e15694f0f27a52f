"""`mlops-tui models list [--json]`: registered models and their versions with aliases."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from mlops_tui.commands.session import (
    CommandFailed,
    list_output,
    open_session,
    print_table,
    session_options,
)
from mlops_tui.core.wording import any_stage
from mlops_tui.domain import ModelVersion
from mlops_tui.services.promotion_history import OUTSIDE, HolderChange, holder_at, holder_history


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("models", help="the model registry")
    actions = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    a = actions.add_parser("list", parents=[*parents, session_options()], help="list model versions")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_models_list)

    a = actions.add_parser(
        "history",
        parents=[*parents, session_options()],
        help="who held an alias when, from the promotion tags on the server",
    )
    a.add_argument("model")
    a.add_argument("--alias", default="champion")
    a.add_argument("--json", action="store_true")
    a.add_argument(
        "--at",
        default=None,
        metavar="TIME",
        help="who held it at TIME (ISO 8601, e.g. 2026-11-29T14:00; UTC unless an offset is given)",
    )
    a.set_defaults(handler=cmd_models_history)


def cmd_models_list(args: argparse.Namespace) -> int:
    with open_session(args, capability="registry") as (_, snap):
        versions = sorted(snap.versions, key=lambda v: (v.model, -int(v.version) if v.version.isdigit() else 0))
        # MLflow 2+ aliases: a stage column would say "None" on every line
        staged = any_stage(versions)
        header = ["model", "version", "aliases", *(["stage"] if staged else []), "status", "run"]

        def row(v: ModelVersion) -> list[str]:
            stage = [v.stage] if staged else []
            return [v.model, v.version, ",".join(v.aliases) or "-", *stage, v.status, v.run_id]

        return list_output(args, snap, "registry", versions, header, row)


def _parse_at(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CommandFailed(f"--at {text!r} is not a time: write e.g. 2026-11-29T14:00 (UTC)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _when(change: HolderChange) -> str:
    if change.at is not None:
        return change.at.isoformat(" ", "minutes")
    after = change.after.isoformat(" ", "minutes") if change.after else "?"
    before = change.before.isoformat(" ", "minutes") if change.before else "now"
    return f"between {after} and {before}"


def cmd_models_history(args: argparse.Namespace) -> int:
    at = _parse_at(args.at) if args.at else None
    with open_session(args) as (_, snap):
        if args.model not in snap.models_by_name:
            raise CommandFailed(f"no registered model named {args.model!r}")
        history = holder_history(args.model, args.alias, snap.promotions, snap.versions)
    if at is not None:
        held, doubt = holder_at(history, at)
        if args.json:
            print(
                json.dumps(
                    {"at": at.isoformat(), "holder": held.as_dict() if held else None, "uncertain": doubt},
                    indent=2,
                    ensure_ascii=False,
                )
            )
            return 0
        if held is None:
            print(f"{args.alias} of {args.model} at {at.isoformat(' ', 'minutes')}: no version held it")
        else:
            print(
                f"{args.alias} of {args.model} at {at.isoformat(' ', 'minutes')}: v{held.version}"
                + (f" ({doubt})" if doubt else "")
            )
        return 0
    if args.json:
        print(json.dumps([c.as_dict() for c in history], indent=2, ensure_ascii=False))
        return 0
    print_table(
        ["version", "since", "requested by", "approved by", "checks", "how"],
        [
            [
                f"v{c.version}",
                _when(c),
                c.requester or "-",
                ", ".join(c.approvers) or "-",
                c.checks or "-",
                OUTSIDE
                if c.outside
                else ("rollback" if c.rollback else "") + (f" override: {c.override}" if c.override else ""),
            ]
            for c in history
        ],
    )
    return 0
