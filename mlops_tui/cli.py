"""The ``mlops-tui`` command: the app by default, plus a few headless commands.

Exit codes: 0 success, 1 a refused or failed action (reason on stderr), 2 a usage or config
error. Tracebacks are never shown unless ``--debug`` is given. The UI (textual) is imported
only when the app actually runs, so headless commands stay fast.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops_tui import __version__

# Importing `mlops_tui.config` (or anything below it) loads pydantic: this module imports
# it only inside functions, so that `main` can pause the garbage collector first.

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Failed(Exception):
    """A refused or failed action: the message goes to stderr and the exit code is 1."""


# -- argument parsing --------------------------------------------------------------------------
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlops-tui",
        description="One keyboard-driven view of runs, model registry, deployments, drift "
        "and alerts. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"mlops-tui {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="settings file (default: $MLOPS_TUI_CONFIG, else the per-user config.toml)",
    )
    parser.add_argument("--context", metavar="NAME", help="which context of the config to open")
    parser.add_argument(
        "--demo", action="store_true", help="open the simulated demo world even if a config exists"
    )
    parser.add_argument(
        "--demo-runs",
        type=_positive_int,
        metavar="N",
        default=None,
        help="number of runs in the demo world",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="refuse every action that changes anything"
    )
    parser.add_argument(
        "--view",
        choices=("overview", "runs", "models", "deploy", "alerts", "drift"),
        default="overview",
        help="the view to open first (on-call: --view alerts)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on internal errors")

    # Options every subcommand also accepts after its name; SUPPRESS keeps them from
    # overwriting what was given before the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="settings file")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("backends", parents=[common], help="list installed backend kinds")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_backends)

    p = sub.add_parser("init", parents=[common], help="write a commented starter config file")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("auth", parents=[common], help="manage secrets in the OS keyring")
    auth = p.add_subparsers(dest="auth_command", metavar="ACTION", required=True)
    a = auth.add_parser("set", parents=[common], help="store a secret (prompted, not echoed)")
    a.add_argument("name", help='the NAME to use as "keyring:NAME" in the config')
    a.set_defaults(handler=cmd_auth_set)
    a = auth.add_parser("delete", parents=[common], help="remove a stored secret")
    a.add_argument("name")
    a.set_defaults(handler=cmd_auth_delete)
    a = auth.add_parser("list", parents=[common], help="list stored secret names (never values)")
    a.set_defaults(handler=cmd_auth_list)

    p = sub.add_parser("audit", parents=[common], help="show the local audit log")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_audit)

    from mlops_tui.commands import register

    register(sub, [common])
    return parser


# -- entry point -------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    # Start-up allocates a few hundred thousand objects (modules, pydantic schemas, widgets,
    # the demo world) that all live on: cyclic collections over them are ~70 ms of wasted
    # work before the first screen. The app re-enables the collector once its first data is
    # on screen (MlopsApp.resume_gc); headless commands re-enable it after parsing.
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    from mlops_tui.commands.session import CommandFailed
    from mlops_tui.config.errors import ConfigError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help / --version (0) and usage errors (2)
        return _exit_code(exc.code)
    debug = bool(getattr(args, "debug", False))
    from mlops_tui.services.logs import configure

    configure(debug)
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", run_app)
    if handler is not run_app:
        gc.enable()
    try:
        return handler(args)
    except ConfigError as exc:
        _err(exc.render())
        return EXIT_USAGE
    except (_Failed, CommandFailed) as exc:
        _err(f"mlops-tui: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _err("mlops-tui: interrupted")
        return 130
    except SystemExit as exc:
        return _exit_code(exc.code)
    except Exception as exc:
        if debug:
            _err(traceback.format_exc().rstrip())  # through the sanitiser: secrets masked
        detail = " ".join(str(exc).split()) or type(exc).__name__
        _err(f"mlops-tui: internal error: {type(exc).__name__}: {detail}")
        if not debug:
            _err("(run again with --debug to see the traceback)")
        return EXIT_FAILED


def _exit_code(code: object) -> int:
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    _err(str(code))
    return EXIT_FAILED


def _err(text: str) -> None:
    from mlops_tui.services.text import printable_lines

    print(printable_lines(text), file=sys.stderr)  # outside text in it stays inert


# -- the app -----------------------------------------------------------------------------------
def run_app(args: argparse.Namespace) -> int:
    from mlops_tui.config.loader import find_settings

    settings, path = find_settings(args.config)
    from mlops_tui.services.runtime import build_runtime

    runtime = build_runtime(
        settings,
        context=args.context,
        demo=bool(args.demo) or settings is None,
        demo_runs=args.demo_runs,
        read_only=bool(args.read_only),
        config_path=path if settings is not None else None,
    )
    # The backends start polling now, while Textual loads: the demo world (or the first
    # answers) is usually ready by the time the first screen is drawn.
    runtime.start()
    from mlops_tui.ui.app import MlopsApp

    MlopsApp(runtime, initial_view=getattr(args, "view", "overview")).run()
    return EXIT_OK


# -- backends ----------------------------------------------------------------------------------
def _type_name(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    text = str(annotation)
    for prefix in ("typing.", "pathlib.", "datetime.", "pydantic.networks.", "pydantic.types."):
        text = text.replace(prefix, "")
    return text


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def describe_backends() -> list[dict[str, Any]]:
    """Every installed backend kind with its distribution, capabilities and options."""
    from pydantic_core import PydanticUndefined

    from mlops_tui.backends.registry import available_kinds

    out: list[dict[str, Any]] = []
    for name, kind in available_kinds().items():
        ep = kind.entry_point
        entry: dict[str, Any] = {
            "kind": name,
            "distribution": kind.distribution,
            "version": getattr(ep.dist, "version", None) if ep.dist is not None else None,
            "entry_point": ep.value,
        }
        try:
            cls = kind.load()
        except Exception as exc:
            entry["error"] = " ".join(str(exc).split())
            out.append(entry)
            continue
        entry["description"] = getattr(cls, "description", "") or ""
        entry["capabilities"] = sorted(str(c) for c in getattr(cls, "capabilities", ()))
        options = []
        model = getattr(cls, "Options", None)
        for opt_name, info in (getattr(model, "model_fields", None) or {}).items():
            option: dict[str, Any] = {
                "name": info.alias or opt_name,
                "type": _type_name(info.annotation),
                "required": info.is_required(),
            }
            if info.is_required():
                option["default"] = None
            elif info.default_factory is not None:
                option["default"] = "<computed>"
            elif info.default is PydanticUndefined:
                option["default"] = None
            else:
                option["default"] = _jsonable(info.default)
            if info.description:
                option["description"] = info.description
            options.append(option)
        entry["options"] = options
        out.append(entry)
    return out


def cmd_backends(args: argparse.Namespace) -> int:
    kinds = describe_backends()
    if args.json:
        print(json.dumps(kinds, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not kinds:
        print("no backend kinds installed")
        return EXIT_OK
    for i, k in enumerate(kinds):
        if i:
            print()
        dist = k["distribution"] + (f" {k['version']}" if k.get("version") else "")
        print(f"{k['kind']}  (from {dist}, {k['entry_point']})")
        if "error" in k:
            print(f"  error: {k['error']}")
            continue
        if k["description"]:
            print(f"  {k['description']}")
        print(f"  capabilities: {', '.join(k['capabilities']) or 'none'}")
        if not k["options"]:
            print("  options: none")
            continue
        print("  options:")
        width = max(len(o["name"]) for o in k["options"])
        type_width = max(len(o["type"]) for o in k["options"])
        for o in k["options"]:
            if o["required"]:
                default = "required"
            elif o["default"] is None:
                default = "optional"
            else:
                default = f"default {json.dumps(o['default'])}"
            print(f"    {o['name']:<{width}}  {o['type']:<{type_width}}  {default}")
    return EXIT_OK


# -- init --------------------------------------------------------------------------------------
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


def cmd_init(args: argparse.Namespace) -> int:
    from mlops_tui.config.paths import config_path

    path = config_path(args.config)
    if path.exists():
        raise _Failed(
            f"{path} already exists; not overwriting it. Edit that file, or pass "
            "--config PATH to write a new one elsewhere."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:
            fh.write(STARTER_CONFIG)
    except FileExistsError:
        raise _Failed(f"{path} already exists; not overwriting it.") from None
    except OSError as exc:
        raise _Failed(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote a starter config to {path}")
    print("run `mlops-tui` to open it; `mlops-tui backends` lists the backend kinds you can add")
    return EXIT_OK


# -- auth --------------------------------------------------------------------------------------
def _read_secret(name: str) -> str:
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


def cmd_auth_set(args: argparse.Namespace) -> int:
    from mlops_tui.config.errors import SecretError
    from mlops_tui.config.secrets import check_secret_name, store_secret

    try:
        check_secret_name(args.name)
    except SecretError as exc:
        raise _Failed(f"{exc.problem}. {exc.fix}") from None
    value = _read_secret(args.name)
    if not value:
        raise _Failed(f"no secret given for {args.name}; nothing stored")
    try:
        store_secret(args.name, value)
    except SecretError as exc:
        _err(exc.render())
        return EXIT_FAILED
    print(f'stored {args.name} in the keyring; write "keyring:{args.name}" in the config')
    return EXIT_OK


def cmd_auth_delete(args: argparse.Namespace) -> int:
    from mlops_tui.config.errors import SecretError
    from mlops_tui.config.secrets import delete_secret

    try:
        delete_secret(args.name)
    except SecretError as exc:
        _err(exc.render())
        return EXIT_FAILED
    print(f"deleted {args.name} from the keyring")
    return EXIT_OK


def cmd_auth_list(args: argparse.Namespace) -> int:
    from mlops_tui.config.errors import SecretError
    from mlops_tui.config.secrets import list_secret_names

    try:
        names = list_secret_names()
    except SecretError as exc:
        _err(exc.render())
        return EXIT_FAILED
    if not names:
        print("no secrets stored (add one with `mlops-tui auth set NAME`)")
    for name in names:
        print(name)
    return EXIT_OK


# -- audit -------------------------------------------------------------------------------------
def _read_audit(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise _Failed(f"cannot read the audit log {path}: {exc.strerror or exc}") from None
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            _err(f"mlops-tui: {path}:{lineno}: skipped a line that is not valid JSON")
            continue
        if not isinstance(entry, dict):
            _err(f"mlops-tui: {path}:{lineno}: skipped a line that is not a JSON object")
            continue
        entries.append(entry)
    return entries


def _audit_line(entry: dict[str, Any]) -> str:
    def text(key: str) -> str:
        value = entry.get(key)
        return "-" if value in (None, "") else str(value)

    parts = [text("time"), text("user")]
    if entry.get("context"):
        parts.append(f"[{entry['context']}]")
    parts += [text("action"), text("target")]
    if entry.get("backend"):
        parts.append(f"via {entry['backend']}")
    parts.append(f"-> {text('outcome')}")
    known = {"time", "user", "context", "action", "target", "backend", "outcome", "detail"}
    extra = {k: v for k, v in entry.items() if k not in known}
    detail = entry.get("detail")
    if isinstance(detail, dict):
        extra.update(detail)
    elif detail not in (None, ""):
        extra["detail"] = detail
    for key, value in extra.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}={shown}")
    return "  ".join(" ".join(str(p).split()) for p in parts)


def cmd_audit(args: argparse.Namespace) -> int:
    from mlops_tui.config.paths import audit_log_path
    from mlops_tui.services.text import inert_json, printable

    entries = _read_audit(audit_log_path())
    if args.json:
        print(inert_json(json.dumps(entries, indent=2, ensure_ascii=False)))
        return EXIT_OK
    if not entries:
        print("no audit entries")
        return EXIT_OK
    for entry in entries:
        print(printable(_audit_line(entry), None))  # whole, but inert
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
