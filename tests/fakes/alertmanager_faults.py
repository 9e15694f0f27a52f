"""A tiny fake Alertmanager on 127.0.0.1, for fault injection only (the real one is tested
against the real server): hang, 500 on POST silences, malformed JSON, 401.

    with FaultyAlertmanager("hang") as fake:
        backend = AlertmanagerBackend("am", AlertmanagerBackend.Options(url=fake.url))

`fake.requests` records (method, path, body) of everything that arrived (`fake.headers` their
headers); `fake.silences` holds
the silences the fake "created" (none, for the failure modes).
"""

from __future__ import annotations

import json
import uuid
from typing import Literal

from tests.fakes.base import FakeHandler, FakeServer

Mode = Literal["ok", "hang", "post_silences_500", "malformed", "unauthorized"]

_ALERT = {
    "labels": {"alertname": "ModelDown", "severity": "critical", "model": "fraud"},
    "annotations": {"summary": "fraud model is down"},
    "fingerprint": "0123456789abcdef",
    "startsAt": "2026-01-01T00:00:00.000Z",
    "endsAt": "2026-01-01T00:05:00.000Z",
    "updatedAt": "2026-01-01T00:00:00.000Z",
    "generatorURL": "",
    "receivers": [{"name": "null"}],
    "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
}


class FaultyAlertmanager(FakeServer):
    def __init__(self, mode: Mode = "ok", hang_seconds: float = 30.0, port: int = 0) -> None:
        self.silences: dict[str, dict] = {}
        super().__init__(mode, hang_seconds, port)

    def _handler_class(self):
        fake = self

        class Handler(FakeHandler):
            def _body(self) -> object:
                raw = self._read_body()
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    return raw.decode("utf-8", "replace")

            def _handle(self, method: str) -> None:
                body = self._body() if method in ("POST", "PUT") else None
                path = self.path.split("?", 1)[0]
                fake.requests.append((method, self.path, body))
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                mode = fake.mode
                if mode == "hang":
                    fake.hang()
                    return self._send(200, [])
                if mode == "unauthorized":
                    return self._send(401, "unauthorized")
                if mode == "malformed":
                    return self._send(200, None, raw=b'[{"labels": {"alertname": "X"}, "fingerp')
                if method == "GET" and path == "/api/v2/alerts":
                    return self._send(200, [_ALERT])
                if method == "GET" and path == "/api/v2/silences":
                    return self._send(200, list(fake.silences.values()))
                if method == "GET" and path == "/api/v2/status":
                    return self._send(200, {"versionInfo": {"version": "0.0.0-fake"}})
                if method == "POST" and path == "/api/v2/silences":
                    if mode == "post_silences_500":
                        return self._send(500, "failed to create silence: storage is full")
                    sid = str(uuid.uuid4())
                    fake.silences[sid] = {
                        **(body if isinstance(body, dict) else {}),
                        "id": sid,
                        "status": {"state": "active"},
                    }
                    return self._send(200, {"silenceID": sid})
                if method == "DELETE" and path.startswith("/api/v2/silence/"):
                    sid = path.rsplit("/", 1)[1]
                    if sid not in fake.silences:
                        return self._send(500, "silence not found")
                    fake.silences[sid]["status"] = {"state": "expired"}
                    return self._send(200, None, raw=b"")
                return self._send(404, "not found")

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        return Handler
