"""The on-disk cache of runs already seen, so a relaunch shows them before the first network page.

One file per server URL + configured experiment set, under the user's cache dir. The format
is a pickle of plain tuples, dicts, strings and numbers (10,000 runs load in ~40 ms, about
twice as fast as JSON); it is read with an unpickler that refuses every class, so a tampered
file cannot run code, and any file that does not read back cleanly counts as a miss.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from mlops_tui.backends.mlflow.convert import RunRow
from mlops_tui.config.paths import cache_dir

log = logging.getLogger(__name__)

MAGIC = "mlops_tui.mlflow.runs"
FORMAT = 1
SUBDIR = "mlflow"

# (filter, order_by, experiment_ids): what the cached runs are the answer to.
QueryKey = tuple[str, tuple[str, ...], tuple[str, ...]]
ExperimentRow = tuple[str, str, dict]  # (id, name, tags)


@dataclass(frozen=True)
class CachedRuns:
    query: QueryKey
    experiments: tuple[ExperimentRow, ...]
    rows: Sequence[RunRow]
    deleted: tuple[str, ...]
    loaded_at: float  # wall-clock seconds of the last full load


def _server_identity(url: str) -> str:
    """The URL without credentials or a trailing slash: what "the same server" means."""
    try:
        parsed = httpx.URL(url.strip())
        return str(parsed.copy_with(username=None, password=None)).rstrip("/")
    except Exception:
        return url.strip().rstrip("/")


def cache_key(url: str, experiments: Sequence[str]) -> str:
    names = "\x1f".join(sorted(experiments)) if experiments else "*"
    raw = f"{_server_identity(url)}\n{names}".encode()
    return hashlib.sha256(raw).hexdigest()[:24]


def cache_path(url: str, experiments: Sequence[str]) -> Path:
    return cache_dir() / SUBDIR / f"runs-{cache_key(url, experiments)}.pickle"


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: D401 - pickle's hook
        raise pickle.UnpicklingError(f"the runs cache may hold plain data only, not {module}.{name}")


def load(path: Path, key: str) -> CachedRuns | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.info("runs cache %s unreadable: %s", path, exc)
        return None
    try:
        payload = _PlainUnpickler(io.BytesIO(raw)).load()
        magic, fmt, stored_key, query, experiments, rows, deleted, loaded_at = payload
        if magic != MAGIC or fmt != FORMAT or stored_key != key:
            return None
        filt, order_by, exp_ids = query
        return CachedRuns(
            query=(str(filt), tuple(order_by), tuple(exp_ids)),
            experiments=tuple(experiments),
            rows=rows,
            deleted=tuple(deleted),
            loaded_at=float(loaded_at),
        )
    except Exception as exc:  # a truncated or foreign file is a miss, never a crash
        log.info("runs cache %s ignored: %s", path, type(exc).__name__)
        return None


def save(path: Path, key: str, cached: CachedRuns) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a cache."""
    payload = (
        MAGIC,
        FORMAT,
        key,
        cached.query,
        cached.experiments,
        list(cached.rows),
        cached.deleted,
        cached.loaded_at,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".runs-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(payload, f, protocol=5)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def clear_cache(url: str | None = None, experiments: Sequence[str] = ()) -> int:
    """Delete cached runs: of one server + experiment set, or (no url) of every MLflow server.

    Returns how many cache files were removed.
    """
    folder = cache_dir() / SUBDIR
    if url is not None:
        targets = [cache_path(url, experiments)]
    else:
        targets = sorted(folder.glob("runs-*.pickle")) + sorted(folder.glob(".runs-*"))
    removed = 0
    for target in targets:
        try:
            target.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed
