"""What every fault-injecting fake shares: an HTTP server on 127.0.0.1 in a thread.

Subclasses give `_handler_class()`; a hanging handler calls `hang()`, which holds the request
until `release()` (`stop()` calls it) or `hang_seconds` pass. `hung_answers` counts the held
requests answered since: zero after a client's timeout means it gave up while the server still
held its answer, an order of events rather than a measured time. Their handlers build on
`FakeHandler`: HTTP/1.1, no log lines, a body read and an answer sent in one call each.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, payload: object = None, raw: bytes | None = None, content_type: str = "application/json"
    ) -> None:
        """Answer `payload` as JSON, or the bytes `raw` as they are."""
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up on this request (a timeout, or it failed on another one)


class FakeServer:
    def __init__(self, mode: str = "ok", hang_seconds: float = 30.0, port: int = 0) -> None:
        self.mode = mode
        self.hang_seconds = hang_seconds
        self.requests: list = []
        self.headers: list[dict[str, str]] = []  # request headers, in arrival order
        self._release = threading.Event()
        self.hung_answers = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        # a client that gave up on a hanging answer is what these fakes are for: no traceback
        self._server.handle_error = lambda request, client_address: None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def hang(self) -> None:
        """Hold the current request (in its handler thread) until released or `hang_seconds` pass."""
        self._release.wait(self.hang_seconds)
        self.hung_answers += 1

    def release(self) -> None:
        """Let every held request (and every later one in a hanging mode) answer."""
        self._release.set()

    def _handler_class(self):
        raise NotImplementedError

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()  # let hanging handlers finish
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
