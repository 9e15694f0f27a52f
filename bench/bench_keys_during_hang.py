"""Benchmark: how fast the views answer their keys while a backend's poll hangs.

Run:  .venv/bin/python bench/bench_keys_during_hang.py [--repeat 5] [--passes 5]

The app runs headless on two demo backends: `demo` answers, `hung` never does (its poll waits
an hour). The collector starts off, as `mlops-tui` starts it (cli.main), so the app's own
gc.freeze steps run as they do for a user. Each round presses the view keys (2, 3, 4, 5, 6, 1)
once (the first visit mounts each view) and then --passes times more (a view shown again).
The clock runs from the key event reaching the app to the first paint with the new view
current (`PaintClock`, also used by bench_fault_keys.py: not Textual's Pilot, whose waits for
the whole process to be idle add at least 60 ms a key). Prints, per key, the median of the
first visits, and the median, p99 and max of the visits after. A view shown again first paints
as it was left, and, when a poll landed while it was away, the newest snapshot in a following
frame (BaseScreen.on_screen_resume): "up to date" times the key to that frame. The tests check
the order of events (each view is up while the poll is still pending); this script gives the
figures (issue #11's target: p99 <= 50 ms per key).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from textual import events
from textual._compositor import CompositorUpdate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp

KEYS = [("2", "runs"), ("3", "models"), ("4", "deploy"), ("5", "alerts"), ("6", "drift"), ("1", "overview")]


class PaintClock:
    """Wraps the app's paint: the time of the first paint after which `expect`'s predicate holds.

    The headless driver skips turning a frame into terminal bytes; this does it, so that cost
    (which a real terminal pays) is inside the figure."""

    @classmethod
    def of(cls, app: MlopsApp) -> PaintClock:
        """The app's one clock (a second would wrap the paint again, and render every frame twice)."""
        clock = app.__dict__.get("_bench_paint_clock")
        if clock is None:
            clock = app.__dict__["_bench_paint_clock"] = cls(app)
        return clock

    def __init__(self, app: MlopsApp) -> None:
        self.app = app
        self.predicate: Callable[[], bool] | None = None
        self.settled: Callable[[], bool] | None = None
        self.painted = asyncio.Event()
        self.settled_paint = asyncio.Event()
        self.at = self.settled_at = self.started = 0.0
        self.posted_cpu = 0.0  # after time_key_from: the UI thread's CPU time when the key was posted
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            if renderable is None:
                return
            if self.predicate is not None and self.predicate():
                self.at = time.perf_counter()
                self.predicate = None
                self.painted.set()
            if self.predicate is None and self.settled is not None and self.settled():
                self.settled_at = time.perf_counter()
                self.settled = None
                self.settled_paint.set()

        app._display = display  # type: ignore[method-assign]

    async def time_key(
        self, key: str, effect: Callable[[], bool], within: float = 30.0, settled: Callable[[], bool] | None = None
    ) -> float:
        """Seconds from the key event to the first paint after which `effect` holds. With
        `settled`, `then()` gives the time to the first paint (that one or a later one) after
        which `settled` holds too."""
        self._expect(effect, settled)
        self.started = time.perf_counter()
        self.app.post_message(events.Key(key, key))  # what the driver's input thread posts
        await asyncio.wait_for(self.painted.wait(), within)
        return self.at - self.started

    def _expect(self, effect: Callable[[], bool], settled: Callable[[], bool] | None) -> None:
        """What the next paints are checked for."""
        self.painted.clear()
        self.settled_paint.clear()
        self.predicate = effect
        self.settled = settled

    async def time_key_from(self, poster: KeyPoster, key: str, effect: Callable[[], bool], gap: float) -> float:
        """As time_key, with the key posted by `poster`'s thread `gap` seconds from now, as a
        terminal's input thread does: if the UI thread is busy then (a collection, a repaint,
        a poll's hand-off), the key waits, and that wait is in the figure. (time_key posts from
        the UI thread itself, after its last work: it never meets such a wait.)"""
        self._expect(effect, None)
        posted = poster.post(key, gap)
        await asyncio.wait_for(self.painted.wait(), 30.0)
        at, self.posted_cpu = posted.result()
        return self.at - at

    async def then(self, within: float = 30.0) -> float:
        """After time_key(..., settled=...): seconds from that key to the first paint after
        which `settled` held."""
        await asyncio.wait_for(self.settled_paint.wait(), within)
        return self.settled_at - self.started


