"""Discovery of backend kinds through the `mlops_tui.backends` entry-point group.

Names are listed without importing the plugins; a kind is imported on demand, and an
ImportError becomes a `BackendLoadError` the user can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from mlops_tui.backends.base import Backend

GROUP = "mlops_tui.backends"


class BackendLoadError(Exception):
    """A configured kind is unknown or its plugin failed to import."""


@dataclass(frozen=True)
class BackendKind:
    name: str
    entry_point: EntryPoint

    @property
    def distribution(self) -> str:
        dist = self.entry_point.dist
        return dist.name if dist is not None else "?"

    def load(self) -> type[Backend[Any]]:
        try:
            cls = self.entry_point.load()
        except Exception as exc:  # a broken plugin must not take the app down
            raise BackendLoadError(
                f"backend kind {self.name!r} ({self.entry_point.value}) failed to import: {exc}"
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, Backend)):
            raise BackendLoadError(
                f"backend kind {self.name!r} points at {self.entry_point.value}, which is not a Backend"
            )
        return cls


def available_kinds() -> dict[str, BackendKind]:
    """Every installed kind by name, without importing any of them."""
    kinds: dict[str, BackendKind] = {}
    for ep in entry_points(group=GROUP):
        kinds.setdefault(ep.name, BackendKind(ep.name, ep))
    return dict(sorted(kinds.items()))


def load_kind(name: str) -> type[Backend[Any]]:
    kinds = available_kinds()
    if name not in kinds:
        known = ", ".join(kinds) or "none"
        raise BackendLoadError(f"unknown backend kind {name!r} (installed kinds: {known})")
    return kinds[name].load()
