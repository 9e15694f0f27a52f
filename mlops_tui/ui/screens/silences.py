"""Silences: every active and pending silence (acks included); `u` expires one, `enter` opens
one whole: every matcher, the comment, who and when, and the alerts it silences now."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlops_tui.domain import Silence, SilenceState
from mlops_tui.services.actions import ActionRefused
from mlops_tui.services.silence_match import AlertIndex
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import glyphs
from mlops_tui.ui.columns import alert_columns
from mlops_tui.ui.dialogs.confirm import ConfirmDialog
from mlops_tui.ui.format import ago, local_time
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.themes import ink
from mlops_tui.ui.widgets.data_grid import Column, DataGrid
from mlops_tui.ui.widgets.key_values import KeyValues

_OPS = {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}


def matcher_lines(silence: Silence) -> list[str]:
    """Each matcher as Alertmanager writes it: `name="value"`, `name=~"regex"`..."""
    return [f'{m.name}{_OPS[(m.is_regex, m.is_equal)]}"{m.value}"' for m in silence.matchers]


def matchers_text(silence: Silence) -> str:
    return " ".join(matcher_lines(silence))


def silence_hits(snapshot: Snapshot) -> dict[str, int]:
    """silence id -> how many active alerts its matchers match (Alertmanager's rules)."""
    index = AlertIndex(snapshot.active_alerts)
    out = {}
    for s in snapshot.silences:
        try:
            out[s.id] = len(index.matching(s.matchers))
        except re.error:  # a regex Python reads differently from Go: say unknown, not none
            out[s.id] = -1
    return out


def silence_columns(snapshot: Snapshot, hits: dict[str, int] | None = None) -> list[Column[Silence]]:
    hits = silence_hits(snapshot) if hits is None else hits

    def silenced_alerts(s: Silence) -> str:
        n = hits.get(s.id, -1)
        return f"{glyphs.WARN} none" if n == 0 else "?" if n < 0 else str(n)

    return [
        Column("kind", "Kind", lambda s: "ack" if s.is_ack else "silence", width=7),
        Column(
            "state",
            "State",
            lambda s: s.state.value,
            width=8,
            style=lambda s: ink("ok") if s.state == SilenceState.ACTIVE else ink("warning"),
        ),
        Column("by", "Created by", lambda s: s.created_by, width=12),
        Column(
            "until",
            "Until",
            lambda s: f"{local_time(s.ends_at)} ({ago(s.ends_at)})",
            sort_key=lambda s: s.ends_at,
            width=28,
            priority=1,
        ),
        Column(
            "alerts",
            "Alerts",
            silenced_alerts,
            width=7,
            align="right",
            priority=2,
            style=lambda s: ink("warning", "bold") if hits.get(s.id) == 0 else None,
        ),
        Column("comment", "Comment", lambda s: s.comment, width=24, min_width=10, flex=True, priority=3),
        Column("matchers", "Matchers", matchers_text, width=30, min_width=12, flex=True),
    ]


if TYPE_CHECKING:
    _MixinBase = BaseScreen  # the mixin is only ever mixed into screens: it uses their app and notify
else:
    _MixinBase = object


class ExpireSilence(_MixinBase):
    """Confirm, then expire a silence through the actions service (Alerts and Silences views)."""

    def confirm_expire(self, silence: Silence) -> None:
        body = Text(
            f"Expire {'ack' if silence.is_ack else 'silence'} {visible(silence.id)} by "
            f"{visible(silence.created_by)}: {visible(silence.comment)}\n{visible(matchers_text(silence))}"
        )

        def done(yes: bool | None) -> None:
            if yes:
                self.run_expire(silence)

        self.app.push_screen(ConfirmDialog("Expire silence", body), done)

    @work(group="actions", exit_on_error=False)
    async def run_expire(self, silence: Silence) -> None:
        try:
            await self.mlops.runtime.actions.expire(silence)
        except ActionRefused as exc:
            self.notify(str(exc), title="Not expired", severity="error", timeout=8, markup=False)
            return
        self.notify(f"Expired silence {silence.id}", title="Expired", markup=False)


class SilencesScreen(ExpireSilence, BaseScreen):
    VIEW = "alerts"
    CRUMB = "silences"
    BINDINGS = [
        Binding("u", "expire", "Expire silence", id="silences.expire"),
        Binding("m", "app.open_am_status", "Alertmanager status", id="silences.am_status"),
    ]

    def compose_body(self) -> ComposeResult:
        yield DataGrid(
            silence_columns(self.snapshot),
            row_key=lambda s: (s.backend, s.id),
            id="silences",
            noun="silences",
            empty_text="No active or pending silences",
        )

    def on_mount(self) -> None:
        self.query_one("#silences", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        grid = self.query_one("#silences", DataGrid)
        hits = silence_hits(snapshot)
        live = [s for s in snapshot.silences if s.state != SilenceState.EXPIRED]
        grid.set_data(silence_columns(snapshot, hits), sorted(live, key=lambda s: s.ends_at))
        idle = sum(1 for s in live if hits.get(s.id) == 0)
        grid.border_title = f"Silences ({len(live)} active or pending" + (
            f"; {idle} match no active alert)" if idle else ")"
        )
        grid.border_subtitle = "enter details  u expire silence  m Alertmanager status  esc back"
        self.honest_empty(grid, "silences", snapshot=snapshot)

    def action_expire(self) -> None:
        silence = self.query_one("#silences", DataGrid).cursor_row
        if silence is None:
            self.notify("Select a silence to expire", severity="warning")
            return
        self.confirm_expire(silence)

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        silence: Silence = event.row
        if self.mlops.screen is self:
            self.app.push_screen(SilenceDetailScreen(silence.backend, silence.id))


class SilenceDetailScreen(ExpireSilence, BaseScreen):
    """One silence, whole and uncut, and the alerts it silences now (enter opens one)."""

    VIEW = "alerts"
    BINDINGS = [Binding("u", "expire", "Expire", id="silence.expire")]
    DEFAULT_CSS = """
    SilenceDetailScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    SilenceDetailScreen #silence-matchers, SilenceDetailScreen #silence-comment { padding: 0 1; }
    SilenceDetailScreen #silence-alerts { height: auto; min-height: 5; max-height: 20; }
    """

    def __init__(self, backend: str, silence_id: str) -> None:
        super().__init__()
        self.backend = backend
        self.silence_id = silence_id

    @property
    def silence(self) -> Silence | None:
        return next((s for s in self.snapshot.silences if s.id == self.silence_id and s.backend == self.backend), None)

    def crumb(self) -> str:
        silence = self.silence
        kind = "ack" if silence is not None and silence.is_ack else "silence"
        return visible(f"{kind} {self.silence_id}", 60)

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="silence-scroll"):
            yield KeyValues(id="silence-info")
            yield Static("Matchers", classes="section")
            yield Static(id="silence-matchers")
            yield Static("Comment", classes="section")
            yield Static(id="silence-comment")
            yield Static("Alerts it silences now (tab, then enter opens one)", classes="section")
            yield DataGrid(
                alert_columns(self.snapshot, compact=True),
                row_key=lambda a: a.fingerprint,
                id="silence-alerts",
                empty_text="It silences no active alert now",
            )

    def on_mount(self) -> None:
        self.query_one("#silence-scroll", VerticalScroll).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        silence = next((s for s in snapshot.silences if s.id == self.silence_id and s.backend == self.backend), None)
        info = self.query_one("#silence-info", KeyValues)
        if silence is None:
            info.show([("silence", self.silence_id), ("state", "no longer reported by Alertmanager")])
            return
        info.show(
            [
                ("id", silence.id),
                ("kind", "ack" if silence.is_ack else "silence"),
                ("state", silence.state.value),
                ("created by", silence.created_by),
                ("starts", f"{local_time(silence.starts_at)} ({ago(silence.starts_at)})"),
                ("ends", f"{local_time(silence.ends_at)} ({ago(silence.ends_at)})"),
                ("Alertmanager", silence.backend or "-"),
            ]
        )
        lines = matcher_lines(silence)
        matchers = Text("\n".join(visible(line) for line in lines)) if lines else Text("(none)", style="dim")
        self.query_one("#silence-matchers", Static).update(matchers)
        comment = Text(visible(silence.comment)) if silence.comment else Text("(none)", style="dim")
        self.query_one("#silence-comment", Static).update(comment)
        grid = self.query_one("#silence-alerts", DataGrid)
        try:
            hits = AlertIndex(snapshot.active_alerts).matching(silence.matchers)
        except re.error as exc:  # a regex Python reads differently from Go: unknown, not none
            grid.empty_text = f"Unknown: a matcher's regex cannot be read here ({exc})"
            grid.set_data(alert_columns(snapshot, compact=True), [])
            return
        grid.set_data(alert_columns(snapshot, compact=True), hits)
        grid.border_title = f"{len(hits)} alert" + ("" if len(hits) == 1 else "s")
        self.honest_empty(grid, "alerts", "It silences no active alert now", snapshot=snapshot)

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        self.mlops.open_alert(event.row.fingerprint)

    def action_expire(self) -> None:
        silence = self.silence
        if silence is None:
            self.notify("This silence is no longer reported", severity="warning")
            return
        self.confirm_expire(silence)