class KeyPoster:
    """A thread that posts keys to the app, as the terminal driver's input thread does."""

    def __init__(self, app: MlopsApp, ui_thread: int) -> None:
        self.app = app
        self._ui_cpu = time.pthread_getcpuclockid(ui_thread)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="bench key poster")
        self.threads_cpu: dict[str, float] = {}  # every thread's CPU time when the last key was posted
        self.machine: dict[str, float] = {}  # machine_clocks() before the last key's gap
        self.machine_at = 0.0

    def post(self, key: str, gap: float) -> Future[tuple[float, float]]:
        """Post `key` about `gap` seconds from now; the future gives the perf_counter when it
        was due (the moment it was "pressed") and the UI thread's CPU time when it was posted.

        Timed from when it was due, not from when the thread got to post it: a thread that
        wakes while another holds the interpreter lock (a collection walking its objects)
        waits for it, as the terminal's input thread does, and that wait is the key's too.

        The machine's clocks are read first (`machine`, at `machine_at`), and the gap counted
        from when that reading ended: it may take long (machine_clocks), and is not the key's."""
        return self._thread.submit(self._post, key, gap)

    def read_machine(self) -> Future[dict[str, float]]:
        """machine_clocks() read on the poster's thread: the UI thread awaits it rather than
        reading (each of its reads would wait for the interpreter lock beside a decoding thread)."""
        return self._thread.submit(machine_clocks)

    def close(self) -> None:
        self._thread.shutdown()

    def _post(self, key: str, gap: float) -> tuple[float, float]:
        self.machine_at = time.perf_counter()
        self.machine = machine_clocks()
        due = time.perf_counter() + gap
        time.sleep(max(0.0, due - time.perf_counter()))
        cpu = time.clock_gettime(self._ui_cpu)
        self.threads_cpu = thread_cpu()
        self.app.post_message(events.Key(key, key))  # thread-safe: call_soon_threadsafe
        return due, cpu


class StallWatch:
    """How long the UI thread's event loop leaves a callback from another thread waiting: every
    `every` seconds a callback is handed to it (as a key is) and the wait until it ran is kept.
    The longest waits are the longest a key can wait before the app starts on it.

    With `sample_after` (seconds), a wait that lasts longer keeps each thread's CPU time over it
    and every thread's Python stack sampled every 10 ms until it ends (`samples`, by the wait's
    index): what held the UI thread, and what the other threads did meanwhile. A sample needs
    the interpreter lock, so a C call that holds it (a collection, a big decode) shows as the
    Python line that called it, at the first sample after; the CPU times say who ran."""

    def __init__(self, loop: asyncio.AbstractEventLoop, every: float = 0.01, sample_after: float | None = None) -> None:
        self.loop = loop
        self.every = every
        self.sample_after = sample_after
        self.waits_ms: array[float] = array("d")
        self.at: array[float] = array("d")  # perf_counter when each was handed over
        self.samples: dict[int, tuple[dict[str, float], list[tuple[float, dict[str, list[str]]]]]] = {}
        self._ran = threading.Event()
        self._ran_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench stall watch", daemon=True)

    def start(self) -> StallWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _mark(self) -> None:
        self._ran_at = time.perf_counter()
        self._ran.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._ran.clear()
            cpu = thread_cpu() if self.sample_after is not None else {}
            handed = time.perf_counter()
            try:
                self.loop.call_soon_threadsafe(self._mark)
            except RuntimeError:  # the loop closed
                return
            samples = []
            if self.sample_after is not None and not self._ran.wait(self.sample_after):
                while not self._ran.wait(0.01) and len(samples) < 1000:
                    samples.append((time.perf_counter() - handed, busy_stacks()))
            while not self._ran.wait(0.5):  # however long: the longest waits are the point
                if self._stop.is_set():
                    return
            wait = self._ran_at - handed
            if self.sample_after is not None and wait > self.sample_after:
                self.samples[len(self.waits_ms)] = (ms_between(cpu, thread_cpu()), samples)
            self.at.append(handed)
            self.waits_ms.append(wait * 1000)


OTHER_PROCESSES: dict[str, int] = {}  # name: pid of a process of the bench's own (a replay server)


