"""``mlops-tui serve``: the same app in a browser tab, through textual-serve, behind a token.

textual-serve runs one app process per websocket and has no authentication of its own. Here a
middleware checks a token (query parameter ``token``, or the cookie the page sets) in constant
time before any handler runs, so a request without it gets 403 and never starts a process.
Each tab's app is ``python -m mlops_tui`` with the options ``serve`` was given (same config,
context and identity), its audit entries marked ``via=web``. A tab that closes ends its
process (its whole process group, after a grace period). The token is printed once, in the
URL, and never logged.

aiohttp and textual-serve are imported only when ``serve`` runs: ``mlops-tui --help`` and the
headless commands stay as fast as they were.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import html
import ipaddress
import logging
import os
import secrets
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from mlops_tui.services.runtime import Runtime

TOKEN_ENV = "MLOPS_TUI_SERVE_TOKEN"
VIA_ENV = "MLOPS_TUI_VIA"  # read by services/actions.py: each audit entry says how it was made
MIN_TOKEN_LENGTH = 16
DEFAULT_PORT = 8765
DEFAULT_MAX_SESSIONS = 4
QUIT_GRACE_SECONDS = 2.0  # after the "quit" message, before SIGTERM (then SIGKILL as long again)

log = logging.getLogger("mlops_tui.serve")


class ServeError(Exception):
    """A usage problem with ``serve``'s options; exit code 2."""


# -- the command line ---------------------------------------------------------------------------
def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        parents=parents,
        help="serve the app in a browser (token-gated; see the README)",
        description="Serve the app to web browsers through textual-serve. Each tab runs its own "
        "app process with this command's config, context and identity. The URL printed at "
        f"start carries a random token (or ${TOKEN_ENV}); without it every request gets 403.",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; others need --allow-remote)"
    )
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL browsers use, when behind a reverse proxy (e.g. https://ops.example.com/mlops)",
    )
    p.add_argument("--allow-remote", action="store_true", help="allow listening on an address other than loopback")
    p.add_argument(
        "--max-sessions",
        type=_positive,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"refuse more than N open tabs at once (default {DEFAULT_MAX_SESSIONS})",
    )
    # The app's own options, accepted after `serve` too (before it they are the global ones).
    p.add_argument("--context", metavar="NAME", default=argparse.SUPPRESS, help="config context")
    p.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help="the demo world")
    p.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS, help="refuse every write in every tab"
    )
    p.add_argument(
        "--view",
        default=argparse.SUPPRESS,
        metavar="VIEW",
        choices=("overview", "runs", "models", "deploy", "alerts", "drift"),
        help="the view each tab opens first",
    )
    p.set_defaults(handler=cmd_serve)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def app_argv(args: argparse.Namespace, config_path: Path | None) -> list[str]:
    """The command each tab runs: this Python, this package, the options `serve` was given."""
    argv = [sys.executable, "-m", "mlops_tui"]
    if config_path is not None:
        argv += ["--config", str(Path(config_path).resolve())]
    if getattr(args, "context", None):
        argv += ["--context", args.context]
    if getattr(args, "demo", False):
        argv.append("--demo")
    if getattr(args, "demo_runs", None):
        argv += ["--demo-runs", str(args.demo_runs)]
    if getattr(args, "read_only", False):
        argv.append("--read-only")
    view = getattr(args, "view", None)
    if view and view != "overview":
        argv += ["--view", view]
    return argv


def read_token(environ: dict[str, str] | os._Environ = os.environ) -> tuple[str, bool]:
    """(token, given): ``$MLOPS_TUI_SERVE_TOKEN`` if set, else a fresh random one."""
    given = environ.get(TOKEN_ENV, "").strip()
    if given:
        if len(given) < MIN_TOKEN_LENGTH:
            raise ServeError(
                f"${TOKEN_ENV} is too short to guess-proof the server: use at least "
                f"{MIN_TOKEN_LENGTH} characters (or unset it for a random token)"
            )
        return given, True
    return secrets.token_urlsafe(32), False


