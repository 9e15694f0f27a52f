"""The bench's own user directories: a bench that builds a runtime from explicit backends is not
the demo, so its alert journal, caches, audit log and remembered theme would go to the user's
real XDG directories (one machine's journal reached 95,000 rows that way)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

XDG = ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")


@contextmanager
def isolated_user_dirs() -> Iterator[Path]:
    """Point the XDG directories of this process at a temporary directory for the block."""
    saved = {name: os.environ.get(name) for name in XDG}
    with tempfile.TemporaryDirectory(prefix="bench-user-") as tmp:
        for name in XDG:
            os.environ[name] = str(Path(tmp) / name.lower())
        try:
            yield Path(tmp)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
