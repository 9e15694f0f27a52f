"""Child of bench_app.py: the reference, an empty Textual app from process start to painted.

The same clock as `launch_probe.py` (argv[1] is the parent's time.time() before the spawn),
so the two figures can be compared on a noisy machine: the issue's anchor is 0.20 s.
"""

from __future__ import annotations

import sys
import time

START = float(sys.argv[1])


def main() -> float:
    from textual.app import App
    from textual.widgets import Static

    painted: list[float] = []

    class Hello(Static):
        def render_line(self, y: int):
            if not painted:
                painted.append(time.time() - START)
                self.app.call_later(self.app.exit)
            return super().render_line(y)

    class Empty(App):
        def compose(self):
            yield Hello("hello")

    Empty().run(headless=True, size=(160, 48))
    return painted[0]


if __name__ == "__main__":
    print(f"{main():.4f}")
