"""A fake Open Inference Protocol v2 server on 127.0.0.1, for fault injection and the bench
only (everything else is tested against a real MLServer): "hang" never answers until stopped;
"slow" answers every route of `models` correctly after `latency` seconds.

    with FakeOip("slow", models=["m0", "m1"], latency=1.0) as fake:
        backend = OipBackend("oip", OipBackend.Options(deployments=[{..., "url": fake.url}]))

`fake.requests` holds (method, path) of every request, in arrival order.
"""

from __future__ import annotations

import threading
from typing import Literal

from tests.fakes.base import FakeHandler, FakeServer

Mode = Literal["hang", "slow"]


class FakeOip(FakeServer):
    def __init__(
        self, mode: Mode = "hang", *, models: list[str] | None = None, latency: float = 0.0,
        hang_seconds: float = 30.0,
    ) -> None:  # fmt: skip
        self.models = list(models or [])
        self.latency = latency
        self._lock = threading.Lock()
        super().__init__(mode, hang_seconds)
        # a model server takes many connections at once; socketserver's backlog of 5 would make
        # the kernel drop and retry them, timing the fake instead of the client
        self._server.socket.listen(512)

    def _answer(self, method: str, path: str) -> tuple[int, object]:
        if path in ("/v2/health/live", "/v2/health/ready"):
            return 200, {}
        if path == "/v2":
            return 200, {"name": "fake-oip", "version": "0.1", "extensions": []}
        if method == "POST" and path == "/v2/repository/index":
            return 200, [{"name": m, "version": "1", "state": "READY", "reason": ""} for m in self.models]
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[:2] == ["v2", "models"] and parts[2] in self.models:
            if parts[3:] == ["ready"]:
                return 200, {"name": parts[2], "ready": True}
            if not parts[3:]:
                return 200, {
                    "name": parts[2],
                    "versions": ["1"],
                    "platform": "fake",
                    "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 3]}],
                    "outputs": [],
                }
        return 404, {"error": f"no route {path}"}

    def _handler_class(self):
        fake = self

        class Handler(FakeHandler):
            def _handle(self, method: str) -> None:
                self._read_body()
                with fake._lock:
                    fake.requests.append((method, self.path))
                if fake.mode == "hang":
                    fake._release.wait(fake.hang_seconds)
                    return
                if fake.latency:
                    fake._release.wait(fake.latency)
                self._send(*fake._answer(method, self.path.split("?")[0]))

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        return Handler
