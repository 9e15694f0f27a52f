"""`mlops-tui init`: write a commented starter config file, never over an existing one."""

from __future__ import annotations

import argparse

from mlops_tui.commands.session import CommandFailed
from mlops_tui.config.paths import config_path

STARTER_CONFIG = """\
# mlops-tui settings. Reference: `mlops-tui backends` lists the backend kinds and their options.
#
# Secrets never go in this file. Store them with `mlops-tui auth set NAME` and write
# "keyring:NAME", or point at an environment variable with "env:VAR".

# Your name in the audit log and on approvals (default: $MLOPS_TUI_USER, else your login).
# user = "alice"

theme = "oncall-dark"
refresh_seconds = 15
# true: refuse every action that changes anything (a context may set its own).
read_only = false
# Promotions need a second person to approve them.
four_eyes = true
# Ring the terminal bell when a new alert fires.
bell = false

default_context = "demo"

# A simulated world, so there is something to look at right away.
[contexts.demo]
[[contexts.demo.backends]]
name = "demo"
kind = "demo"

# A real setup: uncomment, adjust, and run
#   mlops-tui auth set prod-mlflow
# to store the token in your keyring. Then open it with `mlops-tui --context prod`.
#
# [contexts.prod]
# read_only = true
#
# [[contexts.prod.backends]]
# name = "mlflow"
# kind = "mlflow"
# url = "https://mlflow.example.internal"
# auth = { type = "bearer", token = "keyring:prod-mlflow" }
#
# [[contexts.prod.backends]]
# name = "am-eu"
# kind = "alertmanager"
# url = "http://alertmanager-eu:9093"
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", parents=parents, help="write a commented starter config file")
    p.set_defaults(handler=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    path = config_path(args.config)
    if path.exists():
        raise CommandFailed(
            f"{path} already exists; not overwriting it. Edit that file, or pass "
            "--config PATH to write a new one elsewhere."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:
            fh.write(STARTER_CONFIG)
    except FileExistsError:
        raise CommandFailed(f"{path} already exists; not overwriting it.") from None
    except OSError as exc:
        raise CommandFailed(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote a starter config to {path}")
    print("run `mlops-tui` to open it; `mlops-tui backends` lists the backend kinds you can add")
    return 0
