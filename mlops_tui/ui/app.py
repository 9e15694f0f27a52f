"""The mlops-tui application: six views as modes, fed by the hub's snapshots."""

from __future__ import annotations

import gc
import importlib
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import AwaitMount
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from mlops_tui.core.ui_turn import UI_TURN
from mlops_tui.domain import AlertState, Run, Severity
from mlops_tui.services.runtime import Runtime
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import acyclic_caches
from mlops_tui.ui.commands import VIEW_ALIASES, ViewCommands, find
from mlops_tui.ui.idle_gc import IdleCollector
from mlops_tui.ui.messages import SnapshotReady
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.textual_internals import repaint_holding
from mlops_tui.ui.themes import register_themes, remember_theme, remembered_theme, with_app_colours
from mlops_tui.ui.widgets.top_bar import VIEWS

if TYPE_CHECKING:
    from mlops_tui.ui.screens.alerts import AlertDetailScreen  # imported on first use (see _screen)

VIEW_LABELS = {mode: label for _key, mode, label in VIEWS}

log = logging.getLogger(__name__)

GC_PAUSE_LIMIT = 3.0  # seconds: the collector resumes by then even if no backend answered


def _screen(module: str, name: str) -> Any:  # a screen class, known only by name until imported
    """The class `name` of `mlops_tui.ui.screens.<module>`, imported on first use.

    Only the Overview is imported at start-up: the other views load when first opened,
    which keeps launch-to-Overview short.
    """
    return getattr(importlib.import_module(f"mlops_tui.ui.screens.{module}"), name)


def _lazy_view(module: str, name: str) -> Callable[[], Screen[None]]:
    def make() -> Screen[None]:
        screen: Screen[None] = _screen(module, name)()
        return screen

    return make


