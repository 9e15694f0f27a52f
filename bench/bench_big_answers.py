"""Benchmark: big answers. 200,000 alerts from one Alertmanager, 50,000 runs from one MLflow.

Run:  .venv/bin/python bench/bench_big_answers.py [--alerts 200000] [--runs 50000] [--polls 10]
          [--only alerts|runs] [--max-alerts N] [--churn 0.01] [--changed 0] [--refresh 3] [--sample-stalls MS]
          [--trace-growth POLL] [--count-objects POLL]

Alerts. Posting 200,000 alerts to Debian's `prometheus-alertmanager` is not what this measures
(and its GET of 200k alerts is slow in itself), so the script records a REAL Alertmanager's
answers instead: it starts one, posts 400 varied alerts and 50 silences (half of them acks),
and saves its `/api/v2/alerts`, `/api/v2/silences` and `/api/v2/status` JSON. A replay server
of the bench's own (a subprocess, so its memory is not counted) then serves 200,000 alerts made
from those recorded ones: the same shape and fields, distinct fingerprints and `instance`
labels, and `--churn` of them re-sent (`updatedAt` moved) on every request, as Prometheus does;
`--changed` of them also get a new `description` (new alerts to the app: the worst case for what
its collections walk).

Runs. A real `mlflow server` (from .test-servers/mlflow-venv) over a sqlite store seeded with
`--runs` runs the way bench/bench_mlflow.py seeds it (into a temp dir of this bench), read by
the MLflow backend with `page_size` 50,000: one page holds every run.

For each, the app runs headless (Textual's run_test, 160x48) with the real runtime (hub, ack
keeper, alert journal in a temp XDG dir), polling every `--refresh` seconds. While `--polls`
polls happen, the script keeps pressing keys and prints:

- RSS after each poll (flatness: the last polls should not grow) and the peak RSS (VmHWM);
- how long each poll took (fetch + convert + merge, from the hub's point of view);
- keystroke latency p50/p99/max for a view switch (to Alerts `5` or Runs `2`, and back to
  the Overview `1`, each on its own line), `j`, and one
  character typed into the `/` filter: from the key event to the first paint that shows its
  effect (the new view, the moved cursor, the list filtered by the typed text), with
  bench_keys_during_hang.py's PaintClock. (It used Textual's Pilot, which waits until the
  whole process is idle: with a hub thread decoding 200,000 alerts it waited up to 3 s after
  keys that had long been painted.) Each key is posted from a thread of its own (KeyPoster)
  0-100 ms after the last was painted, as a terminal's input thread posts it: a key that
  arrives while the UI thread is busy waits, and that wait is counted (timed from when the key
  was due, so a wait for the interpreter lock before it could be posted counts too). Beside it the CPU time
  the UI thread spent from the key until 20 ms after that paint. The ten slowest keys over
  SLOW_KEY_MS are listed with when they were posted, what overlapped them and each thread's CPU
  from the key to its paint; and, on Linux, from just before the key (the gap before it) to its
  paint, what the machine took: each thread's time runnable but waiting for a CPU, the replay
  server's CPU (it shares the cores) and the hypervisor's steal.
  The load average is printed with them; `--alerts 400` gives the floor on the same machine.
- how long the UI thread left a callback from another thread waiting (its StallWatch, one every
  10 ms): the longest a key can wait before the app starts on it, with the five longest waits
  and what overlapped them (the app's collections, the view's rebuilds, the heap trims); and
  one deep collection timed after the last key;
- after the run, DEEP_MEETINGS keys posted 5 ms into a deep collection: what a key that meets
  one waits (the run itself has none: it waits for the keys to pause). With `--sample-stalls MS`, every thread's stack
  is sampled each 10 ms during a wait longer than MS, and printed for the five longest: what
  held the UI thread when none of the timed work did.

Target (issues #11/#17): keys <= 100 ms; memory bounded and flat across polls.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import functools
import gc
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from array import array
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench.bench_keys_during_hang as keys_bench  # noqa: E402
from bench.bench_keys_during_hang import (  # noqa: E402
    OTHER_PROCESSES,
    KeyPoster,
    PaintClock,
    SlowCallbacks,
    StallWatch,
    ms_between,
    thread_cpu,
)


# -- the replay server (runs in its own process) -------------------------------------------------
def expand(recorded: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """`count` alerts shaped like the recorded ones, each with its own fingerprint and instance."""
    out = []
    for i in range(count):
        t = recorded[i % len(recorded)]
        labels = dict(t["labels"], instance=f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}:8080")
        out.append(dict(t, labels=labels, fingerprint=f"{i:016x}"))
    return out


def serve(recorded_dir: Path, count: int, churn: float, changed: float, port_file: Path) -> None:
    recorded = json.loads((recorded_dir / "alerts.json").read_text())
    silences = (recorded_dir / "silences.json").read_bytes()
    status = (recorded_dir / "status.json").read_bytes()
    alerts = expand(recorded, count)
    encoded = [json.dumps(a).encode() for a in alerts]  # re-encoded one by one as they change
    rng = random.Random(3)
    lock = threading.Lock()
    requests = [0]

    def alerts_body() -> bytes:
        with lock:
            requests[0] += 1
            if churn > 0 and requests[0] > 1:
                now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
                for i in rng.sample(range(len(alerts)), int(len(alerts) * churn)):
                    alerts[i] = dict(alerts[i], updatedAt=now)
                    encoded[i] = json.dumps(alerts[i]).encode()
                for i in rng.sample(range(len(alerts)), int(len(alerts) * changed)):
                    annotations = dict(alerts[i].get("annotations") or {}, description=f"request {requests[0]}")
                    alerts[i] = dict(alerts[i], annotations=annotations)
                    encoded[i] = json.dumps(alerts[i]).encode()
            return b"[" + b",".join(encoded) + b"]"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/api/v2/alerts":
                body = alerts_body()
            elif path == "/api/v2/silences":
                body = silences
            elif path == "/api/v2/status":
                body = status
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


def record_real_alertmanager(into: Path) -> str:
    """Start a real Alertmanager, post varied alerts and silences, save its answers."""
    from bench.bench_alerts import make_alerts, post_silences
    from tests.alertmanager.server import AlertmanagerServer

    server = AlertmanagerServer(into / "am", "am-record")
    try:
        server.start()
        alerts = make_alerts(400)
        for a in alerts[::3]:  # a few long annotations, as real alert rules write them
            a["annotations"]["description"] = "model input drifted beyond its reference window; " * 8
        server.post_alerts(alerts)
        post_silences(server, 50)
        deadline = time.monotonic() + 30
        while len(server.alerts()) < len(alerts) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)  # silences apply on Alertmanager's next pass
        (into / "alerts.json").write_text(json.dumps(server.alerts()))
        (into / "silences.json").write_text(json.dumps(server.silences()))
        (into / "status.json").write_text(json.dumps(server.http.get("/api/v2/status").json()))
        return server.version
    finally:
        server.stop()


# -- measuring the app -----------------------------------------------------------------------------
def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _mallinfo2() -> Any:
    try:
        call = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallinfo2
    except (OSError, AttributeError):  # not glibc, or older than 2.33
        return None
    call.restype = _MallInfo2
    return call


MALLINFO2 = _mallinfo2()


def allocators_mb() -> tuple[float, float, float]:
    """What the allocators of this process hold, in MB: (bytes in use in CPython's small-object
    allocator, its 1 MiB arenas, bytes in use in glibc's malloc). Objects of up to 512 bytes
    live in the arenas, and an arena goes back to the system only once all of it is free; what
    is bigger (buffers, big strings, dict tables) is malloc's, whose free pages the app trims.
    Read from `sys._debugmallocstats` (written to fd 2, ~2 ms) and glibc's `mallinfo2` (nan
    elsewhere)."""
    with tempfile.TemporaryFile() as out:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        stats = out.read().decode(errors="replace")
    fields: dict[str, float] = {}
    for line in stats.splitlines():
        if line.startswith(("# arenas allocated current", "# bytes in allocated blocks")):
            name, value = line.split("=", 1)
            fields[name.strip()] = int(value.strip().replace(",", ""))
    # nothing is printed while tracemalloc hooks the allocator (--trace-growth)
    in_use = fields.get("# bytes in allocated blocks", math.nan) / 2**20
    arenas = fields.get("# arenas allocated current", math.nan)  # 1 MiB each (CPython 3.10+)
    c_in_use = MALLINFO2().uordblks / 2**20 if MALLINFO2 is not None else math.nan
    return in_use, float(arenas), c_in_use


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drive(
    app: Any,
    backend: str,
    view_key: str,
    grid_id: str,
    polls: int,
    expect: int,
    sample_after: float | None = None,
    trace_from: int | None = None,
    count_from: int | None = None,
) -> dict[str, Any]:
    """Keep pressing keys until `polls` polls of `backend` ended; RSS after each poll. With
    `trace_from`, tracemalloc runs from that poll on, and what the app's Python data grew by
    from TRACE_SETTLE polls later to the last poll is kept (`growth`); with `count_from`, the
    objects alive after a deep collection after that poll and after the last (`counted`)."""
    from textual.widgets import Input

    runner = app.runtime.hub.runners[backend]
    into = "to Alerts" if view_key == "5" else "to Runs"
    # arrays, not lists of floats, for everything the bench keeps per key, poll or collection
    # (~40 keys and ~600 collections a poll): the bench's own floats would count in the app's
    # RSS trend (~20 KB a poll)
    lat: dict[str, array[float]] = {kind: array("d") for kind in (into, "to Overview", "j", "filter char")}
    cpu: dict[str, array[float]] = {k: array("d") for k in lat}
    # (posted at, kind, ms, each thread's CPU ms over it, how many ms before it the machine's
    # clocks were read, and what they counted since) of each key over SLOW_KEY_MS
    slow_keys: list[tuple[float, str, float, dict[str, float], float, dict[str, float]]] = []
    rss_after: array[float] = array("d")
    records_after: array[float] = array("d")  # the size of the bench's own records (records_mb)
    records_mb = RecordSizer()
    allocators_after: tuple[array[float], array[float], array[float]] = (array("d"), array("d"), array("d"))
    poll_s: array[float] = array("d")

    ui_thread = threading.get_ident()
    gc_ms: dict[int, array[float]] = {0: array("d"), 1: array("d"), 2: array("d")}
    gc_started = [0.0]
    other_gc_started = threading.local()

    def on_gc(phase: str, info: dict[str, int]) -> None:  # collections the UI thread pays for
        if threading.get_ident() != ui_thread:  # it holds the interpreter lock throughout
            if phase == "start":
                other_gc_started.at = time.perf_counter()
            elif time.perf_counter() - other_gc_started.at > 0.005:
                busy["another thread's collection"].extend((other_gc_started.at, time.perf_counter()))
            return
        if phase == "start":
            gc_started[0] = time.thread_time()
        else:
            gc_ms[info["generation"]].append((time.thread_time() - gc_started[0]) * 1000)

    gc.callbacks.append(on_gc)
    lru_caches = [o for o in gc.get_objects() if isinstance(o, functools._lru_cache_wrapper)]  # nothing frozen yet
    lru_sizes: list[list[int]] = []  # each cache's entries after poll WARM_POLLS + 1, and after the last
    counted: list[tuple[int, Counter[str]]] = []  # (poll, the objects alive by type): --count-objects
    # the view's own rebuild when it shows a new snapshot (the switch's share of it, and each
    # poll's while the view is up), apart from Textual's work of switching screens
    from mlops_tui.ui.screens.alerts import AlertsScreen
    from mlops_tui.ui.screens.runs import RunsScreen

    screen_class: Any = AlertsScreen if view_key == "5" else RunsScreen
    state_key = "_shown" if view_key == "5" else "_shown_state"  # what each keeps of the last shown
    rebuild_ms: array[float] = array("d")
    original = screen_class.show_snapshot

    def timed_show(self: Any, snapshot: Any) -> None:
        start_cpu, start = time.thread_time(), time.perf_counter()
        shown = self.__dict__.get(state_key)
        original(self, snapshot)
        if self.__dict__.get(state_key) is not shown:  # it rebuilt (an unchanged snapshot is skipped)
            rebuild_ms.append((time.thread_time() - start_cpu) * 1000)
            busy["rebuild"].extend((start, time.perf_counter()))

    # (start, end) pairs of the app's own full collections (ui/idle_gc.py) and of the view's
    # rebuilds: what a long wait of the UI thread overlapped
    busy: dict[str, array[float]] = {
        k: array("d") for k in ("collection", "deep collection", "rebuild", "trim", "another thread's collection")
    }
    # and of the reading thread's malloc_trim (core/heap.py), which holds the allocator's locks
    from mlops_tui.core import heap

    trim = heap._TRIM

    def timed_trim(pad: int) -> int:
        start = time.perf_counter()
        try:
            return trim(pad)  # type: ignore[misc]
        finally:
            busy["trim"].extend((start, time.perf_counter()))

    if trim is not None:
        heap._TRIM = timed_trim
    collector = app.idle_gc
    original_tick = collector.tick

    def timed_tick() -> bool:
        deep, start = collector.deep_collections, time.perf_counter()
        collected = original_tick()
        if collected:
            busy["deep collection" if collector.deep_collections != deep else "collection"].extend(
                (start, time.perf_counter())
            )
        return collected

    collector.tick = timed_tick  # type: ignore[method-assign]
    screen_class.show_snapshot = timed_show
    rng = random.Random(17)
    async with app.run_test(size=(160, 48)) as pilot:
        clock = PaintClock.of(app)
        poster = KeyPoster(app, ui_thread)
        watch = StallWatch(asyncio.get_running_loop(), sample_after=sample_after)
        mode_of = {"1": "overview", "2": "runs", "5": "alerts"}

        def effect(key: str) -> Any:
            """What the key's first painted frame must show."""
            if key in mode_of:
                return lambda: app.current_mode == mode_of[key]
            grid = app.screen.query_one(f"#{grid_id}")
            if key == "j":
                line = grid.cursor_index
                return lambda: grid.cursor_index != line
            typed = (app.focused.value if isinstance(app.focused, Input) else "") + key
            return lambda: grid.filter_text == typed  # the list is filtered by what was typed

        async def timed(kind: str, key: str) -> None:
            # posted from a thread of its own after a gap of up to KEY_GAP, as a person's keys
            # come: a key that arrives while the UI thread is busy waits, and that is counted
            took = await clock.time_key_from(poster, key, effect(key), rng.uniform(0, KEY_GAP))
            lat[kind].append(took)
            if took * 1000 > SLOW_KEY_MS:  # when, so that the report can say what overlapped it
                used = ms_between(poster.threads_cpu, thread_cpu())  # and who ran meanwhile
                machine = ms_between(poster.machine, await asyncio.wrap_future(poster.read_machine()))
                machine_from = (clock.at - took - poster.machine_at) * 1000
                slow_keys.append((clock.at - took, kind, took * 1000, used, machine_from, machine))
            posted_cpu = clock.posted_cpu
            await asyncio.sleep(0.02)
            cpu[kind].append(time.thread_time() - posted_cpu)  # the UI thread's own work

        def loaded() -> bool:  # MLflow's runs load in pages past the first poll: wait for all
            snap = app.snapshot
            return runner.status.last_ok is not None and not runner.status.progress and bool(snap.alerts or snap.runs)

        started = time.monotonic()
        while not loaded():
            if time.monotonic() - started > 1200:
                raise SystemExit(f"{backend} never answered in full: {runner.status.message or runner.status.progress}")
            await pilot.pause(0.1)
        print(
            f"  first poll done after {time.monotonic() - started:.1f}s; {len(app.snapshot.alerts):,} alerts, "
            f"{len(app.snapshot.runs):,} runs in the snapshot",
            flush=True,
        )
        last_ok = runner.status.last_ok
        poll_started = time.monotonic()
        traced_from: tracemalloc.Snapshot | None = None
        traced_to: tracemalloc.Snapshot | None = None
        await pilot.press(view_key)
        await pilot.pause(0.5)
        watch.start()  # from the first timed key on
        slow = SlowCallbacks().start()
        rounds = 0
        while len(rss_after) < polls:
            if True:  # every round: more samples of the switch
                await timed("to Overview", "1")
                await timed(into, view_key)
            for _ in range(3):
                await timed("j", "j")
            await pilot.press("slash")
            while not isinstance(app.focused, Input):
                await pilot.pause(0.01)
            for ch in "mod":
                await timed("filter char", ch)
            await pilot.press("escape")
            await pilot.pause(0.2)
            rounds += 1
            if runner.status.last_ok != last_ok:
                last_ok = runner.status.last_ok
                now = time.monotonic()
                poll_s.append(now - poll_started)
                poll_started = now
                rss_after.append(rss_mb()[0])
                for kept, value in zip(allocators_after, allocators_mb(), strict=True):
                    kept.append(value)
                if len(rss_after) in (WARM_POLLS + 1, polls):
                    lru_sizes.append([cache.cache_info().currsize for cache in lru_caches])
                if count_from is not None and len(rss_after) in (count_from, polls):
                    counted.append((len(rss_after), live_objects()))
                if trace_from is not None and len(rss_after) == trace_from:
                    tracemalloc.start(TRACE_FRAMES)
                if trace_from is not None and len(rss_after) == trace_from + TRACE_SETTLE:
                    traced_from = tracemalloc.take_snapshot()
                if traced_from is not None and len(rss_after) == polls:  # at the same point of a poll
                    traced_to = tracemalloc.take_snapshot()
                records_after.append(
                    records_mb(
                        lat,
                        cpu,
                        rss_after,
                        records_after,
                        allocators_after,
                        counted,
                        poll_s,
                        gc_ms,
                        rebuild_ms,
                        busy,
                        watch.waits_ms,
                        watch.at,
                        watch.samples,
                        slow.spans,
                        slow_keys,
                    )
                )
                print(
                    f"  poll {len(rss_after):2d}: RSS {rss_after[-1]:7.0f} MB  "
                    f"({runner.status.state.value}, {poll_s[-1]:.1f}s since the last)",
                    flush=True,
                )
        grid = app.screen.query_one(f"#{grid_id}")
        shown = grid.total_rows
        title = str(grid.border_title or "")
        # bounded caches that fill over the first polls (part of the early RSS rise)
        caches = {
            "the grid's rendered lines": (len(grid._line_cache), grid._line_cache.maxsize),
            "Textual's query_one cache, summed over the DOM": (
                sum(len(node._query_one_cache) for node in app.screen.walk_children(with_self=True)),
                None,
            ),
        }
        watch.stop()
        slow.stop()
        tracemalloc.stop()  # before the deep collection is timed below, however few polls ran
        # keys that meet a deep collection (it waits for the keys to pause, so the run above
        # has none): it is made due and run from the UI loop, and a `j` is posted from the
        # poster's thread DEEP_KEY_AFTER seconds later, inside its walk
        met: list[tuple[float, float]] = []  # (the key's ms, the deep collection's ms)
        loop = asyncio.get_running_loop()
        for _ in range(DEEP_MEETINGS):
            await asyncio.sleep(0.3)
            walked: list[float] = []

            def deep_tick(walked: list[float] = walked) -> None:
                deep, start = collector.deep_collections, time.perf_counter()
                original_tick()
                if collector.deep_collections != deep:
                    walked.append((time.perf_counter() - start) * 1000)

            collector.last_deep -= collector.deep_every
            collector.away = True
            loop.call_soon(deep_tick)
            took = await clock.time_key_from(poster, "j", effect("j"), DEEP_KEY_AFTER)
            if walked:  # not when the app's own tick ran it first
                met.append((took * 1000, walked[0]))
        growth = None
        if traced_from is not None and traced_to is not None and trace_from is not None:
            growth = (len(rss_after) - trace_from - TRACE_SETTLE, grown(traced_from, traced_to))
        poster.close()
        collector.tick = original_tick  # type: ignore[method-assign]
        heap._TRIM = trim
        # what a deep collection costs now, the app's own (it waits for keys to pause, so the
        # run above may have had none): the terminal "lost focus", the collector's next tick,
        # with a trim on both sides for the RSS it gives back
        collector.last_deep -= collector.deep_every
        collector.away = True
        heap.give_back_free_memory()
        deep, rss_before, start = collector.deep_collections, rss_mb()[0], time.perf_counter()
        collector.tick()
        deep_now = (time.perf_counter() - start) * 1000 if collector.deep_collections != deep else None
        heap.give_back_free_memory()
        rss_freed = rss_before - rss_mb()[0]
    gc.callbacks.remove(on_gc)
    screen_class.show_snapshot = original
    return {
        "stalls": (watch.waits_ms, watch.at),
        "stall samples": watch.samples,
        "slow callbacks": slow.spans,
        "busy": busy,
        "deep now": deep_now,
        "deep met": met,
        "deep freed": rss_freed,
        "gc": gc_ms,
        "rebuild": rebuild_ms,
        "latency": lat,
        "slow keys": slow_keys,
        "cpu": cpu,
        "load": os.getloadavg()[0],
        "rss_after": rss_after,
        "records_after": records_after,
        "allocators_after": allocators_after,
        "growth": growth,
        "peak": rss_mb()[1],
        "shown": shown,
        "title": title,
        "caches": caches,
        "lru": (lru_caches, lru_sizes),
        "counted": counted,
        "expect": expect,
    }