def thread_cpu() -> dict[str, float]:
    """Each live thread's CPU time so far (seconds), by name. Cheap: no file is read, so the
    interpreter lock is not given up (see machine_clocks)."""
    times = {}
    for thread in threading.enumerate():
        try:
            times[thread.name] = time.clock_gettime(time.pthread_getcpuclockid(thread.ident or 0))
        except (OSError, AttributeError):  # ended meanwhile, or not Linux
            pass
    return times


def machine_clocks() -> dict[str, float]:
    """On Linux, what else took or held back a CPU (seconds so far), so that a slow key's
    figures can tell the app's own work from the machine's: each thread's time runnable but
    waiting for a CPU ("<name> waiting for a CPU", the kernel's schedstat), each of
    OTHER_PROCESSES' CPU, and the time the hypervisor took from this virtual machine's CPUs
    ("stolen by the hypervisor", /proc/stat, in 10 ms ticks).

    Each file read gives up the interpreter lock, and getting it back beside a thread that
    decodes takes up to 5 ms (`sys.getswitchinterval`): ~15 reads can take 100 ms or more.
    So never on the UI thread, nor while a key is timed: KeyPoster reads them on its own thread,
    before the key's gap and (read_machine) after its paint."""
    times = {}
    for thread in threading.enumerate():
        waited = _schedstat(f"/proc/self/task/{thread.native_id}/schedstat")
        if waited is not None:
            times[f"{thread.name} waiting for a CPU"] = waited[1]
    for name, pid in OTHER_PROCESSES.items():
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        stats = [stat for task in tasks if (stat := _schedstat(f"{task}/schedstat")) is not None]
        times[name] = sum(ran for ran, _ in stats)
    try:
        with open("/proc/stat") as stat:
            times["stolen by the hypervisor"] = int(stat.readline().split()[8]) / 100
    except (OSError, IndexError, ValueError):
        pass
    return times


def ms_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Each clock's advance from `before` to `after` (two readings in seconds), in ms: of the
    clocks in both (a thread that started or ended meanwhile is left out)."""
    return {name: (after[name] - before[name]) * 1000 for name in after.keys() & before.keys()}


def _schedstat(path: str) -> tuple[float, float] | None:
    """A task's (seconds on a CPU, seconds runnable but waiting for one), or None."""
    try:
        with open(path) as stat:
            ran, waited, _ = stat.read().split()
        return int(ran) / 1e9, int(waited) / 1e9
    except (OSError, ValueError):
        return None


class SlowCallbacks:
    """Every callback of the UI thread's event loop that runs longer than `over` seconds (wall),
    with what it was: a Textual message pump's task step names the pump and the messages it
    dispatched in that step. Installed by wrapping asyncio's `Handle._run` (and Textual's
    `MessagePump._dispatch_message`), which every callback and task step of the loop goes through;
    two clock reads a callback.

    `spans` holds (start, end, what) in perf_counter seconds."""

    def __init__(self, over: float = 0.02) -> None:
        self.over = over
        self.spans: list[tuple[float, float, str]] = []
        self._ui_thread = threading.get_ident()
        self._messages: list[str] = []
        self._undo: list[Callable[[], None]] = []

    def start(self) -> SlowCallbacks:
        from asyncio.events import Handle

        from textual.message_pump import MessagePump

        run, dispatch = Handle._run, MessagePump._dispatch_message
        watch = self

        def timed_run(handle: Handle) -> None:
            if threading.get_ident() != watch._ui_thread:
                return run(handle)
            watch._messages.clear()
            callback, start = handle._callback, time.perf_counter()  # type: ignore[attr-defined]
            run(handle)
            end = time.perf_counter()
            if end - start > watch.over:
                watch.spans.append((start, end, watch._describe(callback)))
            return None

        async def timed_dispatch(pump: MessagePump, message: Any) -> None:
            watch._messages.append(f"{type(pump).__name__} <- {type(message).__name__}")
            await dispatch(pump, message)

        Handle._run = timed_run  # type: ignore[method-assign]
        MessagePump._dispatch_message = timed_dispatch  # type: ignore[method-assign]
        self._undo = [lambda: setattr(Handle, "_run", run), lambda: setattr(MessagePump, "_dispatch_message", dispatch)]
        return self

    def stop(self) -> None:
        for undo in self._undo:
            undo()

    def _describe(self, callback: Any) -> str:
        task = getattr(callback, "__self__", None)
        what = task.get_name() if isinstance(task, asyncio.Task) else getattr(callback, "__qualname__", repr(callback))
        messages = sorted(set(self._messages))
        return what[:60] + (f" [{', '.join(messages[:4])}{', ...' if len(messages) > 4 else ''}]" if messages else "")


