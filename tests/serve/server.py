"""A real `mlops-tui --demo serve` on 127.0.0.1, the process table under it, and a real
headless Chromium (Debian's package, driven by playwright) that reads the terminal's text
from xterm's buffer in the page."""

from __future__ import annotations

import base64
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.server_process import LocalServer, ServerError, ensure_installed

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Runs in the page before textual.js: textual-serve keeps its xterm Terminal in a closure, so
# catch the object that owns it when its constructor assigns `this.fitAddon`, then read the
# screen as text from xterm's buffer (the terminal itself is drawn on a canvas).
XTERM_HOOK = """
Object.defineProperty(Object.prototype, 'fitAddon', {configurable: true, set(v) {
  window.__textual = this;
  Object.defineProperty(this, 'fitAddon', {value: v, writable: true, configurable: true, enumerable: true});
}});
window.__screen = () => {
  const t = window.__textual && window.__textual.terminal;
  if (!t) return '';
  const b = t.buffer.active, out = [];
  for (let y = 0; y < t.rows; y++) { const l = b.getLine(y); out.push(l ? l.translateToString(true) : ''); }
  return out.join('\\n');
};
"""

# Text that is on screen only once the Overview has its data painted.
OVERVIEW_PAINTED = ("Firing alerts (", "Latest runs (of ", "demo ok")
ALERTS_VIEW = "a ack  s silence"


WS_HEADERS = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
}


@contextmanager
def websocket(port: int, path: str, timeout: float = 10.0, cookie: str = "") -> Iterator[tuple[socket.socket, bytes]]:
    """A websocket opened by hand (no client library): (socket, the response head)."""
    request = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    request += [f"{k}: {v}" for k, v in WS_HEADERS.items()] + ([f"Cookie: {cookie}"] if cookie else [])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(request) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1)
            if not chunk:
                break
            head += chunk
        yield sock, head


def raw_websocket(port: int, path: str, until: bytes, timeout: float = 10.0) -> bytes:
    """The response head and what the server sends, until `until` is seen (or it closes)."""
    with websocket(port, path, timeout) as (sock, data):
        while until not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def chromium_path() -> str:
    return ensure_installed("chromium", "install-chromium.sh")


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def screen_text(page: Any) -> str:
    return page.evaluate("window.__screen ? window.__screen() : ''")


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(interval)


def wait_for_screen(page: Any, *texts: str, timeout: float = 60.0) -> str:
    last = [""]

    def shows() -> str | None:
        last[0] = screen_text(page)
        return last[0] if all(t in last[0] for t in texts) else None

    try:
        return wait_for(shows, timeout, f"the page did not show {texts!r}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the screen was:\n{last[0]}") from None


def app_process(server: ServeServer, timeout: float = 10.0) -> tuple[int, list[str]]:
    """(pid, command line) of the app process a tab started, once it runs the app: right after
    the fork, before the exec, the child still has the server's own command line (`... serve
    ...`) and environment."""

    def exec_done() -> tuple[int, list[str]] | None:
        for pid in server.apps():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            except OSError:
                continue
            if "serve" not in argv:
                return pid, argv
        return None

    return wait_for(exec_done, timeout, "no app process started")


def children(pid: int) -> list[int]:
    """The live (not zombie) processes whose parent is `pid`, from the process table."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class ServeServer(LocalServer):
    """`mlops-tui --demo serve` (or `app_options` instead of --demo) with a known token and
    its own XDG dirs (audit log, logs)."""

    NAME = "mlops-tui serve"
    STOP_TIMEOUT = 15.0

    def __init__(
        self,
        root: Path,
        token: str,
        *,
        max_sessions: int = 4,
        extra: list[str] | None = None,
        env: dict[str, str] | None = None,
        app_options: list[str] | None = None,
    ) -> None:
        super().__init__(root / "serve.log")
        self.root = root
        self.token = token
        self.max_sessions = max_sessions
        self.extra = extra or []
        self.app_options = ["--demo"] if app_options is None else app_options
        self.env = dict(os.environ)
        for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
            (root / sub).mkdir(parents=True, exist_ok=True)
            self.env[var] = str(root / sub)
        for var in ("MLOPS_TUI_CONFIG", "MLOPS_TUI_USER", "MLOPS_TUI_VIA", "TEXTUAL_THEME"):
            self.env.pop(var, None)
        self.env["PYTHONUNBUFFERED"] = "1"
        if token:
            self.env["MLOPS_TUI_SERVE_TOKEN"] = token
        else:
            self.env.pop("MLOPS_TUI_SERVE_TOKEN", None)
        self.env.update(env or {})

    @property
    def audit_path(self) -> Path:
        demo = "--demo" in self.app_options  # the demo world keeps its own audit log
        return self.root / "data" / "mlops-tui" / ("demo" if demo else "") / "audit.jsonl"

    @property
    def app_log_path(self) -> Path:
        return self.root / "cache" / "mlops-tui" / "mlops-tui.log"

    def page_url(self, token: str | None = None) -> str:
        return f"{self.url}/?token={self.token if token is None else token}"

    def command(self, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "mlops_tui",
            *self.app_options,
            "serve",
            "--port",
            str(port),
            "--max-sessions",
            str(self.max_sessions),
            *self.extra,
        ]

    def ready(self) -> bool:
        self.exited()
        # Only the announcement says the socket is bound to *this* process.
        return "Open this URL in a browser" in self.log_tail(100_000)

    def apps(self) -> list[int]:
        return children(self.pid)

    def start(self) -> ServeServer:
        try:
            self.launch(60, env=self.env, cwd=self.root)
        except ServerError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        pids = self.apps() if self.proc is not None and self.proc.poll() is None else []
        super().stop()
        for pid in pids:  # belt and braces: a test failure must not leave app processes behind
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
