"""The log file: warnings always, everything with --debug; secrets masked on the way out."""

from __future__ import annotations

import logging
from pathlib import Path

from mlops_tui.core.paths import cache_dir
from mlops_tui.core.secrets import redact


class RedactSecrets(logging.Filter):
    """Masks every resolved secret in a record's final message (args included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact(text)
        return True


def log_path() -> Path:
    return cache_dir() / "mlops-tui.log"


def configure(debug: bool = False) -> Path:
    """Send the app's logs to the log file (never to the terminal the UI draws on)."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_mlops_tui", False)]:
        root.removeHandler(old)
        old.close()
    handler._mlops_tui = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    return path
