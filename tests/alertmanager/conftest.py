"""Fixtures for the Alertmanager tests: real servers on 127.0.0.1 (see fixtures.py)."""

from tests.alertmanager.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    alertmanager_case,
    alertmanager_server,
    alertmanager_server_b,
)
