"""A known secret never reaches a status message, the screen, a log, --debug output or the audit log.

The nastiest server there is answers every request with an error that echoes our own
Authorization header back; everything the app writes or shows is searched for the token.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlops_tui.cli import main
from mlops_tui.config.loader import load_settings
from mlops_tui.config.paths import audit_log_path
from mlops_tui.services.logs import log_path
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from tests.conftest import wait_until
from tests.helpers import screen_text

TOKEN = "s3cr3t-t0ken-4f9a2c"


class EchoHandler(BaseHTTPRequestHandler):
    status = 401

    def _answer(self):
        body = json.dumps({"error": f"rejected credentials: {self.headers.get('Authorization')}"}).encode()
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    server.status = 401  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def config(tmp_path, echo_server, monkeypatch):
    monkeypatch.setenv("AM_TOKEN", TOKEN)
    path = tmp_path / "config.toml"
    port = echo_server.server_address[1]
    path.write_text(
        "[[backends]]\n"
        'name = "am"\nkind = "alertmanager"\n'
        f'url = "http://127.0.0.1:{port}"\n'
        'auth = { type = "bearer", token = "env:AM_TOKEN" }\n'
    )
    return path


def test_the_token_is_sent_but_never_shown(config, capsys, echo_server):
    code = main(["doctor", "--debug", "--config", str(config), "--timeout", "10"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "unauthorised" in out  # the server said 401, and we say so
    assert TOKEN not in out + err
    assert TOKEN not in log_path().read_text()


async def test_not_on_screen_nor_in_a_screenshot(config, tmp_path):
    runtime = build_runtime(load_settings(config), config_path=config, audit_path=tmp_path / "audit.jsonl")
    app = MlopsApp(runtime)
    async with app.run_test(size=(200, 48)) as pilot:
        await wait_until(lambda: app.snapshot.statuses[0].state.value == "unauthorised", pilot=pilot)
        assert "401" in app.snapshot.statuses[0].message
        for key in ("1", "5"):
            await pilot.press(key)
            await pilot.pause()  # the view is up and painted
            assert TOKEN not in screen_text(app)
            assert TOKEN not in app.export_screenshot()


def test_not_in_the_audit_log_of_a_failed_write(config, echo_server, capsys, monkeypatch):
    # a server that lists one alert, then fails the silence with the echo
    echo_server.status = 500
    monkeypatch.setenv("MLOPS_TUI_USER", "oncall")
    from mlops_tui.domain import Alert
    from mlops_tui.domain.base import utcnow

    runtime = build_runtime(load_settings(config), config_path=config)
    runtime.start()
    try:
        alert = Alert(fingerprint="f", labels={"alertname": "X"}, starts_at=utcnow(), backend="am")
        import asyncio

        from mlops_tui.services.actions import ActionRefused

        with pytest.raises(ActionRefused) as refused:
            asyncio.run(runtime.actions.ack([alert]))
        assert TOKEN not in str(refused.value)
    finally:
        runtime.stop()
    text = audit_log_path().read_text()
    assert '"outcome": "failed"' in text
    assert TOKEN not in text
