"""A tiny fake Evidently UI on 127.0.0.1, for fault injection only (the backend's behaviour is
tested against the real `evidently ui`): hang, HTTP 500, malformed JSON, a report that is not
a report, a project list of the wrong shape, 403.

    with FaultyEvidently("hang") as fake:
        backend = EvidentlyBackend("ev", EvidentlyBackend.Options(url=fake.url))

In "ok" mode it serves one project ("fraud") with one snapshot whose report is the real one
saved in tests/evidently/data/fraud-report.json. `fake.requests` records (method, path) and
`fake.headers` the headers of everything that arrived; `fake.version = None` makes
`/api/version` a 404, as on servers without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tests.fakes.base import FakeHandler, FakeServer

Mode = Literal["ok", "hang", "error_500", "malformed", "malformed_report", "wrong_shape", "forbidden"]

PROJECT_ID = "01a21c28-046d-7123-81bc-146fe2f1b28b"
SNAPSHOT_ID = "01a21c28-062a-77dc-a997-5599596fb430"
REPORT = Path(__file__).resolve().parents[1] / "evidently" / "data" / "fraud-report.json"


class FaultyEvidently(FakeServer):
    def __init__(self, mode: Mode = "ok", hang_seconds: float = 30.0, port: int = 0) -> None:
        self.version: str | None = "0.0.0-fake"
        self._report = REPORT.read_bytes()
        super().__init__(mode, hang_seconds, port)

    def _handler_class(self):
        fake = self

        class Handler(FakeHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                fake.requests.append(("GET", self.path))
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                mode = fake.mode
                if mode == "hang":
                    fake.hang()
                    return self._send(200, [])
                if mode == "forbidden":
                    return self._send(403, {"detail": "Not enough permissions"})
                if mode == "error_500":  # what the real server says for a snapshot it cannot load
                    return self._send(500, {"status_code": 500, "detail": "Internal Server Error"})
                if mode == "malformed":
                    return self._send(200, raw=b'[{"id": "01a21c28-046d-7123-81bc-146fe2f1b28b", "na')
                if path == "/api/version":
                    if fake.version is None:
                        return self._send(404, {"status_code": 404, "detail": "Not Found"})
                    return self._send(200, {"application": "Evidently UI", "version": fake.version})
                if path in ("/api/projects", "/api/projects/"):
                    if mode == "wrong_shape":
                        return self._send(200, {"projects": [{"id": PROJECT_ID, "name": "fraud"}]})
                    return self._send(200, [{"id": PROJECT_ID, "name": "fraud", "version": "2"}])
                if path == f"/api/projects/{PROJECT_ID}/snapshots":
                    snapshot = {"id": SNAPSHOT_ID, "metadata": {}, "tags": [], "timestamp": "2026-11-01T00:00:00Z"}
                    return self._send(200, [snapshot])
                if path == f"/api/projects/{PROJECT_ID}/{SNAPSHOT_ID}/download":
                    if mode == "malformed_report":
                        return self._send(200, {"status": "ok", "widgets": []})
                    return self._send(200, raw=fake._report)
                return self._send(404, {"status_code": 404, "detail": "Not Found"})

        return Handler
