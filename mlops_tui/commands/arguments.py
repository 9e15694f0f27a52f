"""Argument types shared by the app's own flags (cli.py) and the subcommands."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """A whole number above 0, or a usage error in the user's words."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value
