"""Alerts: what fires, on which model and deployment; ack, silence, expire; the detail view."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlops_tui.domain import Alert, AlertState, Matcher, Severity, Silence, SilenceState
from mlops_tui.domain.alerts import Triage, ack_started_at
from mlops_tui.domain.base import utcnow
from mlops_tui.services.actions import ActionRefused
from mlops_tui.services.alert_history import AlertHistory, load_history
from mlops_tui.services.silence_match import matchers_text, matching, parse_matchers, quote_matcher_value  # noqa: F401
from mlops_tui.services.snapshot import Snapshot, by_severity
from mlops_tui.services.timeline import earlier_firings, what_changed
from mlops_tui.services.triage import (
    ack_failed,
    ack_failed_notes,
    alert_names,
    clear_ack_failed,
    flapping,
    note_ack_failed,
    triage_in,
)
from mlops_tui.ui.columns import SEVERITY_STYLE, alert_columns, alert_state_text, severity_text
from mlops_tui.ui.dialogs.confirm import ConfirmDialog
from mlops_tui.ui.dialogs.silence import SilenceDialog
from mlops_tui.ui.format import ago, local_time, plural
from mlops_tui.ui.literal import literal, visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.screens.silences import ExpireSilence
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.key_values import KeyValues

# `b` cycles through these: no groups (sorted by severity), then header lines per group.
GROUPINGS = ("none", "severity", "model", "deployment")
NO_GROUP = {"model": "(no model)", "deployment": "(no deployment)"}
# The detail shows this much of one annotation value (a label: 300); `f` shows the alert's
# labels and annotations whole, `c` copies the whole alert. Wrapping is what a long value costs
# the detail on every visit: 2,000 characters took ~50 ms of each opening.
DETAIL_VALUE_LIMIT = 500


def cut_value(value: object, limit: int = DETAIL_VALUE_LIMIT) -> Text:
    """A value shown literally, cut at `limit` characters (before it is sanitised or wrapped)
    with a note of how much was left out and how to see it whole."""
    text = "" if value is None else str(value)
    shown = literal(text, limit=limit)  # the sanitiser cuts first, then escapes what is kept
    if len(text) > limit:
        more = len(text) - (limit - 1)  # the cut keeps limit - 1 characters and a "…"
        shown.append(
            f"  ({more:,} more characters, {len(text):,} in all: f shows them whole, c copies them)",
            style="dim italic",
        )
    return shown


_MATCHER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_REGEX_SPECIAL = frozenset(".+*?()|[]{}^$\\")


def input_matchers_text(labels: dict[str, str]) -> str:
    """`matchers_text` for the silence dialog's input, which shows its text as is: a value with
    characters the screen must not get raw (escapes, controls, bidi, zero-width) becomes a regex
    matcher with `(?s:.)` in their place (the same in Alertmanager's RE2 and the preview's `re`);
    a label whose name cannot be a matcher's is left out (the dialog counts what still matches)."""
    parts = []
    for name, value in sorted(labels.items()):
        if not _MATCHER_NAME.match(name):
            continue
        if visible(value) == value:
            parts.append(f'{name}="{quote_matcher_value(value)}"')
            continue
        regex = "".join(("\\" + c if c in _REGEX_SPECIAL else c) if visible(c) == c else "(?s:.)" for c in value)
        parts.append(f'{name}=~"{quote_matcher_value(regex)}"')
    return " ".join(parts)


def order_alerts(alerts: tuple[Alert, ...], grouping: str) -> list[Alert]:
    def newest_first(a: Alert) -> float:
        return -a.starts_at.timestamp()

    if grouping == "model":
        return sorted(alerts, key=lambda a: (a.model or "~", a.severity.rank, newest_first(a)))
    if grouping == "deployment":
        return sorted(alerts, key=lambda a: (a.deployment or "~", a.severity.rank, newest_first(a)))
    return by_severity(alerts)


