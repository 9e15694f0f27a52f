"""A job that runs on a daemon thread of its own, off the UI thread, until it is stopped."""

from __future__ import annotations

import threading
from typing import Self


class BackgroundJob:
    """`start()` runs `main()` on a daemon thread named `thread_name`; `stop()` sets `stopping`
    (which `main` checks between steps) and waits a little for the thread to end."""

    thread_name = "mlops-tui-job"

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def main(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.main, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