KEY_GAP = 0.1  # seconds: each key is posted a random 0-KEY_GAP after the last one was painted
SLOW_KEY_MS = 60.0  # keys slower than this are listed with what overlapped them
DEEP_MEETINGS = 10  # keys posted into a deep collection, after the run
DEEP_KEY_AFTER = 0.005  # seconds after the deep collection was asked for
WARM_POLLS = 2  # RSS trend from the poll after these


def deep_size(obj: Any) -> int:
    """The bytes of `obj` and of every list, tuple and dict it holds, each counted once."""
    seen: set[int] = set()
    size, todo = 0, [obj]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        size += sys.getsizeof(obj)
        if isinstance(obj, dict):
            todo.extend(obj.keys())
            todo.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            todo.extend(obj)
    return size


class RecordSizer:
    """The size of what the bench itself keeps (its arrays of timings, the slow callbacks' spans,
    the stack samples): held in the app's process, it grows with every poll (~600 waits and
    ~600 collections timed a poll) and counts in the RSS the trend is taken of.

    Counted as it grows, after each poll on the UI thread: its lists and dicts only gain entries,
    so each entry is measured once, and an object shared by many entries (a callback's name) is
    counted once, as `deep_size` counts it; arrays, lists and dicts are measured again each time
    (they grow). Walking all of it each poll took 35-38 ms of the UI thread by poll 1,000 of a
    1,000-poll run, and a key posted then waited for it."""

    def __init__(self) -> None:
        # id -> (the list or dict, entries measured, their bytes, the containers among them)
        self.counted: dict[int, tuple[Any, int, int, list[Any]]] = {}
        self.seen: set[int] = set()  # what is counted: held by the records, so its id stays its own

    def __call__(self, *held: Any) -> float:
        return sum(map(self.size, held)) / 2**20

    def size(self, obj: Any) -> int:
        if isinstance(obj, array):
            return sys.getsizeof(obj)
        if not isinstance(obj, (list, dict)):
            return sys.getsizeof(obj) + sum(map(self.size, obj)) if isinstance(obj, tuple) else sys.getsizeof(obj)
        entry = self.counted.get(id(obj))
        done, inner, growing = (entry[1], entry[2], entry[3]) if entry is not None and entry[0] is obj else (0, 0, [])
        if len(obj) > done:
            new = list(obj.items())[done:] if isinstance(obj, dict) else obj[done:]
            inner += self._once(new, growing)
            self.counted[id(obj)] = (obj, len(obj), inner, growing)
        return sys.getsizeof(obj) + inner + sum(map(self.size, growing))

    def _once(self, items: list[Any], growing: list[Any]) -> int:
        """The bytes of `items` (and what their tuples hold) not counted before; the lists, dicts
        and arrays among them go to `growing`."""
        size, todo = 0, list(items)
        while todo:
            obj = todo.pop()
            if isinstance(obj, (list, dict, array)):
                if id(obj) not in self.seen:
                    self.seen.add(id(obj))
                    growing.append(obj)
                continue
            if id(obj) in self.seen:
                continue
            self.seen.add(id(obj))
            size += sys.getsizeof(obj)
            if isinstance(obj, tuple):
                todo.extend(obj)
        return size


