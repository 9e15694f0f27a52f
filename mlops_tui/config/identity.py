"""Who is at the keyboard: the name written to the audit log and used for approvals."""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_tui.config.settings import Settings

USER_ENV = "MLOPS_TUI_USER"


def current_user(settings: Settings | None = None) -> str:
    """``$MLOPS_TUI_USER``, else ``user`` from the settings file, else the OS login name."""
    env = os.environ.get(USER_ENV, "").strip()
    if env:
        return env
    if settings is not None and settings.user and settings.user.strip():
        return settings.user.strip()
    try:
        name = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (containers)
        return "unknown"
    return name.strip() or "unknown"
