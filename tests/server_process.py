"""What every real test server shares: installing it, a free port, waiting for it, stopping it.

The servers themselves (tests/<kind>/server.py) say how to start and query each one; this
module owns the process rules the brief sets for all of them: installed from the repo's own
scripts when missing, bound to 127.0.0.1 only, stopped by PID (SIGTERM, wait, SIGKILL).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]


class ServerError(RuntimeError):
    """A test server could not be installed or started."""


def free_port() -> int:
    """A port nothing listens on right now, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_install(script: str, env: Mapping[str, str] | None, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(REPO / "scripts" / script)],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, env=None if env is None else dict(env),
    )  # fmt: skip


def _install_failed(what: str, script: str, result: subprocess.CompletedProcess) -> ServerError:
    return ServerError(
        f"{what}: scripts/{script} failed (exit {result.returncode}):\n" + (result.stdout + result.stderr)[-2000:]
    )


def ensure_installed(binary: str, script: str) -> str:
    """The path of a system `binary`; runs `scripts/<script>` (apt-get) when it is missing."""
    path = shutil.which(binary)
    if path:
        return path
    result = _run_install(script, None, 600)
    path = shutil.which(binary)
    if result.returncode != 0 or not path:
        raise _install_failed(f"{binary} is not installed", script, result)
    return path


def ensure_venv_tool(
    tool: Path, script: str, *, env: Mapping[str, str] | None = None, also: tuple[Path, ...] = ()
) -> Path:
    """`tool` from a server venv under .test-servers; runs `scripts/<script>` to make it if missing."""
    if tool.exists() and all(p.exists() for p in also):
        return tool
    result = _run_install(script, env, 1200)
    if result.returncode != 0 or not tool.exists():
        raise _install_failed(f"{tool.name} is not installed", script, result)
    return tool


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `predicate` (HTTP and OS errors count as "not yet") until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (httpx.HTTPError, OSError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise ServerError(f"{what} within {timeout}s")
        time.sleep(interval)


def stop_process(proc: subprocess.Popen, timeout: float = 5.0, *, group: bool = False) -> None:
    """SIGTERM by PID, wait, then SIGKILL: the process, or with `group` the process group it
    leads (started with start_new_session=True), so that its workers go too."""
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        proc.wait(timeout)


def started(server: Any) -> Iterator[Any]:
    """For a fixture, `yield from started(server)`: starts it (a failed start fails the test
    with the server's own words, not a traceback) and stops it by PID when the test is done."""
    try:
        server.start()
    except ServerError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


class LocalServer:
    """A server process on 127.0.0.1: `url`, `pid`, an `http` client, start with retries, stop.

    A subclass gives `NAME`, `command(port)`, `ready()` (may raise ServerError when the
    process died) and `log_path`; `launch()` starts it on a free port, retrying when the port
    was taken between the probe and the bind, and fails with the tail of the server's log.
    """

    NAME = "server"
    HTTP_TIMEOUT = 10.0
    KILL_GROUP = False  # True for servers started with start_new_session=True (workers too)
    STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL

    def __init__(self, log_path: Path) -> None:
        self.log_path = Path(log_path)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._http: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=self.HTTP_TIMEOUT)
        return self._http

    def command(self, port: int) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def exited(self) -> bool:
        """For `ready()`: raises ServerError when the process is gone, so waiting stops early."""
        if self.proc is not None and self.proc.poll() is not None:
            raise ServerError(f"{self.NAME} exited with {self.proc.returncode}")
        return False

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def launch(
        self, timeout: float, *, port: int | None = None, attempts: int = 3, interval: float = 0.05, **popen: Any
    ) -> None:
        """Start on `port`, or on a free port with `attempts` tries; wait until `ready()`."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if port is not None:
            attempts = 1
        for attempt in range(attempts):
            self.port = port or free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    self.command(self.port), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    **popen,
                )  # fmt: skip
            try:
                wait_until(self.ready, timeout, f"{self.NAME} was not ready", interval=interval)
                return
            except ServerError:
                self.stop()
                if attempt == attempts - 1:
                    raise ServerError(f"{self.NAME} did not start; log:\n{self.log_tail()}") from None

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.proc is not None:
            stop_process(self.proc, self.STOP_TIMEOUT, group=self.KILL_GROUP)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self):
        raise NotImplementedError