TRACE_FRAMES = 8  # frames kept of each traced allocation
TRACE_SETTLE = 5  # polls after tracemalloc starts before its baseline: its own start-up settles


def grown(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> list[tracemalloc.StatisticDiff]:
    """What the Python data grew by from `before` to `after`, both taken as a poll ended (a
    snapshot taken while the next poll is read counts its answer as growth), by where it was
    allocated; the bench's own records and tracemalloc's are left out."""
    ignore = [tracemalloc.Filter(False, pattern) for pattern in (__file__, keys_bench.__file__, tracemalloc.__file__)]
    diffs = after.filter_traces(ignore).compare_to(before.filter_traces(ignore), "traceback")
    return [d for d in diffs if d.size_diff > 0]


def trend(values: array[float]) -> float:
    """The least-squares slope of `values` per poll."""
    return statistics.linear_regression(range(len(values)), values).slope


def print_halves(said: str, values: array[float]) -> None:
    """The trend over each half of `values` (20 or more): does a rise stop once the bounded caches
    are full?"""
    if len(values) >= 20:
        half = len(values) // 2
        for label, part in (("first", values[:half]), ("second", values[half:])):
            print(f"  {said.format(label)}: {trend(part):+.3f} MB a poll")


def report_allocators(
    after: tuple[array[float], array[float], array[float]], records: array[float], rss: array[float]
) -> None:
    """Where an RSS trend comes from: the data the app holds (in use in both allocators, less
    the bench's records), or memory the allocators keep around it (CPython's arenas that a few
    live objects pin, malloc's pages)."""
    py_used, arenas, c_used = (values[WARM_POLLS:] for values in after)
    if any(math.isnan(value) for value in py_used):
        print("  the allocators' figures: not read while tracemalloc traced (it hides CPython's)")
        return
    print(
        f"  in CPython's small-object allocator: {py_used[0]:.1f} -> {py_used[-1]:.1f} MB in use"
        f" (trend {trend(py_used) * 1000:+.1f} KB a poll), in {arenas[0]:.0f} -> {arenas[-1]:.0f} arenas of 1 MiB"
        f" (max {max(arenas):.0f}; trend {trend(arenas):+.3f} a poll)"
    )
    if not math.isnan(c_used[0]):  # glibc
        print(
            f"  in glibc's malloc: {c_used[0]:.1f} -> {c_used[-1]:.1f} MB in use (trend {trend(c_used) * 1000:+.1f} KB a poll)"
        )
        data = array("d", (p + c - r for p, c, r in zip(py_used, c_used, records, strict=True)))
        print(f"  the app's data (in use in both, less the bench's records): {data[0]:.1f} -> {data[-1]:.1f} MB")
        print_halves("the app's data over the {} half", data)
        kept = array("d", (m - p - c for m, p, c in zip(rss, py_used, c_used, strict=True)))
        print_halves("the RSS less what both allocators hold in use, over the {} half", kept)


def live_objects() -> Counter[str]:
    """The objects alive that the collector tracks, by type, after a deep collection: what the app
    has not frozen for good (ui/idle_gc.py), as its deep collection walks it (60-150 ms of the UI
    thread, which the stall watch counts), and the frozen ones' count (`(frozen)`). Strings and
    numbers are not tracked: the containers that hold them are counted, not their length."""
    gc.collect()
    counts = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
    counts["(frozen)"] = gc.get_freeze_count()
    return counts


def report_live_objects(counted: list[tuple[int, Counter[str]]]) -> None:
    if len(counted) != 2:
        return
    (first, before), (last, after) = counted
    frozen = before.pop("(frozen)"), after.pop("(frozen)")
    print(
        f"  objects alive after a deep collection: {sum(before.values()):,} after poll {first},"
        f" {sum(after.values()):,} after poll {last} (and frozen for good: {frozen[0]:,}, {frozen[1]:,});"
        " the types that grew:"
        f" {', '.join(f'{name} +{n:,}' for name, n in (after - before).most_common(6)) or 'none'}"
    )


def report_lru_caches(caches: list[Any], sizes: list[list[int]], polls: int) -> None:
    """The `functools.lru_cache`s (Rich's and Textual's, keyed by text, styles, regions) that
    grew over the polls: bounded caches that fill slowly, each entry a few hundred bytes, rise
    the data trend until they are full."""
    if len(sizes) != 2 or polls < 2:
        return
    grew = [
        (after - before, after, cache) for cache, before, after in zip(caches, *sizes, strict=True) if after > before
    ]
    print(
        f"  functools caches: {sum(sizes[0]):,} -> {sum(sizes[1]):,} entries"
        f" ({sum(g for g, _, _ in grew) / (polls - 1):+.1f} a poll); the growing:"
    )
    for gained, now, cache in sorted(grew, key=lambda g: -g[0])[:6]:
        name = f"{getattr(cache, '__module__', '?')}.{getattr(cache, '__qualname__', '?')}"
        print(f"    {name}: +{gained:,} to {now:,} (at most {cache.cache_info().maxsize:,})")


def report_stalls(result: dict[str, Any]) -> None:
    """The UI thread's longest waits, and what they overlapped."""
    waits, at = result["stalls"]
    if not waits:
        return
    print(
        f"  a callback handed to the UI thread every 10 ms waited p50 {pct(waits, 0.5):.1f}  p99 {pct(waits, 0.99):.1f}"
        f"  max {max(waits):.1f} ms ({len(waits):,} handed; over 50 ms: {sum(w > 50 for w in waits)},"
        f" over 100 ms: {sum(w > 100 for w in waits)})"
    )
    busy, first = result["busy"], at[0]
    for kind, said in (
        ("collection", "the app's collections"),
        ("deep collection", "the app's deep collections"),
        ("trim", "the app's trims"),
        ("another thread's collection", "collections over 5 ms on other threads (CPython's own)"),
    ):
        pairs = busy[kind]  # from the first timed key on, as the waits
        spans = [(pairs[i + 1] - pairs[i]) * 1000 for i in range(0, len(pairs), 2) if pairs[i] >= first]
        if spans:
            print(f"  {said}: {len(spans)}, median {statistics.median(spans):.1f} ms, max {max(spans):.1f} ms")
    if not busy["deep collection"]:
        print("  no deep collection ran while keys came (ui/idle_gc.py: they wait for the keys to pause)")
    if result["deep met"]:
        keys, walks = (sorted(x) for x in zip(*result["deep met"], strict=True))
        print(
            f"  a `j` posted {DEEP_KEY_AFTER * 1000:.0f} ms into a deep collection, {len(keys)} times:"
            f" p50 {pct(keys, 0.5):.1f}  max {keys[-1]:.1f} ms; the deep collections:"
            f" p50 {pct(walks, 0.5):.1f}  max {walks[-1]:.1f} ms"
        )
    if result["deep now"] is not None:
        print(
            f"  one deep collection after the last key (not counted above): {result['deep now']:.1f} ms;"
            f" with a heap trim after it, RSS fell {result['deep freed']:.1f} MB"
        )
    slow = Counter(what for begun, ended, what in result["slow callbacks"] if ended - begun > 0.04)
    if slow:
        print("  the UI thread's loop callbacks over 40 ms, by what they were:")
        for what, count in slow.most_common(8):
            print(f"    {count:4d}  {what}")

    def overlapped(start: float, end: float) -> None:
        during = [
            f"{kind} of {(spans[j + 1] - spans[j]) * 1000:.0f} ms"
            for kind, spans in busy.items()
            for j in range(0, len(spans), 2)
            if spans[j] < end and spans[j + 1] > start
        ]
        print(f"{', '.join(during) or 'none of the collections, rebuilds or trims'}")
        for begun, ended, what in result["slow callbacks"]:
            if begun < end and ended > start:
                print(f"      the UI thread's loop ran {what} for {(ended - begun) * 1000:.0f} ms")

    print("  the five longest waits, and what the UI thread was doing then:")
    for i in sorted(range(len(waits)), key=waits.__getitem__)[-5:][::-1]:
        print(f"    {waits[i]:6.1f} ms at {at[i] - first:7.1f} s: ", end="")
        overlapped(at[i], at[i] + waits[i] / 1000)
        print_samples(result["stall samples"].get(i))
    keys = result["slow keys"]
    if keys:
        print(f"  keys over {SLOW_KEY_MS:.0f} ms: {len(keys)}; the slowest ten, posted at, and what overlapped them:")
        for posted, kind, ms, used, machine_from, machine in sorted(keys, key=lambda k: k[2])[-10:][::-1]:
            print(f"    {kind} {ms:.1f} ms at {posted - first:7.1f} s: ", end="")
            overlapped(posted, posted + ms / 1000)
            print(f"      CPU from the key to its paint: {most_first(used)}")
            print(f"      from {machine_from:.0f} ms before the key to its paint: {most_first(machine)}")


def most_first(ms: dict[str, float]) -> str:
    """Each of `ms` of 1 ms or more as "name 12 ms", the most first."""
    ran = sorted(((took, name) for name, took in ms.items() if took >= 1), reverse=True)
    return ", ".join(f"{name} {took:.0f} ms" for took, name in ran) or "none"


def sample_after(args: argparse.Namespace) -> float | None:
    return None if args.sample_stalls is None else args.sample_stalls / 1000


def print_samples(sampled: tuple[dict[str, float], list[tuple[float, dict[str, list[str]]]]] | None) -> None:
    """A long wait's threads' CPU over it, and its stack samples: every busy thread's innermost frames."""
    if sampled is None:
        return
    cpu, samples = sampled
    print(f"      CPU over the wait: {most_first(cpu)}")
    for offset, stacks in samples:
        print(f"      at +{offset * 1000:.0f} ms:")
        for thread, frames in stacks.items():
            print(f"        [{thread}] {' <- '.join(frames)}")


def report(name: str, result: dict[str, Any]) -> None:
    rss = result["rss_after"]
    print(f"\n{name}: {result['shown']:,} rows in the grid; its title: {result['title']}")
    print(f"  RSS after each poll (MB): {', '.join(f'{r:.0f}' for r in rss)}")
    settled = rss[WARM_POLLS:]  # the first polls fill the caches (filter text, sort orders, journal)
    if len(settled) >= 2:
        print(
            f"  from poll {WARM_POLLS + 1} on: {settled[0]:.0f} -> {settled[-1]:.0f} MB (max {max(settled):.0f}); "
            f"trend {trend(settled):+.2f} MB a poll (least squares)"
        )
    print_halves("trend over the {} half of those polls", settled)
    records = result["records_after"][WARM_POLLS:]
    if len(records) >= 2:
        own = array("d", (r - o for r, o in zip(settled, records, strict=True)))
        print(
            f"  of which the bench's own records (timings, spans, samples): {records[0]:.2f} -> {records[-1]:.2f} MB,"
            f" {trend(records) * 1000:+.1f} KB a poll; the RSS less them: trend {trend(own):+.3f} MB a poll"
        )
        print_halves("the RSS less the bench's records over the {} half", own)
        report_allocators(result["allocators_after"], records, settled)
    if result["growth"] is not None:
        polls, diffs = result["growth"]
        total = sum(d.size_diff for d in diffs)
        print(f"  the app's Python data (tracemalloc) grew {total / 1024:.0f} KB over {polls} polls; the most:")
        for d in diffs[:12]:
            where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in list(d.traceback)[::-1][:5])
            print(f"    {d.size_diff / 1024:+8.1f} KB {d.count_diff:+6d} blocks  {where}")
    for what, (size, most) in result["caches"].items():
        print(f"  {what}: {size:,} entries" + (f" (at most {most:,})" if most else ""))
    report_lru_caches(*result["lru"], len(settled))
    report_live_objects(result["counted"])
    print(f"  peak RSS over the run: {result['peak']:.0f} MB")
    print(f"  keystroke -> painted (load average {result['load']:.1f} on {os.cpu_count()} cores; target 100 ms):")
    for kind, values in result["latency"].items():
        if values:
            ms = [v * 1000 for v in values]
            own = [v * 1000 for v in result["cpu"][kind]]
            print(
                f"  {kind:<12} wall p50 {pct(ms, 0.5):6.1f}  p99 {pct(ms, 0.99):6.1f}  max {max(ms):6.1f} ms"
                f" | UI-thread CPU p50 {pct(own, 0.5):5.1f}  p99 {pct(own, 0.99):5.1f} ms  ({len(ms)} presses)"
            )
    if result["rebuild"]:
        own = result["rebuild"]
        print(
            f"  the view's rebuild on a new snapshot (UI-thread CPU): p50 {pct(own, 0.5):5.1f}  p99 {pct(own, 0.99):5.1f}"
            f"  max {max(own):5.1f} ms  ({len(own)} rebuilds)"
        )
    report_stalls(result)
    for generation, pauses in result["gc"].items():
        if pauses:
            print(
                f"  garbage collections of generation {generation} on the UI thread: {len(pauses)}, "
                f"median {statistics.median(pauses):.1f} ms, max {max(pauses):.1f} ms"
            )


