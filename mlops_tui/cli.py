"""The ``mlops-tui`` command: the app by default, plus a few headless commands.

Exit codes: 0 success, 1 a refused or failed action (reason on stderr), 2 a usage or config
error. Tracebacks are never shown unless ``--debug`` is given. The UI (textual) is imported
only when the app actually runs, so headless commands stay fast.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import traceback
from collections.abc import Callable

from mlops_tui import __version__

# Importing `mlops_tui.config` (or anything below it) loads pydantic: this module imports
# it only inside functions, so that `main` can pause the garbage collector first.

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


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
    parser.add_argument("--demo", action="store_true", help="open the simulated demo world even if a config exists")
    parser.add_argument(
        "--demo-runs",
        type=_positive_int,
        metavar="N",
        default=None,
        help="number of runs in the demo world",
    )
    parser.add_argument("--read-only", action="store_true", help="refuse every action that changes anything")
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
    except CommandFailed as exc:
        _err(f"mlops-tui: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _err("mlops-tui: interrupted")
        return 130
    except SystemExit as exc:
        return _exit_code(exc.code)
    except BrokenPipeError:
        # Whoever read the output left early (`mlops-tui runs list | head`): not an internal
        # error. Python flushes stdout again at exit; point it at devnull so that cannot fail.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):
            pass
        return EXIT_FAILED
    except Exception as exc:
        if debug:
            traceback.print_exc()
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
    print(text, file=sys.stderr)


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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
