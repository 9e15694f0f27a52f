"""`mlops-tui auth set|delete|list`: secrets in the OS keyring, referred to as "keyring:NAME"."""

from __future__ import annotations

import argparse
import getpass
import sys

from mlops_tui.commands.session import CommandFailed
from mlops_tui.config.errors import SecretError
from mlops_tui.config.secrets import check_secret_name, delete_secret, list_secret_names, store_secret


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("auth", parents=parents, help="manage secrets in the OS keyring")
    actions = p.add_subparsers(dest="auth_command", metavar="ACTION", required=True)
    a = actions.add_parser("set", parents=parents, help="store a secret (prompted, not echoed)")
    a.add_argument("name", help='the NAME to use as "keyring:NAME" in the config')
    a.set_defaults(handler=cmd_set)
    a = actions.add_parser("delete", parents=parents, help="remove a stored secret")
    a.add_argument("name")
    a.set_defaults(handler=cmd_delete)
    a = actions.add_parser("list", parents=parents, help="list stored secret names (never values)")
    a.set_defaults(handler=cmd_list)


def _read_secret(name: str) -> str:
    """Prompted without echo at a terminal; otherwise read from stdin (for scripts)."""
    stdin = sys.stdin
    interactive = False
    try:
        interactive = stdin is not None and stdin.isatty()
    except (AttributeError, ValueError, OSError):
        interactive = False
    try:
        if interactive:
            return getpass.getpass(f"secret for {name} (not echoed): ")
        if stdin is None:
            return ""
        return stdin.read().rstrip("\r\n")
    except EOFError:
        return ""


def _keyring_failed(exc: SecretError) -> int:
    # A keyring failure comes with a multi-line explanation of the ways out: printed whole.
    print(exc.render(), file=sys.stderr)
    return 1


def cmd_set(args: argparse.Namespace) -> int:
    try:
        check_secret_name(args.name)
    except SecretError as exc:
        raise CommandFailed(f"{exc.problem}. {exc.fix}") from None
    value = _read_secret(args.name)
    if not value:
        raise CommandFailed(f"no secret given for {args.name}; nothing stored")
    try:
        store_secret(args.name, value)
    except SecretError as exc:
        return _keyring_failed(exc)
    print(f'stored {args.name} in the keyring; write "keyring:{args.name}" in the config')
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    try:
        delete_secret(args.name)
    except SecretError as exc:
        return _keyring_failed(exc)
    print(f"deleted {args.name} from the keyring")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    try:
        names = list_secret_names()
    except SecretError as exc:
        return _keyring_failed(exc)
    if not names:
        print("no secrets stored (add one with `mlops-tui auth set NAME`)")
    for name in names:
        print(name)
    return 0
