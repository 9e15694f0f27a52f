"""Helpers for driving the whole app against a real `mlflow server` (or the fault fake).

- `mlflow_app(...)`: an `MlopsApp` whose only backend is an `MlflowBackend` at a URL;
- `RecordingMlflowBackend`: the same backend, remembering every HTTP request it sends;
- `Forwarder`: a port that is closed until `start()`, then forwards to the real server
  (a server that is down, then comes back);
- `toast_text`, `wait_for_toast`: a notification's words (`screen`, `wait_for_text` and
  `audit_lines` are tests/helpers.py's, re-exported);
- `cursor_to_row`, `narrow`: keys a person presses to get to a row;
- seeding helpers that write through REST, the way another MLflow client would.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.helpers import cursor_to as cursor_to_row
from tests.helpers import audit_lines, wait_for_text
from tests.helpers import screen_text as screen
from tests.mlflow.server import MlflowServer
from tests.server_process import free_port

SIZE = (160, 48)
PROMOTION = "mlops_tui.promotion."
REQUEST_TAGS = {PROMOTION + k for k in ("target", "requester", "requested_at", "note")}
# Requests that only read: every GET, and the two searches MLflow takes as POST.
READ_POSTS = {"/api/2.0/mlflow/experiments/search", "/api/2.0/mlflow/runs/search"}


# -- the app ------------------------------------------------------------------------------------
class RecordingMlflowBackend(MlflowBackend):
    """An MlflowBackend that keeps (method, path) of every request it sends, in order."""

    def __init__(self, name: str = "mlflow", options: MlflowBackend.Options | None = None) -> None:
        super().__init__(name, options)
        self.sent: list[tuple[str, str]] = []

    async def open(self) -> None:
        first = self._client is None
        await super().open()
        if first and self._client is not None:

            async def record(request) -> None:
                self.sent.append((request.method, request.url.path))

            self._client._http.event_hooks["request"].append(record)

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.sent if m != "GET" and not (m == "POST" and p in READ_POSTS)]


def mlflow_backend(
    url: str,
    experiments: Iterable[str] = (),
    *,
    timeout_seconds: float = 10.0,
    recording: bool = False,
    **more: object,
) -> MlflowBackend:
    """One backend named "mlflow", without the runs cache; `more`: other options (use_stages...)."""
    cls = RecordingMlflowBackend if recording else MlflowBackend
    options = MlflowBackend.Options(
        url=url, experiments=list(experiments), timeout_seconds=timeout_seconds, cache=False, **more
    )
    return cls("mlflow", options)


def mlflow_app(tmp_path: Path, backend: MlflowBackend, *, read_only: bool = False) -> MlopsApp:
    """The app with `backend` as its only backend; the audit log at tmp_path/audit.jsonl.

    Set MLOPS_TUI_USER (monkeypatch) before calling: the user is read here.
    """
    runtime = build_runtime(None, backends=[backend], audit_path=tmp_path / "audit.jsonl", read_only=read_only)
    return MlopsApp(runtime)


def status_of(app: MlopsApp, name: str = "mlflow"):
    return app.snapshot.status_of(name)


async def wait_for_state(app: MlopsApp, pilot, state: str, timeout: float = 10.0) -> None:
    try:
        await wait_until(lambda: status_of(app).state.value == state, timeout=timeout, pilot=pilot)
    except AssertionError:
        s = status_of(app)
        raise AssertionError(f"state {s.state.value!r} ({s.message!r}), not {state!r}") from None
    await pilot.pause()  # the screens took the snapshot; let them repaint


async def wait_for_version(app: MlopsApp, pilot, model: str, version: str, timeout: float = 15.0) -> None:
    await wait_until(lambda: (model, version) in app.snapshot.versions_by_key, timeout=timeout, pilot=pilot)
    await pilot.pause()  # the screens took the snapshot; let them repaint


# -- what a person sees ----------------------------------------------------------------------------
def toast_text(app: MlopsApp, title: str, width: int = 60) -> str:
    """The words of the notification titled `title` (its lines joined by spaces), or "".

    A notification is drawn as a box `width` columns wide (Textual's Toast) with a `▌` left
    border: its title on one line, then its message, wrapped, up to the blank padding line.
    """
    lines = screen(app).splitlines()
    for i, line in enumerate(lines):
        at = line.find("▌ " + title)
        if at < 0:
            continue
        words = []
        for below in lines[i:]:
            inside = below[at + 1 : at + width].strip()
            if below[at : at + 1] != "▌" or not inside:
                break
            words.append(inside)
        return " ".join(" ".join(words).split())
    return ""


async def wait_for_toast(app: MlopsApp, pilot, title: str, timeout: float = 8.0) -> str:
    """Until a notification titled `title` is on screen; returns its words."""
    words = ""

    def shown() -> bool:
        nonlocal words
        words = toast_text(app, title)
        return bool(words)

    try:
        await wait_until(shown, timeout=timeout, interval=0.1, pilot=pilot)
    except AssertionError:
        raise AssertionError(f"no notification {title!r} within {timeout}s; screen:\n{screen(app)}") from None
    return words


# -- keys ---------------------------------------------------------------------------------------------
async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def narrow(pilot, model: str) -> None:
    """`/`, the end of the model's name, `enter`: the focused list keeps only that model's rows.

    The fixture's names end in ten random hex digits: the last six are unique enough, and each
    key typed costs a repaint of the whole screen (~0.1 s on this machine).
    """
    await pilot.press("slash")
    await type_text(pilot, model[-6:])
    await pilot.press("enter")
    await pilot.pause()


# -- the server, through REST -------------------------------------------------------------------------
def seed_versions(server: MlflowServer, model: str, experiment_id: str, metrics: list[dict[str, float]]) -> list[str]:
    """A registered model with one version per metrics dict, each from a finished run."""
    server.create_model(model)
    versions = []
    for i, m in enumerate(metrics, start=1):
        run_id = server.create_run(experiment_id, name=f"{model}-train-{i}", metrics=m)
        versions.append(server.create_version(model, run_id))
    return versions


def seed_request(
    server: MlflowServer,
    model: str,
    version: str,
    requester: str,
    *,
    target: str = "champion",
    note: str = "",
    requested_at: str = "2026-01-05T09:00:00Z",
) -> None:
    """A pending promotion request written as tags, as `mlops-tui promotions request` would."""
    tags = {"target": target, "requester": requester, "requested_at": requested_at}
    if note:
        tags["note"] = note
    for key, value in tags.items():
        server.rest(
            "POST",
            "model-versions/set-tag",
            {"name": model, "version": version, "key": PROMOTION + key, "value": value},
        )


def promotion_tags(server: MlflowServer, model: str, version: str) -> dict[str, str]:
    return {k: v for k, v in server.version_tags(model, version).items() if k.startswith(PROMOTION)}


# -- a server that is down, then comes back -------------------------------------------------------------
class Forwarder:
    """A local port that refuses connections until `start()`; then forwards to `target_port`."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> Forwarder:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            for s in self._sockets:
                try:
                    s.close()
                except OSError:
                    pass
            self._sockets.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _accept(self) -> None:
        listener = self._listener
        while not self._stopping.is_set() and listener is not None:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass


__all__ = [
    "PROMOTION",
    "READ_POSTS",
    "REQUEST_TAGS",
    "SIZE",
    "Forwarder",
    "RecordingMlflowBackend",
    "audit_lines",
    "cursor_to_row",
    "mlflow_app",
    "mlflow_backend",
    "narrow",
    "promotion_tags",
    "screen",
    "seed_request",
    "seed_versions",
    "status_of",
    "toast_text",
    "type_text",
    "wait_for_state",
    "wait_for_text",
    "wait_for_toast",
    "wait_for_version",
]
