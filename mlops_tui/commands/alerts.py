"""`mlops-tui alerts list|ack|silence|expire`: on-call from a script or a pager bot."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Protocol, cast

from mlops_tui.commands.session import CommandFailed, act, list_output, open_session, print_table, session_options
from mlops_tui.core.text import printable
from mlops_tui.core.wording import plural
from mlops_tui.domain import Alert, AlertState
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.services.triage import triage_in

if TYPE_CHECKING:
    from mlops_tui.domain.alerts import FiringInterval
    from mlops_tui.services.runtime import Runtime


class _HistorySeriesSource(Protocol):
    """A backend that reads every alert series' history (the Prometheus one)."""

    async def alert_history_series(
        self, alertname: str | None, since: timedelta
    ) -> list[tuple[dict[str, str], list[FiringInterval]]]: ...


def duration(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text) * 60
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 15m, 2h, 1d)") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("a duration must be positive")
    return timedelta(seconds=seconds)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("alerts", help="alerts: list, ack, silence, expire")
    actions = p.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    opts = [*parents, session_options()]

    a = actions.add_parser("list", parents=opts, help="active alerts, critical first")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_list)

    a = actions.add_parser("ack", parents=opts, help="ack: a short silence matching the alert")
    a.add_argument("fingerprint")
    a.add_argument("--for", dest="length", type=duration, default=None, metavar="DURATION")
    a.set_defaults(handler=cmd_ack)

    a = actions.add_parser("silence", parents=opts, help="silence an alert")
    a.add_argument("fingerprint")
    a.add_argument("--for", dest="length", type=duration, required=True, metavar="DURATION")
    a.add_argument("--comment", required=True)
    a.add_argument(
        "--matchers",
        metavar="TEXT",
        default=None,
        help='instead of the alert\'s labels, e.g. \'alertname="X" model=~"fraud.*"\'',
    )
    a.add_argument(
        "--dry-run", action="store_true", help="print the active alerts the silence would hit; create nothing"
    )
    a.set_defaults(handler=cmd_silence)

    a = actions.add_parser(
        "keep-acks", parents=opts, help="keep acks alive while their alerts fire (runs until SIGTERM/SIGINT)"
    )
    a.set_defaults(handler=cmd_keep_acks)

    a = actions.add_parser("history", parents=opts, help="firing intervals (Prometheus ALERTS) and this app's journal")
    a.add_argument(
        "--since", type=duration, default=None, metavar="DURATION", help="how far back (default: history_days, 7d)"
    )
    a.add_argument("--alert", metavar="NAME", default=None, help="only alerts of this name")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_history)

    a = actions.add_parser("expire", parents=opts, help="expire a silence")
    a.add_argument("silence_id")
    a.set_defaults(handler=cmd_expire)


def _alert(snap: Snapshot, fingerprint: str) -> Alert:
    found = [a for a in snap.alerts if a.fingerprint.startswith(fingerprint)]
    if not found:
        raise CommandFailed(f"no alert with fingerprint {fingerprint}")
    if len({a.fingerprint for a in found}) > 1:
        raise CommandFailed(f"fingerprint {fingerprint} is ambiguous; give more of it")
    return found[0]


def _mark_flapping(runtime: Runtime) -> None:
    """Flapping alerts as the journal knows them (the app's recorder does this continuously)."""
    from mlops_tui.core.paths import alert_journal_path
    from mlops_tui.services.alert_journal import AlertJournal
    from mlops_tui.services.triage import set_flapping

    if not alert_journal_path().exists():
        return
    journal = AlertJournal(alert_journal_path())
    try:
        set_flapping(journal.flapping(runtime.settings.flap_threshold if runtime.settings else 3))
    finally:
        journal.close()


def cmd_list(args: argparse.Namespace) -> int:
    with open_session(args, capability="alerts") as (runtime, snap):
        _mark_flapping(runtime)
        alerts = sorted(snap.active_alerts, key=lambda a: (a.severity.rank, a.starts_at))
        owners = {a.fingerprint: triage_in(a, snap) for a in alerts}
        return list_output(
            args,
            snap,
            "alerts",
            alerts,
            ["severity", "alert", "model", "deployment", "state", "since", "fingerprint", "summary"],
            lambda a: [
                a.severity.value,
                a.name,
                a.model or "-",
                a.deployment or "-",
                owners[a.fingerprint].text(),
                a.starts_at.isoformat(" ", "minutes"),
                a.fingerprint,
                a.summary,
            ],
            extra=lambda a: {"triage": owners[a.fingerprint].as_json()},
        )


def cmd_ack(args: argparse.Namespace) -> int:
    with open_session(args) as (runtime, snap):
        alert = _alert(snap, args.fingerprint)
        minutes = args.length.total_seconds() / 60 if args.length else None
        ids = act(runtime.actions.ack([alert], minutes))
    print(printable(f"acked {alert.name} ({alert.fingerprint}): silence {ids[0]}"))
    return 0


