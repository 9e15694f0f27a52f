"""`mlops-tui serve` without a browser: refusals at start, the options each tab's app gets,
the random token (printed once, never logged), and --public-url."""

from __future__ import annotations

import getpass
import re
import signal

import httpx
import pytest

from mlops_tui.cli import build_parser, main
from mlops_tui.commands.serve import app_argv
from tests.serve.conftest import TOKEN, start_server
from tests.serve.server import ServeServer, alive, app_process, wait_for, websocket


def test_a_non_loopback_address_needs_allow_remote(capsys):
    assert main(["--demo", "serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "refusing to listen on 0.0.0.0" in err and "--allow-remote" in err


def test_a_short_token_from_the_environment_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("MLOPS_TUI_SERVE_TOKEN", "short")
    assert main(["--demo", "serve", "--port", "1"]) == 2
    assert "too short" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "c.toml", "--context", "prod", "--read-only", "--view", "alerts", "serve"],
        ["--config", "c.toml", "serve", "--context", "prod", "--read-only"],
    ],
)
def test_each_tab_runs_the_app_with_the_options_serve_was_given(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(argv)
    child = app_argv(args, tmp_path / "c.toml")
    assert child[1:3] == ["-m", "mlops_tui"] and "serve" not in child
    assert child[child.index("--config") + 1] == str(tmp_path / "c.toml")
    assert child[child.index("--context") + 1] == "prod"
    assert "--read-only" in child
    assert ("--view" in child) == ("--view" in argv)


def test_a_tab_app_process_gets_the_options_and_via_web_but_not_the_token(tmp_path):
    server = start_server(tmp_path, extra=["--read-only", "--view", "alerts"])
    try:
        with websocket(
            server.port,
            "/ws?width=100&height=30",
        ) as (_, head):
            assert head.startswith(b"HTTP/1.1 403")  # no token, no cookie
        assert server.apps() == []
        with httpx.Client(base_url=server.url, timeout=10) as http:
            entry = http.get(f"/?token={TOKEN}&fontsize=14")
            # The token is traded for a cookie and dropped from the address bar.
            assert entry.status_code == 302 and entry.headers["location"] == "./?fontsize=14"
            cookie = entry.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            page = http.get("/", headers={"Cookie": cookie.split(";")[0]})
        assert page.status_code == 200 and "<title>mlops-tui · demo (read-only)</title>" in page.text
        # The page's cookie alone opens the websocket, as the browser does after loading the page.
        with websocket(server.port, "/ws?width=100&height=30", cookie=cookie.split(";")[0]) as (_, head):
            assert head.startswith(b"HTTP/1.1 101")
            pid, cmdline = app_process(server)
            assert "--demo" in cmdline and "--read-only" in cmdline and "alerts" in cmdline
            environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            assert b"MLOPS_TUI_VIA=web" in environ
            assert f"MLOPS_TUI_USER={getpass.getuser()}".encode() in environ  # serve's identity, pinned
            assert not any(e.startswith(b"MLOPS_TUI_SERVE_TOKEN=") for e in environ)
        wait_for(lambda: not alive(pid), 5, "the app outlived its websocket")
    finally:
        server.stop()


def test_the_random_token_is_printed_once_and_never_logged(tmp_path):
    server = ServeServer(tmp_path, token="")
    server.start()
    try:
        match = re.search(r"http://127\.0\.0\.1:\d+/\?token=([\w-]+)", server.log_tail(100_000))
        assert match, server.log_tail()
        token = match.group(1)
        assert len(token) >= 32
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.get("/").status_code == 403
            assert http.get(f"/?token={token[:-1]}").status_code == 403
            assert http.get(f"/?token={token}").status_code == 302
            assert http.get("/", headers={"Cookie": f"mlops-tui-token-{server.port}={token}"}).status_code == 200
        # A path that dodges the gate's /static/ exemption is still refused (sent raw: no
        # client-side normalisation).
        for path in ("/static/../ws", "/static/%2e%2e/ws", "//ws", "/static/../"):
            with websocket(server.port, path) as (_, head):
                assert not head.startswith(b"HTTP/1.1 101") and not head.startswith(b"HTTP/1.1 200"), path
        assert server.apps() == []
        wait_for(lambda: "no valid token" in server.log_tail(), 5, "the refusal was not logged")
    finally:
        server.stop()
    output = server.log_tail(1_000_000)
    assert output.count(token) == 1  # the URL at start, nothing else
    app_log = server.app_log_path.read_text() if server.app_log_path.exists() else ""
    assert token not in app_log


def test_behind_a_proxy_the_page_uses_the_public_url(tmp_path):
    public = "https://ops.example.com/mlops"
    server = start_server(tmp_path, extra=["--public-url", public])
    try:
        assert f"{public}/?token=…" in server.log_tail()  # MLOPS_TUI_SERVE_TOKEN is not echoed
        with httpx.Client(base_url=server.url, timeout=10) as http:
            # The proxy forwards its own Host header: allowed, since --public-url names the site.
            entry = http.get(f"/?token={TOKEN}", headers={"Host": "ops.example.com"})
            assert entry.status_code == 302 and "Secure" in entry.headers["set-cookie"]
            assert "Path=/mlops/" in entry.headers["set-cookie"]
            page = http.get(
                "/", headers={"Host": "ops.example.com", "Cookie": entry.headers["set-cookie"].split(";")[0]}
            )
        assert page.status_code == 200
        assert 'data-session-websocket-url="wss://ops.example.com/mlops/ws"' in page.text
        assert f"{public}/static/js/textual.js" in page.text
        assert "fonts.googleapis.com" not in page.text
    finally:
        server.stop()


def test_allow_remote_listens_elsewhere_only_after_a_loud_warning(monkeypatch, capsys):
    # Tests listen on 127.0.0.1 only: the server's run() is replaced, to see what `serve`
    # says before it would listen on every address.
    import mlops_tui.commands.serve as serve

    urls = []

    class NotListening:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

        def run(self, url):
            urls.append((self.kwargs["host"], url))
            return 0

    monkeypatch.setattr(serve, "GatedServer", NotListening)
    assert main(["--demo", "--read-only", "serve", "--host", "0.0.0.0", "--allow-remote"]) == 0
    err = capsys.readouterr().err
    assert "WARNING: listening on 0.0.0.0:8765" in err and "plain HTTP" in err and "(read-only)" in err
    [(host, url)] = urls
    assert host == "0.0.0.0" and re.fullmatch(r"http://[^/]+:8765/\?token=[\w-]{32,}", url)
    assert "0.0.0.0" not in url  # a browser cannot open 0.0.0.0: the URL names this machine


def test_even_a_killed_server_leaves_no_app_process(tmp_path):
    # SIGKILL gives `serve` no chance to clean up: the app sees its stdin close and exits.
    server = start_server(tmp_path)
    try:
        cookie = f"mlops-tui-token-{server.port}={TOKEN}"
        with websocket(server.port, "/ws?width=100&height=30", cookie=cookie) as (_, head):
            assert head.startswith(b"HTTP/1.1 101")
            [pid] = wait_for(server.apps, 10, "no app process started")
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(10)
            wait_for(lambda: not alive(pid), 10, f"app process {pid} outlived a killed server")
    finally:
        server.stop()


CONFIG = """
default_context = "demo"
[contexts.demo]
[[contexts.demo.backends]]
name = "demo"
kind = "demo"
[contexts.staging]
[[contexts.staging.backends]]
name = "sim"
kind = "demo"
"""


def test_tabs_open_the_config_and_context_serve_was_started_with(tmp_path):
    (tmp_path / "work").mkdir()
    config = tmp_path / "work" / "mlops.toml"
    config.write_text(CONFIG)
    # A relative --config: the tabs get it made absolute, whatever their working directory.
    server = ServeServer(tmp_path, TOKEN, app_options=["--config", "work/mlops.toml", "--context", "staging"])
    server.start()
    try:
        cookie = f"mlops-tui-token-{server.port}={TOKEN}"
        with httpx.Client(base_url=server.url, timeout=10) as http:
            page = http.get("/", headers={"Cookie": cookie})
        assert "<title>mlops-tui · staging</title>" in page.text
        with websocket(server.port, "/ws?width=100&height=30", cookie=cookie) as (_, head):
            assert head.startswith(b"HTTP/1.1 101")
            _pid, cmdline = app_process(server)
            assert cmdline[cmdline.index("--config") + 1] == str(config)
            assert cmdline[cmdline.index("--context") + 1] == "staging" and "--demo" not in cmdline
    finally:
        server.stop()
