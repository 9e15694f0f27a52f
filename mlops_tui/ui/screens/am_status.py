"""The Alertmanager status panel (`:am`, or `m` in the Silences view): for each Alertmanager its
version, uptime, cluster status and peers, and the receivers of its config; a split HA pair is
flagged."""

from __future__ import annotations

from typing import Protocol, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlops_tui.backends.errors import BackendError
from mlops_tui.domain.alerts import AlertmanagerStatus
from mlops_tui.services.am_status import split_problems
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import glyphs
from mlops_tui.ui.format import ago, local_time, plural
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.themes import ink
from mlops_tui.ui.widgets.key_values import KeyValues


class _StatusSource(Protocol):
    """A backend that reports its server status (the Alertmanager one)."""

    async def status(self) -> AlertmanagerStatus: ...


class AlertmanagerStatusScreen(BaseScreen):
    VIEW = "alerts"
    CRUMB = "alertmanager status"
    BINDINGS = [Binding("r", "reload", "Reload", id="am.reload")]
    DEFAULT_CSS = """
    AlertmanagerStatusScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    AlertmanagerStatusScreen #am-verdict { padding: 0 1; }
    """

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="am-status"):
            yield Static(Text("Asking each Alertmanager for its status…"), id="am-verdict")

    def on_mount(self) -> None:
        self.action_reload()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        pass  # the panel asks the servers itself (`r` reloads); the snapshot has no status

    def action_reload(self) -> None:
        self.load_status()

    @work(exclusive=True, group="am-status", exit_on_error=False)
    async def load_status(self) -> None:
        hub = self.mlops.runtime.hub
        names = [b.name for b in hub.backends if hasattr(b, "status") and b.kind == "alertmanager"]
        statuses: list[AlertmanagerStatus] = []
        failures: list[tuple[str, str]] = []
        for name in names:
            try:
                statuses.append(await hub.call(name, lambda b: cast(_StatusSource, b).status()))
            except (BackendError, TimeoutError) as exc:
                failures.append((name, str(exc) or "no answer in time"))
        box = self.query_one("#am-status", VerticalScroll)
        await box.remove_children()
        if not names:
            await box.mount(Static(Text("No Alertmanager is configured in this context.")))
            return
        problems = split_problems(statuses)
        if failures:
            problems.append("status unknown for " + ", ".join(n for n, _ in failures) + ": the split check is partial")
        verdict = Text()
        if problems:
            for p in problems:
                verdict.append(f"{glyphs.WARN} {visible(p)}\n", style=ink("warning", "bold"))
        else:
            verdict.append(f"{glyphs.OK} {plural(len(statuses), 'Alertmanager')}; no split seen\n", style=ink("ok"))
        widgets: list[Static] = [Static(verdict, id="am-verdict")]
        tables: list[tuple[KeyValues, list[tuple[str, object]]]] = []
        for s in statuses:
            widgets.append(Static(Text(visible(s.backend)), classes="section"))
            kv = KeyValues()
            widgets.append(kv)
            rows: list[tuple[str, object]] = [
                ("version", s.version or "-"),
                ("up since", f"{local_time(s.uptime_since)} ({ago(s.uptime_since)})" if s.uptime_since else "-"),
                ("cluster", f"{s.cluster_status or '-'}" + (f" ({s.cluster_name})" if s.cluster_name else "")),
                ("peers", ", ".join(s.peers) if s.peers else "none"),
                ("receivers", ", ".join(s.receivers) if s.receivers else "none in the config"),
            ]
            tables.append((kv, rows))
        for name, why in failures:
            widgets.append(Static(Text(visible(name)), classes="section"))
            widgets.append(Static(Text(f"status unknown: {visible(why)}")))
        await box.mount(*widgets)
        for kv, rows in tables:
            kv.show(rows)
