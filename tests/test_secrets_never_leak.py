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
from mlops_tui.core.paths import audit_log_path
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


# -- a hostile server that echoes the credentials back, into errors and into data -------------
# Tokens with the characters that break naive masking: quotes and backslashes (escaped by
# JSON and repr), % (printf-style formatting in logs), regex metacharacters (a mask built as a
# regex), non-ASCII (escaped by json.dumps(ensure_ascii=True)). Non-ASCII cannot travel in a
# bearer header, so the unicode secret is a basic-auth password (base64 on the wire).
HOSTILE_SECRETS = [
    pytest.param("bearer", 'q"uo\\te%s%(x)s.*+?[a]{2}|^$-9f2c', id="quotes-backslash-percent-regex"),
    pytest.param("basic", 'pässwörd-ключ-🔑-"\\%2F(.*)', id="unicode-basic-password"),
]


def leaks(secret: str, text: str) -> list[str]:
    """Every form of `secret` (or its first 6 characters) found in `text`."""
    from urllib.parse import quote

    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
    }
    return sorted({f[:6] for f in forms if f[:6] in text})


def hostile_config(tmp_path, monkeypatch, url: str, kind: str, secret: str):
    monkeypatch.setenv("AM_SECRET", secret)
    auth = (
        'auth = { type = "bearer", token = "env:AM_SECRET" }\n'
        if kind == "bearer"
        else 'auth = { type = "basic", username = "ops", password = "env:AM_SECRET" }\n'
    )
    path = tmp_path / "hostile.toml"
    path.write_text(f'[[backends]]\nname = "am"\nkind = "alertmanager"\nurl = "{url}"\n{auth}')
    return path


def cli(capsys, config, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--config", str(config), "--timeout", "10"])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize(("kind", "secret"), HOSTILE_SECRETS)
@pytest.mark.parametrize(
    ("mode", "pad"),
    [
        ("not_json", 63),  # "answered something that is not JSON: '…'" cut at 80 characters
        ("error", 110),  # "… answered HTTP 500 to GET /api/v2/alerts: <body>" cut at 200
    ],
)
def test_a_cut_error_body_leaves_no_part_of_the_secret(tmp_path, capsys, monkeypatch, kind, secret, mode, pad):
    from tests.fakes.echoing_alertmanager import EchoingAlertmanager

    with EchoingAlertmanager(mode, pad=pad) as fake:
        config = hostile_config(tmp_path, monkeypatch, fake.url, kind, secret)
        code, doctor = cli(capsys, config, "doctor", "--debug")
        _, listing = cli(capsys, config, "alerts", "list")
        assert secret in fake.seen  # it was sent, and echoed back
    assert code == 1
    assert "•••" in doctor  # the echo was there (its secret ends where the text is cut), masked
    for channel, text in (("doctor", doctor), ("alerts list", listing), ("log", log_path().read_text())):
        assert leaks(secret, text) == [], f"{channel}:\n{text}"


@pytest.mark.parametrize(("kind", "secret"), HOSTILE_SECRETS)
def test_a_secret_echoed_as_data_is_masked_in_every_headless_channel(tmp_path, capsys, monkeypatch, kind, secret):
    from tests.fakes.echoing_alertmanager import EchoingAlertmanager

    monkeypatch.setenv("MLOPS_TUI_USER", "oncall")
    with EchoingAlertmanager("data", pad=190) as fake:
        config = hostile_config(tmp_path, monkeypatch, fake.url, kind, secret)
        code, table = cli(capsys, config, "alerts", "list")
        assert code == 0, table
        code, as_json = cli(capsys, config, "alerts", "list", "--json")
        assert code == 0, as_json
        ack_code, ack = cli(capsys, config, "alerts", "ack", "0123456789abcdef", "--debug")
    assert "TokenEcho ••••••" in table  # the alert is listed, the secret in it masked
    alerts = json.loads(as_json)["items"]
    assert alerts[0]["labels"]["leaked"] == "••••••"
    assert alerts[0]["annotations"]["summary"] == "the caller sent ••••••"
    assert ack_code == 1 and "••••••" in ack  # the server's 500 quoted the secret
    audit = audit_log_path().read_text()
    assert '"outcome": "failed"' in audit
    for channel, text in (
        ("alerts list", table),
        ("alerts list --json", as_json),
        ("alerts ack", ack),
        ("audit log", audit),
        ("log", log_path().read_text()),
    ):
        assert leaks(secret, text) == [], f"{channel}:\n{text}"


@pytest.mark.parametrize(("kind", "secret"), HOSTILE_SECRETS[:1])
async def test_a_secret_echoed_as_data_is_masked_on_screen_and_in_the_copy(tmp_path, monkeypatch, kind, secret):
    from tests.fakes.echoing_alertmanager import EchoingAlertmanager

    monkeypatch.setenv("MLOPS_TUI_USER", "oncall")
    with EchoingAlertmanager("data", pad=190) as fake:
        config = hostile_config(tmp_path, monkeypatch, fake.url, kind, secret)
        runtime = build_runtime(load_settings(config), config_path=config, audit_path=tmp_path / "audit.jsonl")
        app = MlopsApp(runtime)
        seen: list[tuple[str, str]] = []
        async with app.run_test(size=(200, 50), notifications=True) as pilot:

            def look(where: str) -> None:
                seen.append((where, screen_text(app)))
                seen.append((where + " (svg)", app.export_screenshot()))

            await pilot.press("5")
            await wait_until(lambda: "TokenEcho" in screen_text(app), pilot=pilot)
            look("alert list")
            await pilot.press("c")
            await wait_until(lambda: "TokenEcho" in (app.clipboard or ""), pilot=pilot)
            seen.append(("Markdown copy", app.clipboard))
            await pilot.press("enter")
            await wait_until(lambda: "the caller sent" in screen_text(app), pilot=pilot)
            look("alert detail")
            await pilot.press("a")
            await wait_until(lambda: type(app.screen).__name__ == "ConfirmDialog", pilot=pilot)
            look("ack dialog")
            await pilot.press("y")  # the server answers 500, quoting the secret
            await wait_until(lambda: "Not acked" in screen_text(app), pilot=pilot)
            look("the failure notification")
    assert "TokenEcho ••••••" in seen[0][1]
    assert "•••" in seen[-2][1]  # the failure was told, the secret it quoted masked
    seen.append(("audit log", (tmp_path / "audit.jsonl").read_text()))
    for where, text in seen:
        assert leaks(secret, text) == [], f"{where}:\n{text}"


@pytest.mark.parametrize(("kind", "secret"), HOSTILE_SECRETS)
def test_an_echoed_authorization_header_is_masked_even_in_base64(tmp_path, capsys, monkeypatch, kind, secret):
    import base64

    from tests.fakes.echoing_alertmanager import EchoingAlertmanager

    with EchoingAlertmanager("header") as fake:
        config = hostile_config(tmp_path, monkeypatch, fake.url, kind, secret)
        code, doctor = cli(capsys, config, "doctor", "--debug")
        assert secret in fake.seen
    assert code == 1 and "rejected" in doctor and "••••••" in doctor
    # the header as sent: the token itself, or base64("ops:" + password)
    header = secret if kind == "bearer" else base64.b64encode(f"ops:{secret}".encode()).decode()
    for channel, text in (("doctor", doctor), ("log", log_path().read_text())):
        assert leaks(secret, text) == [], f"{channel}:\n{text}"
        assert header[8:16] not in text, f"{channel}: the encoded secret is readable:\n{text}"
