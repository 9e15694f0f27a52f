"""`mlops-tui promotions list|request|approve|reject`: the same workflow as the Models view."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mlops_tui.commands.session import CommandFailed, act, list_output, open_session, session_options
from mlops_tui.core.text import printable
from mlops_tui.domain import PromotionRequest, PromotionState
from mlops_tui.services.promotion_card import card_lines, load_card, signature_checks
from mlops_tui.services.promotion_history import holder_history
from mlops_tui.services.snapshot import Snapshot


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
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
    a.add_argument(
        "--override",
        default="",
        metavar="REASON",
        help="approve past failing policy checks (break-glass); the reason is recorded",
    )
    a.set_defaults(handler=cmd_approve)

    a = actions.add_parser(
        "rollback", parents=opts, help="propose moving an alias back to its previous holder (urgent)"
    )
    a.add_argument("model")
    a.add_argument("--to", default="champion", metavar="ALIAS", help="the alias to roll back")
    a.add_argument("--reason", required=True)
    a.set_defaults(handler=cmd_rollback)

    a = actions.add_parser("reject", parents=opts, help="reject a pending request")
    a.add_argument("model")
    a.add_argument("version")
    a.add_argument("--reason", required=True)
    a.set_defaults(handler=cmd_reject)


def cmd_list(args: argparse.Namespace) -> int:
    with open_session(args, capability="promotions") as (_, snap):
        # rollbacks are urgent: first
        pending = sorted(snap.pending_promotions, key=lambda p: not p.note.startswith("rollback:"))
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
        return list_output(
            args,
            snap,
            "promotions",
            requests,
            ["model", "version", "target", "state", "requester", "requested", "approved by", "note"],
            lambda p: [
                p.model,
                p.version,
                p.target,
                _state(p, snap.promotions),
                p.requester,
                p.requested_at.isoformat(" ", "minutes"),
                _approvers(p),
                p.note + (f" [override: {p.override}]" if p.override else ""),
            ],
        )


def _state(p: PromotionRequest, everything: Sequence[PromotionRequest] = ()) -> str:
    if p.override:
        return f"{p.state.value} (OVERRIDE)"
    if p.state == PromotionState.PENDING:
        # another request for the same target approved since this one was made
        newer = [
            o
            for o in everything
            if o.model == p.model
            and o.target == p.target
            and o.state == PromotionState.APPROVED
            and o.decided_at
            and o.decided_at > p.requested_at
            and o.version != p.version
        ]
        if newer:
            latest = max(newer, key=lambda o: o.decided_at or p.requested_at)
            return f"pending (superseded by v{latest.version})"
    return p.state.value


def _approvers(p: PromotionRequest) -> str:
    names = list(p.approvals)
    if p.state == PromotionState.APPROVED and p.decided_by and p.decided_by not in names:
        names.append(p.decided_by)
    if p.state == PromotionState.REJECTED:
        names = [f"rejected by {p.decided_by}"]
    return ", ".join(names) or "-"


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
        request = act(runtime.actions.request_promotion(backend, args.model, args.version, args.to, args.note))
    # the alias the request was filed for, also when --to was left out and the backend chose it
    print(printable(f"requested {request.model} v{request.version} -> {request.target}"))
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    with open_session(args) as (runtime, snap):
        request = _pending(snap, args.model, args.version)
        actions = runtime.actions
        # refuse before asking: who may approve, read-only, the policy's checks
        refusal = actions.approval_refusal(request)
        if refusal:
            act(actions.approve(request, None))  # audits the refusal and raises it
        holder = act(actions.current_holder(request))
        print(
            printable(
                f"{request.model} v{request.version} -> {request.target} "
                f"(now v{holder or '-'}), requested by {request.requester}: {request.note}"
            )
        )
        for c in actions.metric_comparison(request, holder, snap):
            delta = "-" if c.delta is None else f"{c.delta:+.4f}"
            print(printable(f"  {c.metric:<14} candidate {c.candidate}  current {c.champion}  {delta}  {c.better}"))
        # the card: signatures, source runs and datasets of both sides, and who serves the target
        card = act(load_card(actions.hub, request, holder))
        for line in card_lines(card, request.target):
            print(printable(f"  {line}"))
        serving = sorted(
            f"{d.name} (v{d.version or '?'})"
            for d in snap.deployments
            if d.registered_model == request.model and d.alias == request.target
        )
        if serving:
            print(printable(f"  serving {request.target} now: {', '.join(serving)}"))
        checks = actions.policy_checks(request, holder, snap) + signature_checks(card, actions.rules_for(request))
        for check in checks:
            verdict = "FAIL" if not check.passed else "unknown" if check.unknown else "pass"
            print(printable(f"  {verdict}  {check.name}  ({check.detail})"))
        if actions.approval_refusal(request, checks, args.override):
            act(actions.approve(request, holder, args.override))  # audits the refusal and raises it
        if not args.yes:
            if not sys.stdin.isatty():
                raise CommandFailed("not approved: confirm with --yes when not at a terminal")
            if input(f"Approve as {runtime.user}? [y/N] ").strip().lower() not in ("y", "yes"):
                raise CommandFailed("not approved")
        outcome = act(actions.approve(request, holder, args.override))
    override = " (override: break-glass)" if any(not c.passed for c in checks) else ""
    print(f"approved: {outcome}{override}")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    with open_session(args) as (runtime, snap):
        history = holder_history(args.model, args.to, snap.promotions, snap.versions)
        if not history:
            raise CommandFailed(f"no version of {args.model} has held {args.to}: nothing to roll back")
        current = history[-1].version
        previous = next((c.version for c in reversed(history[:-1]) if c.version != current), None)
        if previous is None:
            raise CommandFailed(f"{args.to} of {args.model} has had one holder (v{current}): no previous holder")
        backend = _backend_of(snap, args.model, previous)
        outcome = act(runtime.actions.request_rollback(backend, args.model, previous, args.to, args.reason))
    print(printable(outcome))
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    with open_session(args) as (runtime, snap):
        request = _pending(snap, args.model, args.version)
        act(runtime.actions.reject(request, args.reason))
    print(f"rejected: {args.model} v{args.version}")
    return 0
