"""Pure on-call rules with hand-written expectations: triage state, ack comments, the keeper's plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlops_tui.domain import Alert, AlertState, Matcher, Silence, SilenceState
from mlops_tui.domain.alerts import Triage, ack_extensions, ack_started_at, extended_ack_comment
from mlops_tui.services.ack_keeper import margin_for, plan_acks
from mlops_tui.services.triage import since, triage

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def alert(name: str, fp: str, *, state=AlertState.FIRING, silenced=(), inhibited=(), **labels) -> Alert:
    return Alert(
        fingerprint=fp,
        labels={"alertname": name, **labels},
        starts_at=NOW - timedelta(hours=1),
        state=state,
        silenced_by=silenced,
        inhibited_by=inhibited,
        backend="am",
    )


def ack(
    sid: str,
    name: str,
    *,
    started=NOW - timedelta(minutes=12),
    ends=NOW + timedelta(minutes=3),
    comment="ACK! acknowledged by erin in mlops-tui",
    by="erin",
    state=SilenceState.ACTIVE,
) -> Silence:
    return Silence(
        id=sid,
        matchers=(Matcher(name="alertname", value=name),),
        starts_at=started,
        ends_at=ends,
        created_by=by,
        comment=comment,
        state=state,
        backend="am",
    )


# -- triage ---------------------------------------------------------------------------------------
def test_acked_silenced_inhibited_and_firing_read_differently():
    a = ack("s1", "Down")
    plain = ack("s2", "Slow", comment="maintenance window", by="bob")
    silences = {"s1": a, "s2": plain}
    acked = triage(alert("Down", "f1", state=AlertState.SUPPRESSED, silenced=("s1",)), silences)
    silenced = triage(alert("Slow", "f2", state=AlertState.SUPPRESSED, silenced=("s2",)), silences)
    inhibited = triage(alert("Latency", "f3", state=AlertState.SUPPRESSED, inhibited=("f1",)), silences, {"f1": "Down"})
    firing = triage(alert("Other", "f4"), silences)

    assert acked.state == Triage.ACKED and acked.words(NOW) == "acked by erin 12m ago"
    assert acked.text(NOW) == "√ acked by erin 12m ago"
    assert silenced.state == Triage.SILENCED and silenced.words(NOW).startswith("silenced until ")
    assert silenced.words(NOW).endswith(" by bob")
    assert inhibited.state == Triage.INHIBITED and inhibited.text(NOW) == "ø inhibited by Down"
    assert firing.text(NOW) == "♦ firing"
    assert len({acked.symbol, silenced.symbol, inhibited.symbol, firing.symbol}) == 4


def test_an_ack_outranks_an_inhibition_and_an_unknown_inhibitor_shows_its_fingerprint():
    a = ack("s1", "Down")
    both = triage(alert("Down", "f1", state=AlertState.SUPPRESSED, silenced=("s1",), inhibited=("f9",)), {"s1": a})
    assert both.state == Triage.ACKED
    alone = triage(alert("Down", "f1", state=AlertState.SUPPRESSED, inhibited=("f9",)), {}, {})
    assert alone.words() == "inhibited by f9"


def test_a_silence_we_cannot_read_is_still_silenced_not_firing():
    t = triage(alert("Down", "f1", state=AlertState.SUPPRESSED, silenced=("gone",)), {})
    assert t.state == Triage.SILENCED and t.words() == "silenced"


def test_since_words():
    assert since(NOW - timedelta(seconds=5), NOW) == "5s ago"
    assert since(NOW - timedelta(minutes=12, seconds=59), NOW) == "12m ago"
    assert since(NOW - timedelta(hours=2, minutes=3), NOW) == "2h ago"
    assert since(NOW - timedelta(hours=20, minutes=59), NOW) == "20h ago"
    assert since(NOW - timedelta(days=2, hours=5), NOW) == "2d ago"
    assert since(NOW, NOW) == "just now"


# -- the ack's own record of its age and extensions -----------------------------------------------
def test_an_extended_comment_keeps_the_first_ack_time_and_counts():
    a = ack("s1", "Down", started=datetime(2026, 11, 30, 11, 48, tzinfo=UTC))
    once = extended_ack_comment(a, "bob", NOW)
    assert once == (
        "ACK! acknowledged by erin in mlops-tui [acked 2026-11-30T11:48:00Z; extended 1x]"
        " (last extended by bob at 2026-11-30T12:00:00Z)"
    )
    # Alertmanager answers an update with a new silence starting now: the comment still knows
    later = a.model_copy(update={"comment": once, "starts_at": NOW})
    assert ack_started_at(later) == datetime(2026, 11, 30, 11, 48, tzinfo=UTC)
    twice = extended_ack_comment(later, "erin", NOW + timedelta(minutes=10))
    assert twice == (
        "ACK! acknowledged by erin in mlops-tui [acked 2026-11-30T11:48:00Z; extended 2x]"
        " (last extended by erin at 2026-11-30T12:10:00Z)"
    )
    assert ack_extensions(later.model_copy(update={"comment": twice})) == 2
    assert later.model_copy(update={"comment": twice}).is_ack


# -- the keeper's plan ------------------------------------------------------------------------------
def plan(alerts, silences, **kw):
    return plan_acks(
        alerts, silences, NOW, ack_minutes=kw.pop("ack_minutes", 15), ack_max_hours=kw.pop("ack_max_hours", 12), **kw
    )


def test_margin_is_half_the_ack_at_most_five_minutes():
    assert margin_for(1) == timedelta(seconds=30)
    assert margin_for(15) == timedelta(minutes=5)


def test_an_ack_ending_soon_on_a_firing_alert_is_extended_by_ack_minutes():
    a = ack("s1", "Down", ends=NOW + timedelta(minutes=4))
    p = plan([alert("Down", "f1", state=AlertState.SUPPRESSED, silenced=("s1",))], [a])
    [ext] = p.extend
    assert ext.silence.id == "s1" and ext.ends_at == NOW + timedelta(minutes=15) and ext.alerts == ("Down",)
    assert p.expiring == () and p.at_limit == ()


def test_an_ack_with_time_left_is_not_touched():
    a = ack("s1", "Down", ends=NOW + timedelta(minutes=6))
    p = plan([alert("Down", "f1", state=AlertState.SUPPRESSED, silenced=("s1",))], [a])
    assert p.extend == () and p.expiring == ()


def test_an_ack_whose_alert_resolved_is_left_to_expire():
    a = ack("s1", "Down", ends=NOW + timedelta(minutes=1))
    p = plan([alert("Other", "f2")], [a])
    assert p.extend == () and [s.id for s in p.expiring] == ["s1"]
    resolved = plan([alert("Down", "f1", state=AlertState.RESOLVED)], [a])
    assert [s.id for s in resolved.expiring] == ["s1"]


def test_an_ack_is_not_kept_past_ack_max_hours_from_the_first_ack():
    started = NOW - timedelta(hours=11, minutes=55)
    a = ack("s1", "Down", started=started, ends=NOW + timedelta(minutes=2))
    p = plan([alert("Down", "f1")], [a])
    [ext] = p.extend
    assert ext.ends_at == started + timedelta(hours=12)  # capped: 5 more minutes, not 15
    at_cap = ack("s1", "Down", started=started, ends=started + timedelta(hours=12))
    p = plan([alert("Down", "f1")], [at_cap])
    assert p.extend == () and [s.id for s in p.at_limit] == ["s1"]


def test_plain_silences_expired_acks_and_unread_backends_are_left_alone():
    plain = ack("s1", "Down", comment="maintenance", ends=NOW + timedelta(minutes=1))
    expired = ack("s2", "Down", ends=NOW - timedelta(minutes=1), state=SilenceState.EXPIRED)
    ending = ack("s3", "Down", ends=NOW + timedelta(minutes=1))
    firing = [alert("Down", "f1")]
    assert plan(firing, [plain, expired]) == plan([], [])
    # the alerts of backend "am" were not read this time: neither extend nor call it resolved
    p = plan([], [ending], trusted=set())
    assert p.extend == () and p.expiring == ()


def test_an_ack_holds_what_its_matchers_match_even_before_the_server_says_so():
    a = ack("s1", "Down", ends=NOW + timedelta(seconds=10))
    p = plan([alert("Down", "f1")], [a], ack_minutes=1)
    [ext] = p.extend
    assert ext.ends_at == NOW + timedelta(minutes=1)


async def test_the_keeper_does_not_try_in_read_only_and_says_so_once():
    from types import SimpleNamespace

    from mlops_tui.domain import BackendState, BackendStatus
    from mlops_tui.services.ack_keeper import AckKeeper
    from mlops_tui.services.snapshot import Snapshot

    now = datetime.now(UTC)
    a = ack("s1", "Down", started=now - timedelta(minutes=10), ends=now + timedelta(minutes=1))
    firing = alert("Down", "f1", state=AlertState.SUPPRESSED, silenced=("s1",))
    calls, lines = [], []

    class ReadOnlyActions:
        read_only = True

        async def extend_ack(self, silence, ends_at):
            calls.append(silence.id)

    def snap(generation):
        return Snapshot(
            generation=generation,
            statuses=(BackendStatus(name="am", kind="alertmanager", state=BackendState.OK),),
            alerts=(firing,),
            silences=(a,),
        )

    hub = SimpleNamespace(snapshot=snap(1), backend=lambda name: None)
    keeper = AckKeeper(hub, ReadOnlyActions(), ack_minutes=15, ack_max_hours=12, report=lines.append)
    plan = await keeper.step()
    assert [e.silence.id for e in plan.extend] == ["s1"]  # it would extend it ...
    hub.snapshot = snap(2)
    await keeper.step()
    assert calls == []  # ... but sends nothing
    assert lines == ["ack s1 by erin not kept alive: read-only mode"]