IDLE_CALLS = ("wait", "select", "_worker", "acquire", "sleep")


def busy_stacks(depth: int = 6) -> dict[str, list[str]]:
    """Each thread's innermost `depth` Python frames (innermost first), but for threads that
    wait (a lock, a select, an idle worker) and the stall watch itself."""
    names = {t.ident: t.name for t in threading.enumerate()}
    stacks = {}
    for ident, frame in sys._current_frames().items():
        name = names.get(ident, str(ident))
        if name == "bench stall watch" or frame.f_code.co_name in IDLE_CALLS:
            continue
        lines = []
        while frame is not None and len(lines) < depth:
            lines.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}")
            frame = frame.f_back
        stacks[name] = lines
    return stacks


def up_to_date(app: MlopsApp) -> bool:
    """The current view's rows are built from the app's newest snapshot (BaseScreen._behind)."""
    behind = getattr(app.screen, "_behind", None)
    return behind is None or not behind()


async def one_round(tmp: Path, passes: int) -> tuple[dict[str, float], dict[str, list[float]], dict[str, list[float]]]:
    backends = [
        DemoBackend("demo", DemoBackend.Options(runs=300)),
        DemoBackend("hung", DemoBackend.Options(runs=0, delay_seconds=3600, timeout_seconds=3600)),
    ]
    runtime = build_runtime(None, backends=backends, audit_path=tmp / "audit.jsonl")
    gc.disable()  # as `mlops-tui` starts: the app turns it back on once its first data is shown
    app = MlopsApp(runtime)
    first: dict[str, float] = {}
    again: dict[str, list[float]] = {key: [] for key, _mode in KEYS}
    fresh: dict[str, list[float]] = {key: [] for key, _mode in KEYS}
    async with app.run_test(size=(160, 48)) as pilot:
        while not any(s.name == "demo" and s.state.value != "pending" for s in app.snapshot.statuses):
            await pilot.pause(0.05)
        clock = PaintClock.of(app)
        for n in range(passes + 1):
            for key, mode in KEYS:
                took = await clock.time_key(
                    key, lambda mode=mode: app.current_mode == mode, settled=lambda: up_to_date(app)
                )
                if n == 0:
                    first[key] = took
                else:
                    again[key].append(took)
                    fresh[key].append(await clock.then())
                await asyncio.sleep(0.05)  # the new view settles, as between a person's keys
        hung = app.snapshot.status_of("hung").state.value
        if hung != "pending":
            raise SystemExit(f"the hung backend is {hung}, not pending: the figures are not during a hang")
    gc.enable()
    gc.unfreeze()
    return first, again, fresh


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds, each a new app")
    parser.add_argument("--passes", type=int, default=5, help="visits of every view after the first, per round")
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            rounds.append(asyncio.run(one_round(Path(tmp), args.passes)))
    print(f"key -> view painted, while a poll hangs ({args.repeat} rounds of 1 + {args.passes} visits a view)")
    print(
        f"  {'key':<12}{'first visit':>12}  {'again: median':>14}{'p99':>8}{'max':>8}  {'up to date: p99':>16}{'max':>8}"
    )
    every: list[float] = []
    current: list[float] = []
    for key, mode in KEYS:
        firsts = [first[key] * 1000 for first, _again, _fresh in rounds]
        later = [t * 1000 for _first, again, _fresh in rounds for t in again[key]]
        newest = [t * 1000 for _first, _again, fresh in rounds for t in fresh[key]]
        every += later
        current += newest
        print(
            f"  {key} {mode:<10}{statistics.median(firsts):>10.1f}ms  {statistics.median(later):>12.1f}ms"
            f"{p99(later):>6.1f}ms{max(later):>6.1f}ms  {p99(newest):>14.1f}ms{max(newest):>6.1f}ms"
        )
    print(f"  every view key shown again: median {statistics.median(every):.1f} ms, p99 {p99(every):.1f} ms")
    print(
        f"  ... and painted with the newest snapshot: median {statistics.median(current):.1f} ms,"
        f" p99 {p99(current):.1f} ms"
    )
    print("target: p99 <= 50 ms per key (issue #11)")


if __name__ == "__main__":
    from bench.user_dirs import isolated_user_dirs

    with isolated_user_dirs():  # never the user's real journal, caches or audit log
        main()
