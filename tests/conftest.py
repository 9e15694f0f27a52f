"""Shared fixtures: isolated user dirs, an in-memory keyring, and a demo app to drive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from mlops_tui.core.secrets import forget_resolved
from mlops_tui.services.triage import forget_ack_failures


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.store:
            raise PasswordDeleteError(username)  # as real keyrings do
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own config, data and cache dirs, and no stray env settings."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(home / sub))
    for var in (
        "MLOPS_TUI_CONFIG",
        "MLOPS_TUI_USER",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "TEXTUAL_THEME",
        "MLOPS_TUI_OSC52",
    ):
        monkeypatch.delenv(var, raising=False)
    yield home
    forget_resolved()  # a secret one test resolved must not mask another test's words
    forget_ack_failures()  # nor a failed ack's note mark another test's alert


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


async def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02, pilot=None) -> None:
    """Wait, yielding to the app, until `predicate()` is true; fail with a clear message."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        if pilot is not None:
            await pilot.pause(interval)
        else:
            await asyncio.sleep(interval)


# The fault matrix's results, from each test's report: `user_properties` travel from a worker
# to the controller under pytest-xdist, where a module-level dict filled by the test would not.
FAULT_MATRIX: dict[tuple[str, str], str] = {}


def pytest_runtest_logreport(report) -> None:
    for name, value in report.user_properties:
        if name == "fault_matrix":
            kind, fault, result = value
            FAULT_MATRIX[(kind, fault)] = result


def pytest_terminal_summary(terminalreporter) -> None:
    if not FAULT_MATRIX:
        return
    from tests.faults.proxy import FAULTS

    kinds = list(dict.fromkeys(kind for kind, _ in FAULT_MATRIX))
    faults = [f for f in FAULTS if any((k, f) in FAULT_MATRIX for k in kinds)]
    terminalreporter.write_line("")
    terminalreporter.write_line("fault matrix (backend × fault)")
    terminalreporter.write_line("| backend | " + " | ".join(faults) + " |")
    terminalreporter.write_line("|---|" + "---|" * len(faults))
    for kind in kinds:
        cells = [FAULT_MATRIX.get((kind, f), "-") for f in faults]
        terminalreporter.write_line(f"| {kind} | " + " | ".join(cells) + " |")
    for (kind, fault), result in FAULT_MATRIX.items():
        if result != "pass":
            terminalreporter.write_line(f"  {kind} × {fault}: {result}")


def pytest_configure(config: pytest.Config) -> None:
    """`MLOPS_TUI_TEST_CLOCK=2026-11-30T13:11:00Z pytest …` runs the suite with the wall clock moved to
    that moment (still ticking). The live demo world is calm at some moments (no drift, nothing
    critical, every deployment healthy); this finds the tests that assumed a busy one."""
    import os

    moment = os.environ.get("MLOPS_TUI_TEST_CLOCK")
    if moment:
        import time_machine

        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)
