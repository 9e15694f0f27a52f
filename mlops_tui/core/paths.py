"""Where mlops-tui keeps its files, resolved through platformdirs (so XDG_* vars apply)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "mlops-tui"
CONFIG_ENV = "MLOPS_TUI_CONFIG"


def explicit_config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The path the user asked for (``--config`` first, then ``$MLOPS_TUI_CONFIG``), or None."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(CONFIG_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return None


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config PATH``, else ``$MLOPS_TUI_CONFIG``, else the per-user config file."""
    return explicit_config_path(explicit) or default_config_path()


def cache_dir() -> Path:
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def demo_dir() -> Path:
    """Where the demo world keeps its files: never mixed with a real session's."""
    return data_dir() / "demo"


def audit_log_path(demo: bool = False) -> Path:
    """The append-only audit log, one JSON object per line (the demo world has its own)."""
    return (demo_dir() if demo else data_dir()) / "audit.jsonl"


def alert_journal_path() -> Path:
    """The on-call journal (SQLite): what this app saw of alerts, silences and acks."""
    return platformdirs.user_state_path(APP_NAME, appauthor=False) / "alert-journal.sqlite3"


def theme_choice_path() -> Path:
    """The theme last chosen in the app (`:theme`, the palette): state, never written to the config."""
    return platformdirs.user_state_path(APP_NAME, appauthor=False) / "theme.json"
