"""A hostile Alertmanager on 127.0.0.1 that echoes the caller's credentials back.

It reads the secret from the Authorization header it receives (a bearer token, or the
password of basic auth) and puts it everywhere a server can put text:

- in its data: one critical alert whose name, labels and annotations quote the secret;
- in a failed silence: a 500 whose body quotes the secret after `pad` characters (so a
  message cut at 80 or 200 characters would end inside it);
- optionally in every answer: `mode = "not_json"`, a 200 whose body is not JSON and quotes
  the secret after `pad` characters; `"error"`, a 500 whose JSON error message does;
  `"unauthorized"`, a 401 that does; `"header"`, a 500 quoting the Authorization header as
  it came (for basic auth, the password inside base64).

    with EchoingAlertmanager(pad=190) as fake:
        ... url=fake.url, auth basic/bearer ...
"""

from __future__ import annotations

import base64
import json
from typing import Literal

from tests.fakes.base import FakeHandler, FakeServer

Mode = Literal["data", "not_json", "error", "unauthorized", "header"]


def credential(header: str | None) -> str:
    """The secret inside an Authorization header ("" when there is none)."""
    if not header:
        return ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        raw = base64.b64decode(value).decode("utf-8", "replace")
        return raw.partition(":")[2]
    return header


class EchoingAlertmanager(FakeServer):
    def __init__(self, mode: Mode = "data", pad: int = 63) -> None:
        self.pad = pad
        self.seen: list[str] = []  # the secrets that arrived, to prove they were sent
        super().__init__(mode)

    def echo(self, secret: str) -> str:
        """Filler of `pad` characters, then the secret, then more words."""
        filler = ("the server could not accept the credentials it was given " * 10)[: self.pad]
        return f"{filler}{secret} (and that is all we have to say about it)"

    def alert(self, secret: str) -> dict:
        return {
            "labels": {
                "alertname": f"TokenEcho {secret}",
                "severity": "critical",
                "model": "fraud",
                "leaked": secret,
            },
            "annotations": {
                "summary": f"the caller sent {secret}",
                "description": json.dumps({"header": f"Bearer {secret}"}),
                "runbook_url": f"https://runbooks.example/{secret}",
            },
            "fingerprint": "0123456789abcdef",
            "startsAt": "2026-01-01T00:00:00.000Z",
            "endsAt": "2099-01-01T00:05:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
            "generatorURL": f"http://prometheus.example/graph?token={secret}",
            "receivers": [{"name": "null"}],
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        }

    def _handler_class(self):
        fake = self

        class Handler(FakeHandler):
            def _handle(self, method: str) -> None:
                self._read_body()
                secret = credential(self.headers.get("Authorization"))
                fake.seen.append(secret)
                path = self.path.split("?", 1)[0]
                if fake.mode == "header":  # the raw header: base64 for basic auth
                    return self._send(500, {"error": f"rejected {self.headers.get('Authorization')}"})
                if fake.mode == "error":
                    return self._send(500, {"error": fake.echo(secret)})
                if fake.mode == "unauthorized":
                    return self._send(401, {"error": fake.echo(secret)})
                if fake.mode == "not_json":
                    return self._send(200, raw=fake.echo(secret).encode())
                if method == "GET" and path == "/api/v2/alerts":
                    return self._send(200, [fake.alert(secret)])
                if method == "GET" and path == "/api/v2/silences":
                    return self._send(200, [])
                if method == "GET" and path == "/api/v2/status":
                    return self._send(200, {"versionInfo": {"version": f"0.0.0-{secret}"}})
                if method == "POST" and path == "/api/v2/silences":
                    return self._send(500, fake.echo(secret))
                return self._send(404, fake.echo(secret))

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        return Handler
