"""`mlops-tui promotions list|request|approve|reject`: the same workflow as the Models view."""

from __future__ import annotations

import argparse
import sys

from mlops_tui.commands.session import CommandFailed, act, open_session, print_json, print_table, session_options
from mlops_tui.domain import PromotionRequest, PromotionState
from mlops_tui.services.policy import compare_metrics, evaluate
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.services.text import printable


def register(sub, parents) -> None:
    p = sub.add_parser("promotions", help="promotion requests: list, request, approve, reject")
    actions = p.add_subparsers(dest="promotions_command", metavar="ACTION", required=True)
    opts = [*parents, session_options()]

    a = actions.add_parser("list", parents=opts, help="pending requests first, then decided ones")
    a.add_argument("--json", action="store_true")
    a.add_argument("--pending", action="store_true", help="only pending requests")
    a.set_defaults(handler=cmd_list)

    a = actions.add_parser("request", parents=opts, help="request the promotion of a model version")
    a.add_argument("model")
    a.add_argument("version")
    a.add_argument(
        "--to",
        default=None,
        metavar="ALIAS",
        help="target alias, or stage (default: the backend's; champion for aliases)",
    )
    a.add_argument("--note", default="")
    a.set_defaults(handler=cmd_request)

    a = actions.add_parser("approve", parents=opts, help="approve a pending request")
    a.add_argument("model")
    a.add_argument("version")
    a.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    a.set_defaults(handler=cmd_approve)

    a = actions.add_parser("reject", parents=opts, help="reject a pending request")
    a.add_argument("model")
    a.add_argument("version")
    a.add_argument("--reason", required=True)
    a.set_defaults(handler=cmd_reject)


def cmd_list(args: argparse.Namespace) -> int:
    with open_session(args) as (_, snap):
        pending = list(snap.pending_promotions)
        decided = (
            []
            if args.pending
            else sorted(
                (p for p in snap.promotions if p.state != PromotionState.PENDING),
                key=lambda p: p.decided_at or p.requested_at,
                reverse=True,
            )
        )
        requests = pending + decided
        if args.json:
            print_json(requests)
            return 0
        print_table(
            ["model", "version", "target", "state", "requester", "requested", "note"],
            [
                [
                    p.model,
                    p.version,
                    p.target,
                    p.state.value,
                    p.requester,
                    p.requested_at.isoformat(" ", "minutes"),
                    p.note,
                ]
                for p in requests
            ],
        )
    return 0


def _pending(snap: Snapshot, model: str, version: str) -> PromotionRequest:
    for request in snap.pending_promotions:
        if request.model == model and request.version == version:
            return request
    raise CommandFailed(f"no pending promotion request for {model} v{version}")


def _backend_of(snap: Snapshot, model: str, version: str) -> str:
    found = snap.versions_by_key.get((model, version))
    if found is None:
        raise CommandFailed(f"{model} v{version} is not in the registry")
    return found.backend


def cmd_request(args: argparse.Namespace) -> int:
    with open_session(args) as (runtime, snap):
        backend = _backend_of(snap, args.model, args.version)
        act(runtime.actions.request_promotion(backend, args.model, args.version, args.to, args.note))
    print(f"requested {args.model} v{args.version} -> {args.to or 'the default target'}")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    with open_session(args) as (runtime, snap):
        request = _pending(snap, args.model, args.version)
        holder = act(runtime.actions.current_holder(request))
        candidate = snap.versions_by_key[(request.model, request.version)]
        champion = snap.versions_by_key.get((request.model, holder)) if holder else None
        cand_run = snap.runs_by_id.get(candidate.run_id)
        champ_run = snap.runs_by_id.get(champion.run_id) if champion else None
        print(
            printable(
                f"{request.model} v{request.version} -> {request.target} "
                f"(now v{holder or '-'}), requested by {request.requester}: {request.note}"
            )
        )
        for c in compare_metrics(cand_run, champ_run):
            delta = "-" if c.delta is None else f"{c.delta:+.4f}"
            print(printable(f"  {c.metric:<14} candidate {c.candidate}  current {c.champion}  {delta}  {c.better}"))
        for check in evaluate(candidate, cand_run, champ_run):
            print(printable(f"  {'pass' if check.passed else 'FAIL'}  {check.name}  ({check.detail})"))
        if not args.yes:
            if not sys.stdin.isatty():
                raise CommandFailed("not approved: confirm with --yes when not at a terminal")
            if input(f"Approve as {runtime.user}? [y/N] ").strip().lower() not in ("y", "yes"):
                raise CommandFailed("not approved")
        act(runtime.actions.approve(request, holder))
    print(f"approved: {args.model} v{args.version} is now {request.target}")
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    with open_session(args) as (runtime, snap):
        request = _pending(snap, args.model, args.version)
        act(runtime.actions.reject(request, args.reason))
    print(f"rejected: {args.model} v{args.version}")
    return 0
