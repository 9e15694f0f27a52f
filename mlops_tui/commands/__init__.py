"""Headless subcommands; they share the hub and the actions service with the app."""

from __future__ import annotations

import argparse

from mlops_tui.commands import alerts, cache, deployments, doctor, models, promotions, runs

MODULES = (runs, models, promotions, alerts, doctor, cache, deployments)


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    for module in MODULES:
        module.register(sub, parents)
