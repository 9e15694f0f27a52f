"""What every fault-injecting fake shares: an HTTP server on 127.0.0.1 in a thread.

Subclasses give `_handler_class()`; a hanging handler calls `hang()`, which holds the request
until `release()` (`stop()` calls it) or `hang_seconds` pass. `hung_answers` counts the held
requests answered since: zero after a client's timeout means it gave up while the server still
held its answer, an order of events rather than a measured time.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


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