def isolate(tmp: Path) -> None:
    """Journal, cache, audit log and config of this run stay in `tmp`."""
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(tmp / var.lower())


async def bench_alerts(args: argparse.Namespace, tmp: Path) -> None:
    from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
    from mlops_tui.services.runtime import build_runtime
    from mlops_tui.ui.app import MlopsApp

    recorded = tmp / "recorded"
    recorded.mkdir()
    version = record_real_alertmanager(recorded)
    print(
        f"recorded a real Alertmanager {version}: "
        f"{len(json.loads((recorded / 'alerts.json').read_text()))} alerts, "
        f"{len(json.loads((recorded / 'silences.json').read_text()))} silences"
    )
    port_file = tmp / "port"
    replay = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(recorded),
            "--alerts",
            str(args.alerts),
            "--churn",
            str(args.churn),
            "--changed",
            str(args.changed),
            "--port-file",
            str(port_file),
        ]
    )
    try:
        deadline = time.monotonic() + 120
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline or replay.poll() is not None:
                raise SystemExit("the replay server did not start")
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port_file.read_text()}"
        OTHER_PROCESSES["replay server"] = replay.pid  # its CPU beside a slow key's
        print(
            f"replay server {url} (pid {replay.pid}): {args.alerts:,} alerts, churn {args.churn:.0%},"
            f" changed {args.changed:.0%} per request"
        )
        options: dict[str, Any] = {"url": url, "timeout_seconds": 120}
        if args.max_alerts is not None:
            options["max_alerts"] = args.max_alerts
        backend = AlertmanagerBackend("am-big", options)
        runtime = build_runtime(None, backends=[backend], audit_path=tmp / "audit.jsonl")
        runtime.hub.refresh_seconds = args.refresh
        for r in runtime.hub.runners.values():
            r.refresh_seconds = args.refresh
        print(f"RSS before the app: {rss_mb()[0]:.0f} MB", flush=True)
        result = await drive(
            MlopsApp(runtime),
            "am-big",
            "5",
            "alerts",
            args.polls,
            args.alerts,
            sample_after(args),
            args.trace_growth,
            args.count_objects,
        )
        report(f"{args.alerts:,} alerts", result)
    finally:
        replay.terminate()
        replay.wait(10)


