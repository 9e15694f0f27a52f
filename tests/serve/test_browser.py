"""`mlops-tui --demo serve` in a real headless Chromium: the token gate, the app working in
the page (Overview, Alerts, an ack recorded with via=web), tabs ending their processes, and
the session limit. The terminal's text is read from xterm's buffer in the page."""

from __future__ import annotations

import base64
import json
import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.serve.conftest import TOKEN, start_server
from tests.serve.server import (
    ALERTS_VIEW,
    OVERVIEW_PAINTED,
    WS_HEADERS,
    alive,
    raw_websocket,
    screen_text,
    wait_for,
    wait_for_screen,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_app_left(request):
    """After each test every tab it opened is closed: its app process must be gone too."""
    yield
    if "served" in request.fixturenames:
        served = request.getfixturevalue("served")
        wait_for(lambda: served.apps() == [], 10, f"app processes left running: {served.apps()}")


def open_app(context, server, *, token: str | None = None):
    page = context.new_page()
    response = page.goto(server.page_url(token))
    assert response is not None and response.status == 200, response and response.text()
    wait_for_screen(page, *OVERVIEW_PAINTED)
    page.evaluate("window.__textual.terminal.focus()")
    return page


def test_without_the_token_the_page_and_websocket_get_403_and_start_no_app(served, context):
    before = served.log_tail(100_000).count("session started")
    with httpx.Client(base_url=served.url, timeout=10) as http:
        for url in (
            "/",
            "/?token=",
            "/?token=wrong-token-0123456789abcdef",
            f"/?token={TOKEN}x",
            "/ws?width=80&height=24",
            "/ws?token=nope&width=80&height=24",
        ):
            response = http.get(url, headers=WS_HEADERS if url.startswith("/ws") else None)
            assert response.status_code == 403, url
            assert served.apps() == [], f"{url} started an app process"
        page = http.get("/")
        assert "needs the token" in page.text and TOKEN not in page.text
        # The right token from a page that names another host (DNS rebinding) is refused too.
        rebound = http.get(f"/?token={TOKEN}", headers={"Host": f"evil.example:{served.port}"})
        assert rebound.status_code == 403
        assert (
            http.get(
                "/ws",
                headers={**WS_HEADERS, "Host": "evil.example", "Cookie": f"mlops-tui-token-{served.port}={TOKEN}"},
            ).status_code
            == 403
        )

    # And in the browser: a 403 page that says what to do, and no process behind it.
    page = context.new_page()
    response = page.goto(served.page_url("wrong-token-0123456789abcdef"))
    assert response.status == 403
    assert "needs the token" in page.inner_text("body")
    assert served.apps() == []
    assert served.log_tail(100_000).count("session started") == before
    page.close()


def test_the_page_shows_the_overview_and_acks_an_alert_via_web(served, context):
    page = open_app(context, served)
    assert page.title() == "mlops-tui · demo"
    assert "token" not in page.url  # traded for a cookie at the first request
    assert len(served.apps()) == 1
    screen = screen_text(page)
    assert "1 Overview" in screen and "ctx demo" in screen

    # The screenshot shows the painted terminal, not textual-serve's intro dialog.
    assert "-first-byte" in page.evaluate("document.body.className")
    png = page.screenshot()
    if os.environ.get("MLOPS_TUI_WRITE_SCREENSHOTS"):  # scripts/export_screenshots.sh sets it
        (REPO / "screenshots" / "web.png").write_bytes(png)
    colours = page.evaluate(
        """async (data) => {
        const img = new Image(); img.src = 'data:image/png;base64,' + data; await img.decode();
        const c = new OffscreenCanvas(img.width, img.height), g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        const px = g.getImageData(0, 0, img.width, img.height).data, seen = new Set();
        for (let i = 0; i < px.length; i += 4) seen.add((px[i] << 16) | (px[i+1] << 8) | px[i+2]);
        return seen.size; }""",
        base64.b64encode(png).decode(),
    )
    assert colours > 50, f"the screenshot looks blank ({colours} colours)"

    page.keyboard.press("5")
    screen = wait_for_screen(page, ALERTS_VIEW)
    assert "♦ firing" in screen  # a firing alert, whichever the live demo world has now
    page.keyboard.press("a")
    wait_for_screen(page, "Ack 1 alert")
    page.keyboard.press("y")
    wait_for_screen(page, "Acked 1 alert")

    def acks() -> list[dict]:
        if not served.audit_path.exists():
            return []
        entries = [json.loads(line) for line in served.audit_path.read_text().splitlines() if line]
        return [e for e in entries if e["action"] == "ack"]

    [entry] = wait_for(acks, 10, "no ack in the audit log")
    assert entry["outcome"] == "ok" and entry["context"] == "demo"
    assert entry["detail"]["via"] == "web"
    assert entry["user"]  # the identity of whoever started `serve`
    page.close()


def test_closing_the_page_ends_its_app_process(served, context):
    page = open_app(context, served)
    [pid] = served.apps()
    page.close()
    wait_for(lambda: not alive(pid), 5, f"app process {pid} still running after its tab closed")


def test_tabs_beyond_max_sessions_are_refused_with_a_clear_page(served, context):
    first = open_app(context, served)
    second = open_app(context, served)
    assert len(served.apps()) == 2

    third = context.new_page()
    response = third.goto(served.page_url())
    assert response.status == 429
    text = third.inner_text("body")
    assert "Too many open sessions" in text and "--max-sessions" in text
    assert len(served.apps()) == 2

    # A websocket that slips past the page check (two pages loaded at once) is refused too:
    # it is told why, in the terminal, and closed.
    answer = raw_websocket(served.port, f"/ws?token={TOKEN}&width=80&height=24", b"sessions are open")
    assert answer.startswith(b"HTTP/1.1 101") and b"sessions are open" in answer
    assert len(served.apps()) == 2

    # Closing one tab frees its place.
    pid = served.apps()[0]
    first.close()
    wait_for(lambda: not alive(pid), 5, "the closed tab's app still runs")
    third.reload()
    wait_for_screen(third, *OVERVIEW_PAINTED)
    second.close()
    third.close()


def test_stopping_the_server_ends_every_app_process(tmp_path, context):
    server = start_server(tmp_path, max_sessions=2)
    try:
        page = open_app(context, server)
        [pid] = server.apps()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(15) == 0
        wait_for(lambda: not alive(pid), 5, f"app process {pid} outlived the server")
        page.close()
    finally:
        server.stop()
