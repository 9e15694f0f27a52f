"""Fixtures for the browser tests: one headless Chromium per module, `mlops-tui serve` servers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.serve.server import XTERM_HOOK, ServeServer, launch_chromium
from tests.server_process import ServerError

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                yield browser
            finally:
                browser.close()
    except ServerError as exc:  # chromium could not be installed
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def context(browser) -> Iterator[Any]:
    """A fresh browser profile (no cookies) whose pages can read xterm's buffer."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.add_init_script(XTERM_HOOK)
    try:
        yield ctx
    finally:
        ctx.close()


def start_server(root, **kwargs) -> ServeServer:
    server = ServeServer(root, TOKEN, **kwargs)
    try:
        return server.start()
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[ServeServer]:
    """One `mlops-tui --demo serve --max-sessions 2` for the module's browser tests."""
    server = start_server(tmp_path_factory.mktemp("serve"), max_sessions=2)
    try:
        yield server
    finally:
        server.stop()