def alert_group(grouping: str) -> tuple[Callable[[Alert], str], Callable[[str], Any]] | None:
    """The group of an alert under `grouping` and the order of the groups; None: no groups."""
    if grouping == "severity":
        ranks = {s.value: s.rank for s in Severity}
        return (lambda a: a.severity.value), (lambda label: ranks.get(label, len(ranks)))
    if grouping in NO_GROUP:
        missing = NO_GROUP[grouping]
        return (lambda a: getattr(a, grouping) or missing), (lambda label: (label == missing, label))
    return None


def alert_markdown(alert: Alert, snapshot: Snapshot) -> str:
    lines = [
        f"### {alert.severity.value.upper()}: {alert.name}",
        "",
        f"- **State:** {triage_in(alert, snapshot).text(symbol=False)}",
        f"- **Started:** {alert.starts_at.isoformat()} ({ago(alert.starts_at)})",
    ]
    if alert.model:
        lines.append(f"- **Model:** {alert.model}")
    if alert.deployment:
        lines.append(f"- **Deployment:** {alert.deployment}")
    if alert.summary:
        lines.append(f"- **Summary:** {alert.summary}")
    if alert.runbook_url:
        lines.append(f"- **Runbook:** {alert.runbook_url}")
    if alert.generator_url:
        lines.append(f"- **Source:** {alert.generator_url}")
    for key, value in sorted(alert.annotations.items()):  # whole: the detail shows them cut
        if key not in ("summary", "runbook_url"):
            lines.append(f"- **{key}:** {value}")
    lines += ["", "| label | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(alert.labels.items())]
    return "\n".join(visible(line) for line in lines)


def ownership_rows(alert: Alert, snapshot: Snapshot) -> list[tuple[str, str]]:
    """The detail's Ownership section: acked by whom since when, silenced, inhibited by what."""
    t = triage_in(alert, snapshot)
    rows = [("state", t.text())]
    if t.state == Triage.ACKED and t.silence is not None:
        rows += [
            ("acked by", t.acked_by),
            ("acked at", f"{local_time(t.acked_at)} ({ago(t.acked_at)})"),
            ("ack ends", f"{local_time(t.silence.ends_at)} ({ago(t.silence.ends_at)})"),
            ("ack silence", t.silence.id),
        ]
    elif t.state == Triage.SILENCED and t.silence is not None:
        rows += [("silenced by", t.silence.created_by), ("comment", t.silence.comment), ("silence", t.silence.id)]
    if t.ack_failed is not None:
        rows.append(("ack failed", f"{local_time(t.ack_failed.at)}: {t.ack_failed.message or t.ack_failed.reason}"))
        rows.append(("", "not acked: a ack tries again, u dismisses this note"))
    if alert.inhibited_by:
        names = alert_names(snapshot)
        rows.append(("inhibited by", ", ".join(names.get(f, f) for f in alert.inhibited_by)))
    for s in expired_silences_for(alert, snapshot):
        kind = "ack" if s.is_ack else "silence"
        rows.append(
            (f"expired {kind}", f"by {s.created_by}, ended {local_time(s.ends_at)} ({ago(s.ends_at)}): {s.comment}")
        )
    return rows


def expired_silences_for(alert: Alert, snapshot: Snapshot, days: float = 7.0) -> list[Silence]:
    """Expired silences (as long as Alertmanager keeps them) that matched the alert, newest first."""
    since = utcnow() - timedelta(days=days)
    found = []
    for s in snapshot.silences:
        if s.state == SilenceState.EXPIRED and s.ends_at >= since:
            try:
                if matching(s.matchers, [alert]):
                    found.append(s)
            except re.error:
                continue
    return sorted(found, key=lambda s: s.ends_at, reverse=True)[:5]


LISTED_IN_DIALOG = 5  # alerts named in an ack/silence dialog; the rest are counted


def alert_with_target(alert: Alert) -> str:
    """`PredictionDriftHigh (churn / churn-online)`: the name alone does not tell two alerts apart."""
    target = " / ".join(visible(p, 100) for p in (alert.model, alert.deployment) if p)
    return f"{visible(alert.name, 200)} ({target})" if target else visible(alert.name, 200)


def named_alerts(alerts: list[Alert]) -> str:
    """Each alert with its model and deployment, one per line when there are several."""
    if len(alerts) == 1:
        return alert_with_target(alerts[0])
    lines = [f"\n  {alert_with_target(a)}" for a in alerts[:LISTED_IN_DIALOG]]
    if len(alerts) > LISTED_IN_DIALOG:
        lines.append(f"\n  … and {len(alerts) - LISTED_IN_DIALOG} more")
    return "".join(lines)


class AlertActionsMixin(ExpireSilence):
    """ack / silence / expire, shared by the list and the detail screen."""

    def _alert_targets(self) -> list[Alert]:  # overridden
        return []

    def action_ack(self) -> None:
        alerts = [a for a in self._alert_targets() if a.state != AlertState.RESOLVED]
        if not alerts:
            self.notify("Select an alert to ack", severity="warning")
            return
        minutes = self.mlops.runtime.actions.ack_minutes
        body = Text(
            f"Ack {plural(len(alerts), 'alert')} for {minutes:g} minutes: {named_alerts(alerts)}\n"
            + (
                "(a silence matching the alert's labels"
                if len(alerts) == 1
                else "(a silence for each, matching its labels"
            )
            + f", created by {visible(self.mlops.runtime.user)})"
        )

        def done(yes: bool | None) -> None:
            if yes:
                self.run_ack(alerts)

        self.app.push_screen(ConfirmDialog("Ack", body), done)

    @work(group="actions", exit_on_error=False)
    async def run_ack(self, alerts: list[Alert]) -> None:
        try:
            await self.mlops.runtime.actions.ack(alerts)
        except ActionRefused as exc:
            if exc.__cause__ is not None:  # the server failed it (a refusal has no cause): keep it beside the alert
                note_ack_failed(alerts, exc.__cause__, str(exc))
                self.show_snapshot(self.snapshot)
            self.notify(str(exc), title="Not acked", severity="error", timeout=8, markup=False)
            return
        if clear_ack_failed(alerts):
            self.show_snapshot(self.snapshot)
        self.notify(f"Acked {plural(len(alerts), 'alert')}", title="Acked", markup=False)
        self._after_write()

    def action_silence(self) -> None:
        alerts = [a for a in self._alert_targets() if a.state != AlertState.RESOLVED]
        if not alerts:
            self.notify("Select an alert to silence", severity="warning")
            return
        first = alerts[0]
        matchers = input_matchers_text(first.labels)
        fields = [
            ("duration", "Duration (1h, 4h, 24h, or e.g. 90m)", "1h", True),
            ("comment", "Comment (required)", "", True),
        ]
        if len(alerts) == 1:
            fields.append(("matchers", "Matchers", matchers, True))
        intro = Text(f"Silence {plural(len(alerts), 'alert')}: {named_alerts(alerts)}")

        def done(values: dict[str, str] | None) -> None:
            if not values:
                return
            length = parse_duration(values["duration"])
            if length is None:
                self.notify(f"not a duration: {values['duration']}", severity="error", markup=False)
                return
            parsed = parse_matchers(values.get("matchers", "")) if len(alerts) == 1 else None
            if len(alerts) == 1 and not parsed:
                self.notify('matchers must look like name="value"', severity="error")
                return
            self.run_silence(alerts, length, values["comment"], parsed)

        settings = self.mlops.runtime.settings
        warn_over = settings.silence_warn_over if settings else 20
        self.app.push_screen(
            SilenceDialog(
                "Silence", intro, fields, alerts=self.snapshot.active_alerts, parse=parse_matchers, warn_over=warn_over
            ),
            done,
        )

    @work(group="actions", exit_on_error=False)
    async def run_silence(self, alerts: list[Alert], length: timedelta, comment: str, matchers: list[Matcher]) -> None:
        try:
            await self.mlops.runtime.actions.silence(alerts, length, comment, matchers)
        except ActionRefused as exc:
            self.notify(str(exc), title="Not silenced", severity="error", timeout=8, markup=False)
            return
        self.notify(f"Silenced {plural(len(alerts), 'alert')}", title="Silenced", markup=False)
        self._after_write()

    def action_expire(self) -> None:
        snap = self.snapshot
        alerts = self._alert_targets()
        acks = [t.silence for a in alerts if (t := triage_in(a, snap)).state == Triage.ACKED and t.silence]
        if acks:
            self.confirm_release(acks[0])
            return
        silences = [s for a in alerts if (s := snap.silence_for(a)) is not None]
        if not silences and any(ack_failed(a) for a in alerts):
            clear_ack_failed(alerts)
            self.show_snapshot(snap)
            self.notify("Dismissed the failed-ack note: the alert is still not acked", markup=False)
            return
        if not silences:
            self.notify("The selected alert is not silenced", severity="warning")
            return
        self.confirm_expire(silences[0])

    def confirm_release(self, ack: Silence) -> None:
        """`u` on an acked alert: release the ack (refused in read-only before any confirm)."""
        try:
            self.mlops.runtime.actions.check_release(ack)
        except ActionRefused as exc:
            self.notify(str(exc), title="Not released", severity="error", timeout=8, markup=False)
            return
        body = Text(
            f"Release the ack by {visible(ack.created_by)} ({ago(ack_started_at(ack))}): "
            f"its silence {visible(ack.id)} is expired and the alert is unowned again."
        )

        def done(yes: bool | None) -> None:
            if yes:
                self.run_release(ack)

        self.app.push_screen(ConfirmDialog("Release ack", body), done)

    @work(group="actions", exit_on_error=False)
    async def run_release(self, ack: Silence) -> None:
        try:
            await self.mlops.runtime.actions.release_ack(ack)
        except ActionRefused as exc:
            self.notify(str(exc), title="Not released", severity="error", timeout=8, markup=False)
            return
        self.notify(f"Released the ack by {ack.created_by}", title="Released", markup=False)

    def action_copy(self) -> None:
        alerts = self._alert_targets()
        if not alerts:
            return
        self.copy_for_user(
            "\n\n".join(alert_markdown(a, self.snapshot) for a in alerts), f"{plural(len(alerts), 'alert')} as Markdown"
        )

    def _after_write(self) -> None:
        pass


MAX_SILENCE = timedelta(days=365)


def parse_duration(text: str) -> timedelta | None:
    """`90m`, `4h`, `1d` or a number of minutes; None for anything else or beyond a year."""
    text = text.strip().lower()
    units = {"m": 60, "h": 3600, "d": 86400}
    try:
        if text[-1] in units:
            seconds = float(text[:-1]) * units[text[-1]]
        else:
            seconds = float(text) * 60
        length = timedelta(seconds=seconds)
    except (ValueError, IndexError, OverflowError):
        return None
    return length if timedelta(0) < length <= MAX_SILENCE else None


class AlertsScreen(AlertActionsMixin, BaseScreen):
    VIEW = "alerts"
    BINDINGS = [
        Binding("a", "ack", "Ack", id="alerts.ack"),
        Binding("s", "silence", "Silence", id="alerts.silence"),
        Binding("u", "expire", "Expire silence / release ack", id="alerts.expire"),
        Binding("i", "toggle_inhibited", "Inhibited", id="alerts.inhibited"),
        Binding("c", "copy", "Copy md", id="alerts.copy"),
        Binding("b", "group", "Group by", id="alerts.group"),
        Binding("R", "toggle_resolved", "Show resolved", show=False, id="alerts.resolved"),
        Binding("v", "app.open_silences", "Silences", id="alerts.silences"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.grouping = "none"
        self.show_resolved = False
        self.show_inhibited = True
        self._group: tuple[Callable[[Alert], str], Callable[[str], Any]] | None = None

    def compose_body(self) -> ComposeResult:
        grid = DataGrid(
            alert_columns(self.snapshot),
            noun="alerts",
            row_key=lambda a: a.fingerprint,
            markable=True,
            id="alerts",
            empty_text="No active alerts",
        )
        yield grid

    def on_mount(self) -> None:
        self.query_one("#alerts", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        grid = self.query_one("#alerts", DataGrid)
        # a poll where nothing changed: no rebuild of thousands of rows (but ages move: once a minute)
        state = (
            snapshot.alerts,
            snapshot.silences,
            snapshot.coverage("alerts").describe(),
            snapshot.cut_notes,
            ack_failed_notes(),  # a failed ack or its dismissal changes a row without a poll,
            flapping(),  # and so does the journal's flapping count
            (self.grouping, self.show_resolved, self.show_inhibited),
            int(time.monotonic() // 60),
        )
        if self.__dict__.get("_shown") == state:
            return
        self.__dict__["_shown"] = state
        # already in order (sorted on the hub's thread: Snapshot.warm), and the very same
        # tuple while the alerts do not change
        alerts = snapshot.alerts_by_severity if self.show_resolved else snapshot.active_by_severity
        hidden = 0
        if not self.show_inhibited:
            shown = tuple(a for a in alerts if triage_in(a, snapshot).state != Triage.INHIBITED)
            alerts, hidden = shown, len(alerts) - len(shown)
        grid.set_data(alert_columns(snapshot), alerts)
        grid.set_grouping(*(self._group or (None,)))
        firing = len(snapshot.firing_alerts)  # counted with the order, on the hub thread
        grid.border_title = (
            f"Alerts ({firing} firing, {len(alerts) - firing} silenced/other)"
            + (f" grouped by {self.grouping}" if self.grouping != "none" else "")
            + (f"; {hidden} inhibited hidden (i shows)" if hidden else "")
        )
        if cut := snapshot.cut_note("alerts"):
            grid.border_title = f"{grid.border_title} — {visible(cut)}"
        grid.border_subtitle = "space mark  a ack  s silence  u expire silence/release ack  i inhibited  b group"
        self.honest_empty(grid, "alerts", snapshot=snapshot)

    def action_toggle_inhibited(self) -> None:
        self.show_inhibited = not self.show_inhibited
        self.show_snapshot(self.snapshot)
        self.notify("Inhibited alerts shown" if self.show_inhibited else "Inhibited alerts hidden")

    def _alert_targets(self) -> list[Alert]:
        grid = self.query_one("#alerts", DataGrid)
        marked = grid.marked_rows
        if marked:
            return list(marked)
        row = grid.cursor_row
        return [row] if row is not None else []

    def _after_write(self) -> None:
        self.query_one("#alerts", DataGrid).clear_marks()

    def action_group(self) -> None:
        self.grouping = GROUPINGS[(GROUPINGS.index(self.grouping) + 1) % len(GROUPINGS)]
        self._group = alert_group(self.grouping)  # made once: the grid regroups only when it changes
        self.show_snapshot(self.snapshot)
        self.notify(f"Grouped by {self.grouping} (enter folds a group)" if self._group else "Not grouped")

    def action_toggle_resolved(self) -> None:
        self.show_resolved = not self.show_resolved
        self.show_snapshot(self.snapshot)
        self.notify("Showing resolved alerts too (R hides them)" if self.show_resolved else "Resolved alerts hidden")

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        self.mlops.open_alert(event.row.fingerprint)


class AlertDetailScreen(AlertActionsMixin, BaseScreen):
    VIEW = "alerts"
    BINDINGS = [
        Binding("a", "ack", "Ack", id="alert.ack"),
        Binding("s", "silence", "Silence", id="alert.silence"),
        Binding("u", "expire", "Expire silence / release ack", id="alert.expire"),
        Binding("c", "copy", "Copy md", id="alert.copy"),
        Binding("f", "full_text", "Full text", id="alert.full_text"),
        Binding("m", "open_model", "Open model", id="alert.model"),
        Binding("d", "open_deployment", "Open deployment", id="alert.deployment"),
        Binding("r", "open_run", "Open run", id="alert.run"),
        Binding("o", "open_runbook", "Runbook", id="alert.runbook"),
        Binding("R", "rollback", "Propose rollback", id="alert.rollback"),
    ]
    DEFAULT_CSS = """
    AlertDetailScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    """

    def __init__(self, fingerprint: str) -> None:
        super().__init__()
        self.fingerprint = fingerprint
        self.history: AlertHistory | None = None

    def on_mount(self) -> None:
        self._show("alert-history", [("fired", "loading…")])
        self.load_alert_history()
        self.set_interval(30.0, self.load_alert_history)

    def show_alert(self, fingerprint: str) -> None:
        """Show another alert on this already mounted detail (the app keeps one: see
        MlopsApp.open_alert), filled before it is shown again so no frame has the last one."""
        self.fingerprint = fingerprint
        self.history = None
        for memo in ("_head", "_shown_rows"):  # this screen's own: the next alert redraws all
            self.__dict__.pop(memo, None)
        self._show("alert-history", [("fired", "loading…")])
        self.present(self.snapshot)
        self.query_one(VerticalScroll).scroll_home(animate=False)
        self.load_alert_history()

    @work(exclusive=True, group="alert-history", exit_on_error=False)
    async def load_alert_history(self) -> None:
        """Prometheus ALERTS and the journal, off the UI thread (services/alert_history.py)."""
        alert = self.alert
        runtime = self.mlops.runtime
        if alert is None:
            return
        recorder = runtime.journal_recorder
        settings = runtime.settings
        try:
            history = await load_history(
                runtime.hub, recorder.journal if recorder else None, alert, settings.history_days if settings else 7.0
            )
        except Exception as exc:  # said, never a traceback
            self._show("alert-history", [("fired", f"history unknown: {exc}")])
            return
        self.history = history
        threshold = settings.flap_threshold if settings else 3
        rows = [("fired", history.summary())]
        if history.source:
            rows.append((f"last {history.days:g}d", history.strip()))
            rows.append(
                ("flapping", f"yes: more than {threshold} firings in an hour" if history.flapping(threshold) else "no")
            )
        rows.append(("last ack", history.last_ack_text() if recorder else "no journal"))
        self._show("alert-history", rows)
        self.show_snapshot(self.snapshot)

    @property
    def alert(self) -> Alert | None:
        return next((a for a in self.snapshot.alerts if a.fingerprint == self.fingerprint), None)

    def crumb(self) -> str:
        alert = self.alert
        return visible(f"alert {alert.name}", 80) if alert else "alert"

    def _alert_targets(self) -> list[Alert]:
        alert = self.alert
        return [alert] if alert else []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="alert-head")
            yield KeyValues(id="alert-info")
            yield Static("Related (m model, d deployment, r run)", classes="section")
            yield KeyValues(id="alert-related")
            yield Static("What changed before it started", classes="section")
            yield KeyValues(id="alert-timeline")
            yield Static("Labels", classes="section")
            yield KeyValues(id="alert-labels")
            yield Static("Annotations", classes="section")
            yield KeyValues(id="alert-annotations")
            # on-call sections, below the alert's own facts (the head line already says its state)
            yield Static("Ownership (a ack, u release)", classes="section")
            yield KeyValues(id="alert-ownership")
            yield Static("History", classes="section")
            yield KeyValues(id="alert-history")

    def show_snapshot(self, snapshot: Snapshot) -> None:
        alert = next((a for a in snapshot.alerts if a.fingerprint == self.fingerprint), None)
        if alert is None:
            self.__dict__.pop("_head", None)
            self.query_one("#alert-head", Static).update(Text("This alert is no longer reported (resolved?)"))
            return
        head = Text()
        head.append(severity_text(alert.severity), style=SEVERITY_STYLE[alert.severity])
        head.append("  ")
        head.append(visible(alert.name, 300), style="bold")
        head.append(f"  {visible(alert_state_text(alert, snapshot))}")
        if alert.summary:
            head.append("\n")
            head.append_text(cut_value(alert.summary, 1000))
        if head != self.__dict__.get("_head"):  # a poll that changed nothing redraws nothing
            self.__dict__["_head"] = head
            self.query_one("#alert-head", Static).update(head)
        self._show(
            "alert-info",
            [
                ("started", f"{local_time(alert.starts_at)} ({ago(alert.starts_at)})"),
                ("fingerprint", alert.fingerprint),
                ("runbook (o)", cut_value(alert.runbook_url or "-", 500)),
                ("generator", cut_value(alert.generator_url or "-", 500)),
                ("backend", alert.backend),
            ],
        )
        self._show("alert-ownership", ownership_rows(alert, snapshot))
        run_id = self._run_id(snapshot, alert)
        self._show(
            "alert-related",
            [
                ("model", alert.model or "-"),
                ("deployment", alert.deployment or "-"),
                ("run", snapshot.runs_by_id[run_id].name if run_id else "-"),
            ],
        )
        events = what_changed(snapshot, alert.model, alert.deployment, before=alert.starts_at)
        if self.history is not None:  # earlier firings of this alert, once its history is in
            events = sorted(
                [*events, *earlier_firings(alert, self.history.intervals, alert.starts_at)],
                key=lambda e: e.time,
                reverse=True,
            )
        self._show("alert-timeline", [(f"{local_time(e.time)} {e.kind.value}", e.text) for e in events])
        self._show("alert-labels", [(visible(k, 200), cut_value(v, 300)) for k, v in sorted(alert.labels.items())])
        self._show("alert-annotations", [(visible(k, 200), cut_value(v)) for k, v in sorted(alert.annotations.items())])

    def _show(self, widget_id: str, rows: Iterable[tuple[str, object]]) -> None:
        """`KeyValues.show`, skipped when the rows are the ones shown: each poll (and the
        history's arrival) would otherwise lay out and wrap every table of the detail again."""
        rows = list(rows)
        shown: dict[str, list[tuple[str, object]]] = self.__dict__.setdefault("_shown_rows", {})
        if shown.get(widget_id) == rows:
            return
        shown[widget_id] = rows
        self.query_one(f"#{widget_id}", KeyValues).show(rows)

    @staticmethod
    def _run_id(snapshot: Snapshot, alert: Alert) -> str:
        model = alert.model
        if not model and alert.deployment:
            dep = snapshot.deployments_by_name.get(alert.deployment)
            model = dep.model if dep else ""
        registered = snapshot.models_by_name.get(model)
        if registered is None:
            return ""
        version = None
        if alert.deployment and (dep := snapshot.deployments_by_name.get(alert.deployment)):
            version = snapshot.versions_by_key.get((dep.model, dep.version))
        if version is None:
            version = snapshot.versions_by_key.get((model, registered.aliases.get("champion", "")))
        if version is None or version.run_id not in snapshot.runs_by_id:
            return ""
        return version.run_id

    def action_full_text(self) -> None:
        """`f`: the labels and annotations whole, in a scrollable view (the detail cuts them)."""
        from mlops_tui.ui.screens.alert_text import AlertTextScreen

        if self.alert is not None and self.app.screen is self:
            self.app.push_screen(AlertTextScreen(self.fingerprint))

    def action_open_model(self) -> None:
        alert = self.alert
        if alert and alert.model:
            self.mlops.open_model(alert.model)
        elif alert and alert.deployment and (d := self.snapshot.deployments_by_name.get(alert.deployment)):
            self.mlops.open_version(d.model, d.version)

    def action_open_deployment(self) -> None:
        alert = self.alert
        if alert and alert.deployment:
            self.mlops.open_deployment(alert.deployment)
        else:
            self.notify("This alert names no deployment")

    def action_open_run(self) -> None:
        alert = self.alert
        run_id = self._run_id(self.snapshot, alert) if alert else ""
        if run_id:
            self.mlops.open_run(run_id)
        else:
            self.notify("No training run is known for this alert")

    def action_open_runbook(self) -> None:
        alert = self.alert
        if alert is None or not alert.runbook_url:
            self.notify("This alert has no runbook link")
            return
        url = alert.runbook_url
        if url.startswith(("http://", "https://")):
            self.app.open_url(url)
        self.notify(visible(url), title="Runbook", markup=False)

    def action_rollback(self) -> None:
        """`R`: an urgent request to move the alert's model back to its previous holder."""
        from mlops_tui.services.rollback import alert_reason
        from mlops_tui.ui.dialogs.rollback import propose_rollback

        alert = self.alert
        if alert is None:
            return
        d = self.snapshot.deployments_by_name.get(alert.deployment) if alert.deployment else None
        model = alert.model or (d.registered_model or d.model if d else "")
        propose_rollback(self, model, d.alias if d else "", alert_reason(alert, model) if model else "")
