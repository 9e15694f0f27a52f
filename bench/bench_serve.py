"""Benchmark: `mlops-tui --demo serve` in a real headless Chromium (Debian's, via playwright).

Run:  .venv/bin/python bench/bench_serve.py [--opens 5] [--keys 20]

Starts `mlops-tui --demo serve` on a free 127.0.0.1 port (its own temporary XDG dirs), and
times, from inside the page (xterm's buffer, as the tests read it):

- open -> painted Overview: from `page.goto(URL with the token)` until the terminal shows the
  Overview with its data ("Firing alerts (", "Latest runs (of ", "demo ok"); split into the
  page load (HTML, textual.js; the DOMContentLoaded event) and the rest (websocket, a new app
  process: Python start-up, imports, the demo world, the first frame). Each open is a fresh
  tab, closed (and its process ended) before the next.
- key latency: a view switch (`5` -> Alerts, `1` -> Overview, alternately), from the browser's
  keydown event to the xterm render that shows the new view's text. That covers the key's
  trip page -> websocket -> server -> app stdin, the app's work and repaint, and the frame's
  trip back to xterm.

For scale, the same run also times the app's own launch to the painted Overview without a
browser (`bench/launch_probe.py`, as bench_app.py does), interleaved with the tab opens, and
prints the load average: on a shared 2-core machine most of a tab's start is the new app
process's Python start-up, which the load multiplies.

Figures are median, min and max. The server is stopped by PID at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.serve.server import (  # noqa: E402
    ALERTS_VIEW,
    OVERVIEW_PAINTED,
    XTERM_HOOK,
    ServeServer,
    launch_chromium,
    wait_for,
    wait_for_screen,
)

TOKEN = "bench-token-0123456789abcdef"

# Armed before each key press; window.__keyProbe resolves to the keydown -> render time (ms).
KEY_PROBE = """([target]) => { window.__keyProbe = new Promise((resolve) => {
  const term = window.__textual.terminal;
  let t0 = null, done = false;
  const onKey = () => { if (t0 === null) t0 = performance.now(); };
  document.addEventListener('keydown', onKey, true);
  const sub = term.onRender(() => {
    if (done || t0 === null) return;
    if (window.__screen().includes(target)) {
      done = true; sub.dispose(); document.removeEventListener('keydown', onKey, true);
      resolve(performance.now() - t0);
    }
  });
  setTimeout(() => { if (!done) resolve(-1); }, 20000);
}); }"""


def launch_probe(home: Path) -> float:
    """Seconds from spawning the app (headless, no browser) to its painted Overview."""
    env = {**os.environ, **{f"XDG_{d}_HOME": str(home / d.lower()) for d in ("CONFIG", "DATA", "CACHE")}}
    start = time.time()
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "launch_probe.py"), repr(start)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def fmt(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:7.0f} ms   min {min(values) * 1000:6.0f}"
        f"   max {max(values) * 1000:6.0f}   (n={len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opens", type=int, default=5, help="tabs opened one after another")
    parser.add_argument("--keys", type=int, default=20, help="view switches timed")
    opts = parser.parse_args()

    from playwright.sync_api import sync_playwright

    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        server = ServeServer(Path(tmp), TOKEN, max_sessions=2)
        t = time.perf_counter()
        server.start()
        print(f"serve ready (listening) in {time.perf_counter() - t:.2f} s")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                context.add_init_script(XTERM_HOOK)
                painted, loaded, baseline = [], [], []
                page = None
                for i in range(opts.opens):
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(server.page_url(), wait_until="domcontentloaded")
                    t1 = time.perf_counter()
                    wait_for_screen(page, *OVERVIEW_PAINTED, timeout=120)
                    t2 = time.perf_counter()
                    loaded.append(t1 - t0)
                    painted.append(t2 - t0)
                    baseline.append(launch_probe(Path(tmp) / "probe"))
                    if i < opts.opens - 1:
                        page.close()
                        wait_for(lambda: server.apps() == [], 10, "the closed tab's app still runs")
                assert page is not None
                page.evaluate("window.__textual.terminal.focus()")
                latencies = []
                targets = [("5", ALERTS_VIEW), ("1", OVERVIEW_PAINTED[0])]
                for i in range(opts.keys):
                    key, target = targets[i % 2]
                    page.evaluate(KEY_PROBE, [target])
                    page.keyboard.press(key)
                    ms = page.evaluate("window.__keyProbe")
                    if ms < 0:
                        raise SystemExit(f"key {key!r}: {target!r} never shown")
                    latencies.append(ms / 1000)
                browser.close()
        finally:
            server.stop()

    print(f"open -> painted Overview:  {fmt(painted)}")
    print(f"  of which page load:      {fmt(loaded)}")
    print(f"  app start + first frame: {fmt([p - l for p, l in zip(painted, loaded)])}")
    print(f"key -> repainted view:     {fmt(latencies)}")
    print(f"for scale, app launch -> painted Overview without a browser: {fmt(baseline)}")
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