async def bench_runs(args: argparse.Namespace, tmp: Path) -> None:
    import bench.bench_mlflow as bm
    from mlops_tui.backends.mlflow.backend import MlflowBackend
    from mlops_tui.services.runtime import build_runtime
    from mlops_tui.ui.app import MlopsApp
    from tests.mlflow.server import MlflowServer

    bm.BENCH_DIR = tmp / "mlflow-seed"  # not the shared .test-servers/bench
    bm.REPO = Path("/")  # its messages name the store relative to this
    db = bm.seeded_db(args.runs)
    with MlflowServer(tmp / "mlflow-server", db=db) as server:
        print(f"mlflow {server.server_version()} at {server.url} with {args.runs:,} runs", flush=True)
        # one page of 50,000 runs is tens of MB: past the default max_response_mb (16)
        options = {"url": server.url, "page_size": 50_000, "timeout_seconds": 300, "max_response_mb": 512}
        backend = MlflowBackend("mlflow-big", options)
        runtime = build_runtime(None, backends=[backend], audit_path=tmp / "audit.jsonl")
        for r in runtime.hub.runners.values():
            r.refresh_seconds = args.refresh
        print(f"RSS before the app: {rss_mb()[0]:.0f} MB", flush=True)
        result = await drive(
            MlopsApp(runtime),
            "mlflow-big",
            "2",
            "runs",
            args.polls,
            args.runs,
            sample_after(args),
            args.trace_growth,
            args.count_objects,
        )
        report(f"{args.runs:,} runs (one page of 50,000)", result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=50_000)
    parser.add_argument("--polls", type=int, default=10)
    parser.add_argument("--refresh", type=float, default=3.0, help="seconds between polls")
    parser.add_argument("--churn", type=float, default=0.01, help="share of alerts re-sent per request")
    parser.add_argument("--changed", type=float, default=0.0, help="share of alerts given a new annotation per request")
    parser.add_argument("--max-alerts", type=int, default=None, help="the backend's max_alerts (default: its own)")
    parser.add_argument("--only", choices=("alerts", "runs"))
    parser.add_argument(
        "--sample-stalls",
        type=float,
        metavar="MS",
        help="sample every thread's stack during each UI-thread wait longer than MS, and print them for the longest",
    )
    parser.add_argument(
        "--trace-growth",
        type=int,
        metavar="POLL",
        help=(
            "trace the app's Python allocations from poll POLL on, and print where they grew to the last poll"
            " (give a --refresh longer than a traced poll takes, so no answer is being read at either snapshot)"
        ),
    )
    parser.add_argument(
        "--count-objects",
        type=int,
        metavar="POLL",
        help=(
            "count the objects alive after a deep collection after poll POLL and after the last, and print"
            " the types that grew (each count holds the UI thread 100-300 ms: not for a run that times keys)"
        ),
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_objects is not None and not 0 < args.count_objects < args.polls:
        parser.error("--count-objects POLL needs a poll before the last (--polls)")
    if args.serve:
        serve(args.serve, args.alerts, args.churn, args.changed, args.port_file)
        return
    with tempfile.TemporaryDirectory(prefix="bench-big-") as name:
        tmp = Path(name)
        isolate(tmp)
        if args.only in (None, "alerts"):
            asyncio.run(bench_alerts(args, tmp))
        if args.only in (None, "runs"):
            asyncio.run(bench_runs(args, tmp))


if __name__ == "__main__":
    main()
