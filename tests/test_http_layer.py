"""The one HTTP layer every backend shares (backends/http.py): secret references, auth, TLS
choice and the errors a user reads, against a small server on 127.0.0.1."""

from __future__ import annotations

import gc
import json
import weakref
from http.server import BaseHTTPRequestHandler

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from mlops_tui.backends.errors import BackendUnavailable, BadResponse, Unauthorized
from mlops_tui.backends.http import (
    HttpBackendOptions,
    HttpStatusFailure,
    JsonHttp,
    SecretRef,
    resolve_auth,
)
from tests.fakes.base import FakeServer
from tests.server_process import free_port

SECRET = "t0ken-that-must-not-show"


class Routes(FakeServer):
    """/redirect answers 302 to a login page, /teapot 418 with a JSON error, / says ok;
    /endless streams JSON with no length until the client hangs up (`sent`: the bytes it got
    out), /declared says a 50 MB length up front."""

    sent = 0

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "https://sso.example.com/login")
                    self.end_headers()
                    return
                if self.path in ("/endless", "/declared"):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    if self.path == "/declared":
                        self.send_header("Content-Length", str(50 * 1024 * 1024))
                    self.end_headers()
                    chunk = b"[" + b'"x",' * 16383 + b'"x"]'
                    try:
                        for _ in range(800):  # 50 MB, unless the client stops reading
                            self.wfile.write(chunk)
                            fake.sent += len(chunk)
                    except OSError:
                        pass
                    return
                status, body = (418, {"error": "short and stout"}) if self.path == "/teapot" else (200, {"ok": True})
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler


def http_for(url: str, **options) -> JsonHttp:
    return JsonHttp("Thing", HttpBackendOptions(url=url, **options))


async def test_bearer_auth_from_an_env_reference_is_sent_and_errors_are_translated(monkeypatch):
    monkeypatch.setenv("THING_TOKEN", SECRET)
    with Routes() as server:
        http = http_for(server.url, auth={"type": "bearer", "token": "env:THING_TOKEN"})
        try:
            assert await http.get_json("/", what="the root") == {"ok": True}
            with pytest.raises(BadResponse, match=r"redirects \(HTTP 302\) to sso.example.com"):
                await http.get_json("/redirect")
            with pytest.raises(HttpStatusFailure) as info:
                await http.get_json("/teapot")
        finally:
            await http.aclose()
    assert info.value.status == 418 and info.value.server_message == "short and stout"
    assert {h.get("authorization") for h in server.headers} == {f"Bearer {SECRET}"}


async def test_an_unreachable_server_is_unavailable():
    http = http_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BackendUnavailable, match="cannot reach Thing at .*: connection refused"):
        await http.get_json("/")
    await http.aclose()


def test_a_missing_secret_is_refused_naming_the_reference_not_a_value(monkeypatch):
    monkeypatch.delenv("THING_TOKEN_UNSET", raising=False)
    options = HttpBackendOptions(url="http://x", auth={"type": "bearer", "token": "env:THING_TOKEN_UNSET"})
    with pytest.raises(Unauthorized, match="credentials for Thing at http://x: .*THING_TOKEN_UNSET is not set"):
        resolve_auth(options.auth, "Thing at http://x")


def test_every_secret_option_takes_a_reference_and_never_echoes_a_literal():
    class PluginOptions(BaseModel):
        model_config = ConfigDict(hide_input_in_errors=True)
        api_key: SecretRef

    assert PluginOptions(api_key="keyring:thing").api_key == "keyring:thing"
    with pytest.raises(ValidationError) as info:
        PluginOptions(api_key=SECRET)
    assert "secret reference" in str(info.value) and SECRET not in str(info.value)


async def test_an_answer_over_max_response_mb_is_refused_in_words_before_it_is_read_whole():
    with Routes() as server:
        http = http_for(server.url, max_response_mb=1)
        try:
            assert await http.get_json("/") == {"ok": True}  # under the limit: read as ever
            with pytest.raises(BadResponse) as endless:
                await http.get_json("/endless")
            with pytest.raises(BadResponse) as declared:
                await http.get_json("/declared")
        finally:
            await http.aclose()
    said = f"Thing at {server.url} sent an answer larger than 1 MB to GET /endless; raise max_response_mb"
    assert str(endless.value) == said
    assert str(declared.value) == said.replace("/endless", "/declared")
    assert endless.value.for_backend("things") == said + " for things"
    # the client stopped reading near the limit: most of the 50 MB was never sent
    assert server.sent < 20 * 1024 * 1024, f"{server.sent:,} bytes went out"


def test_max_response_mb_is_a_checked_option_of_every_backend():
    from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
    from mlops_tui.backends.mlflow.backend import MlflowBackend

    assert HttpBackendOptions(url="http://a").max_response_mb == 16
    assert MlflowBackend.Options().max_response_mb == 16
    # an alert storm is read item by item and capped by max_alerts: refusing it would hide it all
    assert AlertmanagerBackend.Options(url="http://a").max_response_mb == 256
    for wrong in (0, -1, 10_000, "lots"):
        with pytest.raises(ValidationError, match="max_response_mb"):
            HttpBackendOptions(url="http://a", max_response_mb=wrong)


async def test_an_answer_is_freed_as_soon_as_it_is_dropped_not_by_a_full_collection():
    """A poll of 200,000 alerts reads a 150 MB body: held in a reference cycle, it stayed in
    memory until the next full collection (RSS swung by that much on every poll)."""
    with Routes() as server:
        http = http_for(server.url)
        try:
            gc.collect()
            gc.disable()
            try:
                response = await http.request("GET", "/")
                assert response.json() == {"ok": True}
                answer = weakref.ref(response)
                del response
                assert answer() is None
            finally:
                gc.enable()
        finally:
            await http.aclose()