class MlopsApp(App[None]):
    TITLE = "mlops-tui"
    CSS_PATH = "app.tcss"
    MODES = {
        "overview": OverviewScreen,
        "runs": _lazy_view("runs", "RunsScreen"),
        "models": _lazy_view("models", "ModelsScreen"),
        "deploy": _lazy_view("deployments", "DeploymentsScreen"),
        "alerts": _lazy_view("alerts", "AlertsScreen"),
        "drift": _lazy_view("drift", "DriftScreen"),
    }
    DEFAULT_MODE = "overview"
    COMMANDS = App.COMMANDS | {ViewCommands}
    BINDINGS = [
        *(
            Binding(key, f"switch_view('{mode}')", label, id=f"app.view.{mode}", show=False)
            for key, mode, label in VIEWS
        ),
        # priority: handled on arrival, so the keys typed right after ":" reach its line
        Binding("colon", "command_line", ":cmd", id="app.command_line", priority=True),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+r", "refresh", "Refresh", id="app.refresh"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit_ctrl", show=False, priority=True),
    ]

    def __init__(self, runtime: Runtime, *, start_hub: bool = True, initial_view: str = "overview") -> None:
        super().__init__()
        self.runtime = runtime
        self.initial_view = VIEW_ALIASES.get(initial_view, "overview")
        self._theme_problems = register_themes(self, remembered_theme(runtime.theme))
        self.snapshot: Snapshot = runtime.hub.snapshot
        self._start_hub = start_hub
        self._known_critical: set[str] | None = None  # every alert seen this session
        self._alerts_answered: set[str] = set()  # alert backends past their first answer
        self._held_notifications: list[tuple[str, str, SeverityLevel, bool, dict[str, float]]] = []
        # The hand-off from the hub's threads: the newest snapshot not yet shown, and whether a
        # SnapshotReady for it is in the queue (at most one is: see _from_hub).
        self._handoff_lock = threading.Lock()
        self._handoff: Snapshot | None = None
        self._hold_timer: Timer | None = None  # a snapshot held while keys come (see _hold_present)
        self._held_since: float | None = None
        self._present_after_key = False
        self._switching_mode = False  # inside switch_mode: see delay_update
        self._held_paints: list[AbstractContextManager[None]] = []
        self._alert_detail: AlertDetailScreen | None = None  # the one mounted alert detail (see open_alert)
        self._alert_detail_in_use = False
        self.idle_gc = IdleCollector()
        acyclic_caches.install()  # dropped lines freed at once, not by a full collection
        repaint_holding(UI_TURN.held)  # readers step aside while a screen repaints (core/ui_turn.py)

    # -- life cycle ---------------------------------------------------------------------------
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (most carry a server's words) through the one sanitiser: no
        secret, no control or bidi character, no message longer than a screen."""
        from mlops_tui.ui.literal import visible

        if not markup:
            message = "\n".join(visible(line, 600) for line in str(message).split("\n")[:12])
        kwargs = {} if timeout is None else {"timeout": timeout}
        if self._help_open():  # never drawn over the help: shown when it closes
            self._held_notifications.append((message, visible(title, 80), severity, markup, kwargs))
            return
        super().notify(message, title=visible(title, 80), severity=severity, markup=markup, **kwargs)

    def _help_open(self) -> bool:
        try:
            return bool(getattr(self.screen, "DEFERS_NOTIFICATIONS", False))
        except Exception:  # no screen yet, or the app is closing
            return False

    def show_held_notifications(self, _result: object = None) -> None:
        """The notifications that came while the help was open."""
        held, self._held_notifications = self._held_notifications, []
        for message, title, severity, markup, kwargs in held:
            super().notify(message, title=title, severity=severity, markup=markup, **kwargs)

    def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(problem, title="Theme", severity="warning", markup=False)
        hub = self.runtime.hub
        hub.on_snapshot = self._from_hub
        if self._start_hub:
            self.runtime.start(keep_acks=True)  # acks kept alive while this app runs
        if hub.snapshot.generation > self.snapshot.generation:
            self._from_hub(hub.snapshot)  # published before the app listened
        self.set_interval(1.0, self._tick)
        self.idle_gc.start()
        if not gc.isenabled():
            self.set_timer(GC_PAUSE_LIMIT, self.resume_gc)
            if self.snapshot.generation:  # the data came before the app: it is in this frame
                self.call_after_refresh(self.resume_gc)
        if self.initial_view != self.DEFAULT_MODE:
            self.switch_mode(self.initial_view)

    def get_css_variables(self) -> dict[str, str]:
        return with_app_colours(super().get_css_variables())  # $severity-*, $health-* and ink()

    def watch_theme(self, name: str) -> None:
        """A theme chosen in the app (`:theme`, the palette) is remembered in the state dir."""
        remember_theme(name, self.runtime.theme)

    def watch_app_focus(self, focused: bool) -> None:
        """The terminal lost focus (AppBlur; a key, a click or AppFocus brings it back): nobody
        is typing here, so a deep collection may run (ui/idle_gc.py)."""
        self.idle_gc.away = not focused

    def on_unmount(self) -> None:
        self.idle_gc.stop()
        self.runtime.hub.on_snapshot = None
        self.runtime.stop()

    async def on_event(self, event: events.Event) -> None:
        user_input = isinstance(event, (events.Key, events.MouseDown))
        if user_input:
            self.idle_gc.input_seen()  # full collections wait for a quiet second (ui/idle_gc.py)
            UI_TURN.take()  # threads reading big answers wait until it is painted (core/ui_turn.py)
        await super().on_event(event)
        if user_input:
            # asked for after the input was handed to its widget: runs once it is handled and painted
            (self.focused or self.screen).call_after_refresh(self._give_back_turn_when_painted)
        if self._present_after_key and isinstance(event, events.Key):
            # a snapshot held past PRESENT_HOLD_MAX: shown once this key is handled and painted
            # (asked for after the key was handed to its widget, so it runs after the key)
            self._present_after_key = False
            (self.focused or self.screen).call_after_refresh(self._release_held, now=True)

    def _give_back_turn_when_painted(self) -> None:
        """The input's widget has handled it. A key that switched views was handled while the
        view it left was current, and that view, with nothing to paint, ran this at once: the
        turn is given back after the refresh of the view now current."""
        self.screen.call_after_refresh(UI_TURN.give_back)

    def _from_hub(self, snapshot: Snapshot) -> None:
        """Called on a hub thread (post_message is thread-safe). Polls that end while the UI
        is busy (a view switch, a key) are shown once, as the newest: a message already in the
        queue takes the newer snapshot, so a burst costs one rebuild instead of one each."""
        with self._handoff_lock:
            pending = self._handoff
            queued = pending is not None
            if pending is None or snapshot.generation > pending.generation:  # hub threads race
                self._handoff = snapshot
        if not queued and not self.post_message(SnapshotReady(snapshot)):
            with self._handoff_lock:
                self._handoff = None  # not queued (the app is closing): nothing will take it

    # A poll's new data waits while keys come: shown this long after the last key (or click);
    # while keys keep coming, right after the frame of the first key PRESENT_HOLD_MAX after it arrived.
    PRESENT_QUIET = 0.15
    PRESENT_HOLD_MAX = 1.0

    def _hold_present(self, message: SnapshotReady) -> bool:
        """Whether to show `message`'s snapshot later: a view's repaint for a poll (10-25 ms at
        160x48) that started between a key and its paint made the key wait for it. Held, the
        snapshot stays the newest hand-off (later polls replace it, as while the UI is busy)
        and is shown once no key came for PRESENT_QUIET. When keys keep coming for longer than
        PRESENT_HOLD_MAX, it is shown right after the next key's frame: the longest gap before
        the key after it."""
        if self.snapshot.generation == 0:
            return False
        now = self.idle_gc.clock()
        if self._held_since is None:
            self._held_since = now
        quiet_at = self.idle_gc.last_input + self.PRESENT_QUIET
        if quiet_at <= now:
            self._held_since = None
            return False
        with self._handoff_lock:
            if self._handoff is None or self._handoff.generation < message.snapshot.generation:
                self._handoff = message.snapshot
        due = quiet_at
        if now < self._held_since + self.PRESENT_HOLD_MAX:
            due = min(quiet_at, self._held_since + self.PRESENT_HOLD_MAX)
        else:
            self._present_after_key = True  # see on_event
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._hold_timer = self.set_timer(due - now, self._release_held, name="present after keys")
        return True

    def _release_held(self, *, now: bool = False) -> None:
        """The hold's timer (`now` False: held again if keys still come), or right after a
        key's frame past PRESENT_HOLD_MAX (`now`: shown)."""
        if self._hold_timer is not None and now:
            self._hold_timer.stop()
        self._hold_timer = None
        with self._handoff_lock:
            held = self._handoff
        if held is None:
            return
        if now:
            self._held_since = None
            self._show_newest(SnapshotReady(held))
        else:
            self.on_snapshot_ready(SnapshotReady(held))

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self._hold_present(message):
            self._show_newest(message)

    def _show_newest(self, message: SnapshotReady) -> None:
        with self._handoff_lock:
            snapshot, self._handoff = self._handoff or message.snapshot, None
        if snapshot.generation < message.snapshot.generation:
            snapshot = message.snapshot  # posted by something other than _from_hub
        if snapshot.generation < self.snapshot.generation:
            return  # a newer one was already shown (bursts coalesce)
        if (len(snapshot.runs) >= 10_000 and snapshot.runs is not self.snapshot.runs) or (
            len(snapshot.alerts) >= 5_000 and snapshot.alerts is not self.snapshot.alerts
        ):
            # Move each new big run history or alert storm out of the quick collections' way:
            # collections over it would otherwise stall keystrokes, ~0.2 s each (15-19 of them
            # per bench run at 10,000 alerts) before the first was moved, 60-100 ms when only
            # the first was (every poll brings 10,000 new alerts). Only a deep collection
            # walks it again (ui/idle_gc.py).
            self.idle_gc.settle()
        first = self.snapshot.generation == 0
        self.snapshot = snapshot
        if first:
            self.call_after_refresh(self.resume_gc)
        self._notify_new_critical(snapshot)
        if not self.screen_stack:
            return  # the app is closing: a last snapshot has nowhere to go
        screen = self.screen
        if isinstance(screen, BaseScreen):
            try:
                screen.present(snapshot)
                screen.update_status()
            except Exception as exc:  # a display bug must not take the session down
                log.exception("showing a snapshot failed")
                self.notify(f"could not show the latest data: {exc}", severity="error", markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Workers run with exit_on_error=False: their failures become a notification."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            log.error("worker %s failed: %r", event.worker.name, event.worker.error)
            self.notify(
                str(event.worker.error) or type(event.worker.error).__name__,
                title="Something went wrong",
                severity="error",
                markup=False,
            )

    def park_long_lived(self) -> None:
        """Move what exists now out of the collector's sight for good (gc.freeze), after
        freeing the young garbage. Called once each view is first shown: its few tens of
        thousands of widget, style and cache objects live on, and every full collection over
        them stalled keys for 60-250 ms, every few seconds. At most once per view."""
        self.idle_gc.park()

    def resume_gc(self) -> None:
        """Turn the collector back on once the first data is painted (`mlops-tui` pauses it
        for start-up), freezing what start-up built so collections never walk it again."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    def _tick(self) -> None:
        """Once a second: the ages in the status bar. May fire while the app is closing."""
        try:
            screen = self.screen
        except Exception:  # no screen: the app is closing
            return
        if isinstance(screen, BaseScreen) and screen.is_attached:
            screen.update_status()
        self.idle_gc.tick()

    def _notify_new_critical(self, snapshot: Snapshot) -> None:
        """Notify about critical alerts new to this session, never about ones seen before.

        An alert counts as seen in any state: one the user just unsilenced fires again, but it
        is not news. Alerts in a backend's first answer are what was already going on when the
        session started (or the backend came up): taken in, not notified.
        """
        known = self._known_critical
        if known is None:
            known = self._known_critical = set()
        answered = self._alerts_answered
        if snapshot.alerts is self.__dict__.get("_alerts_seen"):  # the same 20,000 alerts: all known
            answered.update(s.name for s in snapshot.coverage("alerts").sources if s.last_ok is not None)
            return
        self.__dict__["_alerts_seen"] = snapshot.alerts
        new = [
            a
            for a in snapshot.alerts
            if a.fingerprint not in known
            and a.backend in answered
            and a.state == AlertState.FIRING
            and a.severity == Severity.CRITICAL
        ]
        known.update(a.fingerprint for a in snapshot.alerts)
        answered.update(s.name for s in snapshot.coverage("alerts").sources if s.last_ok is not None)
        for alert in new:
            where = alert.model or alert.deployment
            self.notify(
                f"{alert.name} on {where}: {alert.summary}" if where else f"{alert.name}: {alert.summary}",
                title="CRITICAL alert firing",
                severity="error",
                timeout=10,
                markup=False,
            )
            if self.runtime.bell:
                self.bell()

    # -- view switches ------------------------------------------------------------------------
    # Textual hides a mode switch by holding every paint for a fixed 50 ms (delay_update), so a
    # view key could never repaint sooner than that. The hold here ends as soon as the new
    # screen has handled its ScreenResume (restyled, filled from the snapshot): the first paint
    # is already the finished view, with no half-styled frame. The timer still ends it at 50 ms
    # should the screen never say so.
    def switch_mode(self, mode: str) -> AwaitMount:
        self._switching_mode = True
        try:
            return super().switch_mode(mode)
        finally:
            self._switching_mode = False

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._switching_mode:
            super().delay_update(delay)
            return
        hold = self.batch_update()  # no paint until it ends
        hold.__enter__()
        self._held_paints.append(hold)
        self.set_timer(delay, self.release_held_paint, name="mode switch hold")

    def release_held_paint(self) -> None:
        """End one mode switch's paint hold (BaseScreen.on_screen_resume, or its timer)."""
        if not self._held_paints:
            return
        self._held_paints.pop().__exit__(None, None, None)
        if self.screen_stack:
            self.screen.refresh()

    # -- navigation ---------------------------------------------------------------------------
    # One back stack: the current view's screen stack. A jump pushes the place it opens on top
    # of where the user is (whatever view that place belongs to); `esc` pops exactly one step,
    # back to the same screen with the same row; a view key starts a new path.
    def switch_view(self, mode: str) -> None:
        """Start a new path at `mode`'s list (the list keeps its cursor)."""
        mode = VIEW_ALIASES.get(mode, mode)
        if mode not in self.MODES:
            return
        if mode != self.current_mode:
            self.switch_mode(mode)
        self._clear_path()

    def _clear_path(self) -> None:
        """Pop every step above the current view's list, top first."""
        stack = self.screen_stack
        if len(stack) <= 1:
            return
        base = stack[0]
        for _ in range(len(stack) - 1):
            self.pop_screen()
        if isinstance(base, BaseScreen):
            base.show_path()

    def action_switch_view(self, mode: str) -> None:
        self.switch_view(mode)

    def path_of(self, screen: Screen[Any]) -> tuple[str, list[str]]:
        """(the view the path started in, the crumbs of the steps up to `screen`)."""
        stack = self.screen_stack
        crumbs: list[str] = []
        if screen in stack:
            for step in stack[1 : stack.index(screen) + 1]:
                if isinstance(step, BaseScreen):
                    crumbs.append(step.crumb() or VIEW_LABELS.get(step.VIEW, step.VIEW))
        return self.current_mode, crumbs

    def action_refresh(self) -> None:
        self.runtime.hub.refresh()
        self.notify("Refreshing every backend…", timeout=2)

    def action_help(self) -> None:
        help_screen = _screen("help", "HelpScreen")
        if isinstance(self.screen, help_screen):
            return
        self.push_screen(help_screen(self.screen), self.show_held_notifications)

    async def action_command_line(self) -> None:
        line = _screen("command_line", "CommandLine")()
        await self.push_screen(line, self.run_command)
        line.take_focus()  # before the keys typed after ":" are forwarded (":alerts⏎" in one go)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_view" and not isinstance(self.screen, BaseScreen):
            return False  # a dialog or the help is up: it answers (or closes) first
        if action == "command_line":
            # a priority key, so it must stand back where ":" is text or a dialog is open
            screen = self.screen
            return isinstance(screen, BaseScreen) and not isinstance(screen.focused, Input)
        return super().check_action(action, parameters)

    def run_command(self, command: str | None) -> None:
        """Run a `:` line through the one command registry (ui/commands.py)."""
        if not command:
            return
        words = command.strip().lstrip(":").split()
        if not words:
            return
        found = find(words[0])
        if found is None:
            self.notify(f"unknown command :{words[0].lower()}; ? lists every command", severity="warning", markup=False)
            return
        found.run(self, words[1:])

    def choose_theme(self, name: str) -> None:
        names = sorted(self.available_themes)
        if name not in names:
            said = f"no theme {name!r}; " if name else f"theme {self.theme}; "
            self.notify(said + "themes: " + ", ".join(names), title="Theme", markup=False)
            return
        self.theme = name

    def switch_context(self, name: str) -> None:
        """Stop polling the current context's backends and open `name`'s."""
        if name == self.runtime.context:
            return
        try:
            new = self.runtime.reopen(name)
        except Exception as exc:  # ConfigError and friends: say it, keep the current context
            self.notify(getattr(exc, "problem", None) or str(exc), title="Context", severity="error", markup=False)
            return
        old = self.runtime
        old.hub.on_snapshot = None
        self.run_worker(old.stop, thread=True, description="stop old context", exit_on_error=False)
        self.runtime = new
        self.snapshot = new.hub.snapshot
        self._known_critical = None
        self._alerts_answered = set()
        new.hub.on_snapshot = self._from_hub
        new.start(keep_acks=self._start_hub)
        screen = self.screen
        if isinstance(screen, BaseScreen):
            screen.present(self.snapshot)
            screen.update_status()
        self.notify(f"context {name}", markup=False)

    def _open(self, mode: str, screen: BaseScreen) -> bool:
        """One step on the back stack: `screen` (of view `mode`) on top of where the user is."""
        del mode  # the step stays in the current view's stack, so esc comes back here
        if not isinstance(self.screen, BaseScreen):
            return False  # a dialog is up: it answers first
        self.push_screen(screen)
        return True

    def pop_screen(self) -> AwaitComplete:
        popped = self.screen
        done = super().pop_screen()
        if popped is self._alert_detail:
            self._alert_detail_in_use = False  # off every back stack: the next alert may use it
        return done

    def open_run(self, run_id: str) -> None:
        if run_id not in self.snapshot.runs_by_id:
            self.notify(f"run {run_id} is not loaded", severity="warning", markup=False)
            return
        self._open("runs", _screen("runs", "RunDetailScreen")(run_id))

    def open_version(self, model: str, version: str) -> None:
        if (model, version) not in self.snapshot.versions_by_key:
            self.notify(f"{model} v{version} is not in the registry", severity="warning", markup=False)
            return
        self._open("models", _screen("models", "VersionDetailScreen")(model, version))

    def open_compare_runs(self, runs: Sequence[Run]) -> None:
        """Runs (2-8, any experiments and backends) side by side; refused with a message otherwise."""
        from mlops_tui.services.compare import CompareRefused, MetricDirections, check_count

        try:
            check_count(len(runs), marked=True)
        except CompareRefused as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        directions = MetricDirections.from_settings(self.runtime.settings)
        self._open("runs", _screen("compare", "CompareScreen")("runs", runs=runs, directions=directions))

    def open_compare_versions(self, model: str) -> None:
        from mlops_tui.services.compare import MetricDirections
        from mlops_tui.ui.format import plural

        count = sum(1 for v in self.snapshot.versions if v.model == model)
        if count < 2:
            self.notify(f"{model} has {plural(count, 'version')}: nothing to compare", severity="warning", markup=False)
            return
        directions = MetricDirections.from_settings(self.runtime.settings)
        self._open("models", _screen("compare", "VersionCompareScreen")(model, directions))

    def open_deployment(self, name: str) -> None:
        if name not in self.snapshot.deployments_by_name:
            self.notify(f"no deployment named {name}", severity="warning", markup=False)
            return
        self._open("deploy", _screen("deployments", "DeploymentDetailScreen")(name))

    def action_open_silences(self) -> None:
        self.open_silences()

    def action_open_am_status(self) -> None:
        self.open_am_status()

    def open_alerts_for(self, text: str) -> None:
        """The Alerts list narrowed to `text` (a model or deployment name), as one step."""
        alerts = _screen("alerts", "AlertsScreen")()
        alerts.path_filter = text  # part of this step: esc goes back, it does not only clear it
        self._open("alerts", alerts)
        self.call_after_refresh(self._filter_alerts, alerts, text)

    def _filter_alerts(self, screen: Screen[Any], text: str) -> None:
        from mlops_tui.ui.widgets.data_grid import DataGrid

        for grid in screen.query("#alerts").results(DataGrid):
            grid.set_filter(text)

    def open_silences(self) -> None:
        self._open("alerts", _screen("silences", "SilencesScreen")())

    def open_am_status(self) -> None:
        self._open("alerts", _screen("am_status", "AlertmanagerStatusScreen")())

    def open_alert(self, fingerprint: str) -> None:
        """The alert's detail. One detail screen stays mounted (installed) and shows each alert
        opened in turn: composing and styling a new one took ~250 ms of every `enter` on an
        alert. A second detail on the same back stack (alert -> deployment -> another alert)
        is a screen of its own."""
        detail = self._alert_detail
        if detail is not None and not self._alert_detail_in_use:
            detail.show_alert(fingerprint)
        else:
            detail = _screen("alerts", "AlertDetailScreen")(fingerprint)
            if self._alert_detail is None:
                self.install_screen(detail, name="alert-detail")
                self._alert_detail = detail
        if self._open("alerts", detail) and detail is self._alert_detail:
            self._alert_detail_in_use = True

    def open_model(self, model: str) -> None:
        """The model's champion version, or its newest one."""
        snap = self.snapshot
        registered = snap.models_by_name.get(model)
        if registered is None:
            self.notify(f"no registered model named {model}", severity="warning", markup=False)
            return
        version = registered.aliases.get("champion") or registered.latest_version
        if version:
            self.open_version(model, version)
        else:
            self._open("models", _screen("models", "ModelsScreen")())

    def open_promotion(self, model: str, version: str) -> None:
        """The Models lists, that request selected, as one step."""
        models = _screen("models", "ModelsScreen")()
        models.select_request(model, version)  # kept until its lists are composed
        self._open("models", models)