def base_url(host: str, port: int, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/")
    shown = host
    if host in ("0.0.0.0", "::", ""):
        shown = socket.gethostname()
    elif ":" in host and not host.startswith("["):
        shown = f"[{host}]"
    return f"http://{shown}:{port}"


def cmd_serve(args: argparse.Namespace) -> int:
    from mlops_tui.config.loader import find_settings
    from mlops_tui.services.runtime import build_runtime

    try:
        token, token_given = read_token()
        if not is_loopback(args.host) and not args.allow_remote:
            raise ServeError(
                f"refusing to listen on {args.host}: only loopback (127.0.0.1) is allowed by "
                "default. Anyone who reaches the port and has the token acts as you. Pass "
                "--allow-remote to mean it, preferably behind a TLS proxy (see the README)."
            )
        if args.public_url and urlsplit(args.public_url).scheme not in ("http", "https"):
            raise ServeError(f"--public-url must start with http:// or https://, got {args.public_url!r}")
    except ServeError as exc:
        print(f"mlops-tui: {exc}", file=sys.stderr)
        return 2

    # Resolve the config, context and identity once, here: a bad config fails now (exit 2),
    # not in every tab, and the page title can name the context.
    settings, path = find_settings(args.config)
    runtime = build_runtime(
        settings,
        context=getattr(args, "context", None),
        demo=bool(getattr(args, "demo", False)) or settings is None,
        demo_runs=getattr(args, "demo_runs", None),
        read_only=bool(getattr(args, "read_only", False)),
        config_path=path if settings is not None else None,
    )
    server = GatedServer(
        argv=app_argv(args, path if settings is not None else None),
        runtime=runtime,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        token=token,
        max_sessions=args.max_sessions,
    )
    if not is_loopback(args.host):
        print(
            "\n".join(
                [
                    "!" * 78,
                    f"!! WARNING: listening on {args.host}:{args.port}, not only on this machine.",
                    f"!! Anyone who can reach this port and has the token acts as {runtime.user!r}",
                    f"!! in context {runtime.context!r}{' (read-only)' if runtime.read_only else ''}.",
                    "!! This server speaks plain HTTP: put it behind a TLS proxy (see the README).",
                    "!" * 78,
                ]
            ),
            file=sys.stderr,
            flush=True,
        )
    shown = "…(from $" + TOKEN_ENV + ")" if token_given else token
    return server.run(url=f"{base_url(args.host, args.port, args.public_url)}/?token={shown}")


# -- the server ---------------------------------------------------------------------------------
def _page(status: int, title: str, text: str) -> Any:
    from aiohttp import web

    body = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{background:#0c181f;color:#eee;font-family:monospace;padding:3em;"
        "max-width:48em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html", headers={"Cache-Control": "no-store"})


def _make_classes():
    """The aiohttp/textual-serve subclasses, built on first use (their imports are heavy)."""
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    class AppProcess(AppService):
        """One tab's app: exec'd without a shell, in its own process group, reaped on stop."""

        def __init__(self, argv: list[str], env: dict[str, str], **kwargs: Any) -> None:
            super().__init__(" ".join(argv), **kwargs)
            self.argv = argv
            self.extra_env = env

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            environment = super()._build_environment(width, height)
            environment.pop(TOKEN_ENV, None)  # the app has no use for it
            environment.update(self.extra_env)
            return environment

        async def _open_app_process(self, width: int = 80, height: int = 24):
            self._process = process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._build_environment(width=width, height=height),
                start_new_session=True,  # its own group: killed whole, never orphaned
            )
            self._stdin = process.stdin
            return process

        @property
        def pid(self) -> int | None:
            return self._process.pid if self._process is not None else None

        def kill_group(self, sig: int) -> None:
            process = self._process
            if process is None or process.returncode is not None:
                return
            try:
                os.killpg(process.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

        async def stop(self) -> None:
            """Ask the app to quit; if it has not within the grace period, SIGTERM, then SIGKILL."""
            process = self._process
            if process is None:
                return
            if process.returncode is None:
                try:
                    await self.send_meta({"type": "quit"})
                except Exception:
                    pass
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None:
                    self.kill_group(sig)
                try:
                    await asyncio.wait_for(asyncio.shield(process.wait()), QUIT_GRACE_SECONDS)
                    break
                except TimeoutError:
                    continue
            task, self._task = self._task, None
            if task is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(task), QUIT_GRACE_SECONDS)
                except (TimeoutError, asyncio.CancelledError):
                    task.cancel()

    class GatedServer(Server):
        def __init__(
            self,
            *,
            argv: list[str],
            runtime: Runtime,
            host: str,
            port: int,
            public_url: str | None,
            token: str,
            max_sessions: int,
        ) -> None:
            read_only = " (read-only)" if runtime.read_only else ""
            super().__init__(
                " ".join(argv),
                host=host,
                port=port,
                title=f"mlops-tui · {runtime.context}{read_only}",
                public_url=public_url,
            )
            self.argv = argv
            self.configured_public_url = public_url.rstrip("/") if public_url else None
            self._token = token.encode("utf-8")
            self.cookie_name = f"mlops-tui-token-{port}"
            # Behind a proxy at https://host/prefix the cookie goes to /prefix/ only.
            self.cookie_path = urlsplit(public_url or "").path.rstrip("/") + "/"
            self.max_sessions = max_sessions
            self.sessions: set[AppProcess] = set()
            self.websockets: set[web.WebSocketResponse] = set()
            # The identity resolved here (env, config, login) is pinned for every tab.
            from mlops_tui.config.identity import USER_ENV

            self.child_env = {VIA_ENV: "web", USER_ENV: runtime.user}

        # -- access ------------------------------------------------------------------------
        def token_ok(self, request: web.Request) -> tuple[bool, bool]:
            """(allowed, from_query)."""
            for candidate, from_query in (
                (request.query.get("token"), True),
                (request.cookies.get(self.cookie_name), False),
            ):
                if candidate and hmac.compare_digest(candidate.encode("utf-8"), self._token):
                    return True, from_query
            return False, False

        def host_ok(self, request: web.Request) -> bool:
            """On loopback, refuse a Host header that is not loopback (DNS rebinding)."""
            if self.configured_public_url or not is_loopback(self.host):
                return True
            name = (
                (request.host or "").rsplit(":", 1)[0]
                if not (request.host or "").startswith("[")
                else (request.host or "").split("]")[0] + "]"
            )
            return is_loopback(name)

        @web.middleware
        async def gate(self, request: web.Request, handler):
            if request.path.startswith("/static/"):
                return await handler(request)  # xterm's JS, CSS and fonts: nothing secret
            if not self.host_ok(request):
                log.warning("refused a request for %s: Host header is not loopback", request.path)
                return _page(403, "403 Forbidden", "This server only answers on 127.0.0.1.")
            allowed, from_query = self.token_ok(request)
            if not allowed:
                log.warning("refused a request for %s from %s: no valid token", request.path, request.remote)
                return _page(
                    403,
                    "403 Forbidden",
                    "This mlops-tui page needs the token: open the URL that "
                    "`mlops-tui serve` printed when it started (…/?token=…).",
                )
            if from_query and request.path == "/":
                # Trade the token in the URL for a cookie, and drop it from the address bar
                # (history, screen shares). "./" keeps a --public-url path prefix.
                rest = urlencode([(k, v) for k, v in request.query.items() if k != "token"])
                response = web.HTTPFound("./" + (f"?{rest}" if rest else ""))
                response.headers["Cache-Control"] = "no-store"
                response.headers["Referrer-Policy"] = "no-referrer"
                response.set_cookie(
                    self.cookie_name,
                    request.query["token"],
                    httponly=True,
                    samesite="Strict",
                    path=self.cookie_path,
                    secure=(self.configured_public_url or "").startswith("https:"),
                )
                return response
            if request.path == "/" and len(self.sessions) >= self.max_sessions:
                return self.too_many_page()
            return await handler(request)

        def too_many_page(self):
            return _page(
                429,
                "Too many open sessions",
                f"{len(self.sessions)} of {self.max_sessions} mlops-tui sessions are "
                "open (the limit set by --max-sessions). Close another mlops-tui tab, "
                "then reload this page.",
            )

        # -- the page ----------------------------------------------------------------------
        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            import aiohttp_jinja2

            public = self.configured_public_url or f"{request.scheme}://{request.host}"
            ws_scheme = "wss" if public.startswith("https:") else "ws"
            context = {
                "font_size": max(6, min(48, _to_int(request.query.get("fontsize", "16"), 16))),
                "app_websocket_url": f"{ws_scheme}:{public.split(':', 1)[1]}/ws",
                "config": {"static": {"url": f"{public}/static/"}},
                "application": {"name": self.title},
            }
            response = aiohttp_jinja2.render_template("app_index.html", request, context)
            text = response.text or ""
            # A title that names the context; and no third-party font request (the page is
            # an internal, token-gated tool: it should not call out to a font CDN).
            text = text.replace("<head>", f"<head>\n    <title>{html.escape(self.title)}</title>", 1)
            text = _drop_font_cdn(text)
            response.text = text
            response.headers.update(
                {
                    "Cache-Control": "no-store",
                    "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY",
                }
            )
            return response

        # -- one tab -----------------------------------------------------------------------
        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            websocket = web.WebSocketResponse(heartbeat=15)
            width = max(10, min(1000, _to_int(request.query.get("width", "80"), 80)))
            height = max(5, min(500, _to_int(request.query.get("height", "24"), 24)))
            if len(self.sessions) >= self.max_sessions:
                await websocket.prepare(request)
                await websocket.send_bytes(
                    f"\r\n  mlops-tui: {self.max_sessions} sessions are open (--max-sessions);"
                    "\r\n  close another tab, then reload this one.\r\n".encode()
                )
                await websocket.close()
                log.warning("refused a session: %d of %d open", len(self.sessions), self.max_sessions)
                return websocket
            app = AppProcess(
                self.argv,
                self.child_env,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=False,
            )
            self.sessions.add(app)  # before any await: the limit holds under a burst of tabs
            self.websockets.add(websocket)
            try:
                await websocket.prepare(request)
                await app.start(width, height)
                log.info("session started: pid %s (%d of %d open)", app.pid, len(self.sessions), self.max_sessions)
                await self._process_messages(websocket, app)
            except asyncio.CancelledError:
                pass
            except Exception as error:
                log.error("session error: %s", " ".join(str(error).split()) or type(error).__name__)
            finally:
                try:
                    await asyncio.shield(app.stop())
                finally:
                    app.kill_group(signal.SIGKILL)  # whatever happened above, no orphan
                    self.sessions.discard(app)
                    self.websockets.discard(websocket)
                    if not websocket.closed:
                        await websocket.close()
                    log.info("session ended: pid %s (%d open)", app.pid, len(self.sessions))
            return websocket

        # -- start and stop ----------------------------------------------------------------
        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(self.gate)
            return app

        async def on_startup(self, app: web.Application) -> None:
            pass  # textual-serve prints a logo and the URL without the token; we print ours

        async def on_shutdown(self, app: web.Application) -> None:
            for websocket in list(self.websockets):
                await websocket.close()
            await asyncio.gather(*(s.stop() for s in list(self.sessions)), return_exceptions=True)
            for session in list(self.sessions):
                session.kill_group(signal.SIGKILL)

        def run(self, url: str) -> int:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("mlops-tui serve: %(message)s"))
            for name in ("mlops_tui.serve", "textual-serve"):
                logging.getLogger(name).addHandler(handler)
                logging.getLogger(name).setLevel(logging.INFO)

            def announce(*_: object) -> None:
                print(
                    f"mlops-tui serve: {self.title}, up to {self.max_sessions} tabs, "
                    "each its own app process. Ctrl+C stops it."
                )
                print(f"Open this URL in a browser:\n\n    {url}\n", flush=True)

            try:
                # access_log=None: the access log would write every URL, token included.
                web.run_app(
                    self._make_app(),
                    host=self.host,
                    port=self.port,
                    access_log=None,
                    print=announce,
                    shutdown_timeout=5.0,
                    handle_signals=True,
                )
            except OSError as exc:
                print(f"mlops-tui: cannot listen on {self.host}:{self.port}: {exc.strerror or exc}", file=sys.stderr)
                return 1
            return 0

    return AppProcess, GatedServer


def _to_int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


def _drop_font_cdn(text: str) -> str:
    start = text.find("<link")
    while start != -1:
        end = text.find(">", start)
        if end == -1:
            break
        if "fonts.googleapis.com" in text[start:end]:
            return text[:start] + text[end + 1 :]
        start = text.find("<link", end)
    return text


def GatedServer(**kwargs: Any):  # noqa: N802 - builds the class on first use
    return _make_classes()[1](**kwargs)
