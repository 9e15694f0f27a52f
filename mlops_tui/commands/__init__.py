"""Headless subcommands; they share the hub and the actions service with the app."""

from __future__ import annotations

import argparse

from mlops_tui.commands import (
    alerts,
    audit_log,
    backend_kinds,
    cache,
    deployments,
    doctor,
    drift,
    keyring_secrets,
    models,
    promotions,
    runs,
    screenshots,
    serve,
    starter_config,
)

# In the order `mlops-tui --help` lists them.
MODULES = (
    backend_kinds,
    starter_config,
    keyring_secrets,
    audit_log,
    runs,
    models,
    promotions,
    deployments,
    drift,
    alerts,
    doctor,
    cache,
    serve,
    screenshots,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    for module in MODULES:
        module.register(sub, parents)
