"""Messages the app passes around."""

from __future__ import annotations

from textual.message import Message

from mlops_tui.services.snapshot import Snapshot


class SnapshotReady(Message):
    """The hub has a new snapshot (posted from a hub thread; Textual makes that safe)."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