def cmd_silence(args: argparse.Namespace) -> int:
    from mlops_tui.services.actions import Actions
    from mlops_tui.services.silence_match import AlertIndex, impact, parse_matchers

    with open_session(args) as (runtime, snap):
        alert = _alert(snap, args.fingerprint)
        if alert.state == AlertState.RESOLVED:
            raise CommandFailed(f"{alert.name} is resolved")
        matchers = Actions.matchers_for(alert)
        if args.matchers is not None:
            matchers = tuple(parse_matchers(args.matchers))
            if not matchers:
                raise CommandFailed('--matchers must look like name="value" (also !=, =~, !~)')
        if args.dry_run:
            settings = runtime.settings
            found = impact(matchers, AlertIndex(snap.active_alerts), settings.silence_warn_over if settings else 20)
            print(f"dry run: the silence {found.summary()}; nothing was created")
            print_table(
                ["alert", "model", "deployment", "fingerprint"],
                [
                    [a.name, a.model or "-", a.deployment or "-", a.fingerprint]
                    for a in sorted(found.hits, key=lambda a: (a.name, a.fingerprint))
                ],
            )
            for warning in found.warnings:
                print(f"warning: {warning}")
            return 0
        ids = act(
            runtime.actions.silence([alert], args.length, args.comment, matchers if args.matchers is not None else None)
        )
    print(printable(f"silenced {alert.name} ({alert.fingerprint}): silence {ids[0]}"))
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    with open_session(args) as (runtime, snap):
        silence = snap.silences_by_id.get(args.silence_id)
        if silence is None:
            raise CommandFailed(f"no silence with id {args.silence_id}")
        act(runtime.actions.expire(silence))
    print(f"expired silence {args.silence_id}")
    return 0


def cmd_keep_acks(args: argparse.Namespace) -> int:
    """A long-running process: extends acks whose alerts fire, logs each extension and expiry to
    stderr, stops cleanly on SIGTERM or SIGINT (exit 0)."""
    import signal
    import sys
    import threading
    from datetime import datetime

    stop = threading.Event()

    def say(line: str) -> None:
        print(f"{datetime.now().astimezone().isoformat(timespec='seconds')} {line}", file=sys.stderr, flush=True)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        say(f"{signal.Signals(signum).name}: stopping")
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with open_session(args) as (runtime, _):
            runtime.start_journal()  # what it sees and does goes to the journal, as in the app
            keeper = runtime.new_ack_keeper(report=say)
            keeper.stopping = stop
            say(
                f"keeping acks alive: ack_minutes={keeper.ack_minutes:g}, "
                f"ack_max_hours={keeper.ack_max_hours:g}, as {runtime.user}"
                + (" (read-only: nothing will be extended)" if runtime.read_only else "")
            )
            asyncio.run(keeper.run())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    say(f"stopped after {plural(keeper.extensions, 'extension')}")
    return 0


def _span(start: datetime, end: datetime | None) -> str:
    if end is None:
        return f"{start.astimezone().isoformat(' ', 'seconds')} - now (firing)"
    seconds = int((end - start).total_seconds())
    length = f"{seconds}s" if seconds < 120 else f"{seconds // 60}m"
    return f"{start.astimezone().isoformat(' ', 'seconds')} - {end.astimezone().strftime('%H:%M:%S')} ({length})"


def cmd_history(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from mlops_tui.backends.errors import BackendError
    from mlops_tui.core.paths import alert_journal_path
    from mlops_tui.services.alert_journal import AlertJournal

    with open_session(args) as (runtime, _):
        days = runtime.settings.history_days if runtime.settings else 7.0
        since = args.since or timedelta(days=days)
        series, problems, sources = [], [], []
        for backend in runtime.hub.backends:
            if not hasattr(backend, "alert_history_series"):
                continue
            sources.append(backend.name)
            try:
                # the backend's own loop does the work (works from any caller, async or not)
                got = runtime.hub.submit(
                    backend.name, lambda b: cast(_HistorySeriesSource, b).alert_history_series(args.alert, since)
                ).result()
            except (BackendError, TimeoutError) as exc:
                problems.append(f"{backend.name}: {str(exc) or 'no answer in time'}")
                continue
            series += [(backend.name, labels, intervals) for labels, intervals in got]
    journal = AlertJournal(alert_journal_path())
    try:
        events = journal.events(since=datetime.now(UTC) - since, alertname=args.alert)
        if args.alert:  # silences and acks carry the names they held in their detail
            events += [
                e
                for e in journal.events(since=datetime.now(UTC) - since)
                if not e.alertname and args.alert in (e.detail or {}).get("alertnames", [])
            ]
            events.sort(key=lambda e: e.at)
    finally:
        journal.close()
    if args.json:
        print(
            json.dumps(
                {
                    "since_seconds": since.total_seconds(),
                    "prometheus": [
                        {
                            "backend": b,
                            "labels": labels,
                            "intervals": [
                                {
                                    "starts_at": i.starts_at.isoformat(),
                                    "ends_at": i.ends_at.isoformat() if i.ends_at else None,
                                }
                                for i in intervals
                            ],
                        }
                        for b, labels, intervals in series
                    ],
                    "prometheus_problems": problems,
                    "journal": [e.as_json() for e in events],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0 if not problems or series else 1
    if not sources:
        print("no Prometheus backend is configured: firing history comes from this app's journal only")
    for problem in problems:
        print(f"Prometheus history unknown: {problem}", file=sys.stderr)
    rows = []
    for _, labels, intervals in series:
        rest = " ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")
        for i in intervals:
            rows.append([labels.get("alertname", ""), rest, _span(i.starts_at, i.ends_at)])
    if sources and not problems:
        print(f"firing intervals from Prometheus ALERTS ({len(rows)}):")
        print_table(["alert", "labels", "fired"], rows)
    print(f"journal ({len(events)} events):")
    print_table(
        ["at", "event", "alert", "by", "silence"],
        [
            [
                e.at.astimezone().isoformat(" ", "seconds"),
                e.kind,
                e.alertname or ", ".join((e.detail or {}).get("alertnames", [])),
                e.actor,
                e.silence_id,
            ]
            for e in events
        ],
    )
    return 1 if problems and not series else 0
