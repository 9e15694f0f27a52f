"""A tiny fake MLflow server on 127.0.0.1, for fault injection only (everything else is tested
against a real `mlflow server`): hang, 500, 401, malformed JSON, a login redirect, and header
capture.

    with FaultyMlflow("500") as fake:
        backend = MlflowBackend("m", MlflowBackend.Options(url=fake.url))

In "ok" mode it answers just enough of the API for one poll (one experiment, one run, no
models). `fake.headers` holds the headers of every request, in arrival order.
"""

from __future__ import annotations

from typing import Literal

from tests.fakes.base import FakeHandler, FakeServer

Mode = Literal["ok", "hang", "500", "401", "malformed", "redirect"]

_EXPERIMENT = {"experiment_id": "1", "name": "fake", "lifecycle_stage": "active"}
_RUN = {
    "info": {
        "run_id": "r1",
        "experiment_id": "1",
        "run_name": "only",
        "status": "FINISHED",
        "start_time": 1_700_000_000_000,
        "end_time": 1_700_000_060_000,
        "user_id": "u",
    },
    "data": {"metrics": [{"key": "auc", "value": 0.9, "timestamp": 0, "step": 0}]},
}
_OK = {
    "/api/2.0/mlflow/experiments/search": {"experiments": [_EXPERIMENT]},
    "/api/2.0/mlflow/runs/search": {"runs": [_RUN]},
    "/api/2.0/mlflow/registered-models/search": {},
    "/api/2.0/mlflow/model-versions/search": {},
}


class FaultyMlflow(FakeServer):
    def __init__(self, mode: Mode = "ok", hang_seconds: float = 30.0, port: int = 0) -> None:
        super().__init__(mode, hang_seconds, port)

    def _handler_class(self):
        fake = self

        class Handler(FakeHandler):
            def _handle(self, method: str) -> None:
                self._read_body()
                path = self.path.split("?", 1)[0]
                fake.requests.append((method, path))
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                mode = fake.mode
                if mode == "hang":
                    fake.hang()
                    return self._send(200, {})
                if mode == "401":
                    return self._send(401, raw=b"You are not authenticated.", content_type="text/plain")
                if mode == "500":
                    body = {"error_code": "INTERNAL_ERROR", "message": "database is locked"}
                    return self._send(500, body)
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "https://sso.example.com/login?next=/mlflow")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if path == "/version":
                    return self._send(200, raw=b"0.0.0-fake", content_type="text/plain")
                if mode == "malformed":
                    return self._send(200, raw=b'{"experiments": [{"experiment_id": "1", "na')
                return self._send(200, _OK.get(path, {}))

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        return Handler
