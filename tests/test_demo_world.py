"""The demo backend: a deterministic, living ML estate on a simulated clock."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from mlops_tui.backends.base import Capability
from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.backends.demo.catalog import DEPLOYMENTS, ERROR_WARN
from mlops_tui.backends.demo.world import DRIFT_STEP, EVENT_HORIZON, DemoWorld
from mlops_tui.backends.errors import NotFound, PromotionConflict
from mlops_tui.domain import (
    AlertState,
    DeploymentHealth,
    EventKind,
    Matcher,
    PromotionRequest,
    PromotionState,
    RunStatus,
    Silence,
    SilenceState,
)

UTC = timezone.utc
EPOCH = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_world(seed: int = 7, runs: int = 400, epoch: datetime = EPOCH) -> DemoWorld:
    return DemoWorld(seed=seed, runs=runs, speed=0.0, epoch=epoch)


def make_backend(**options) -> DemoBackend:
    options.setdefault("speed", 0.0)
    options.setdefault("epoch", EPOCH)
    options.setdefault("runs", 400)
    return DemoBackend("demo", DemoBackend.Options(**options))


def snapshot(w: DemoWorld) -> dict:
    return {
        "experiments": w.experiments(),
        "runs": w.runs(),
        "models": w.models(),
        "versions": w.versions(),
        "promotions": w.promotions(),
        "deployments": w.deployments(),
        "health": w.health(),
        "alerts": w.alerts(),
        "silences": w.silences(),
        "drift": w.drift(),
        "events": w.events(),
    }


# -- determinism ----------------------------------------------------------------------------
def test_same_seed_and_epoch_give_the_same_world():
    a, b = make_world(), make_world()
    assert snapshot(a) == snapshot(b)
    a.advance(5 * 3600 + 17)
    b.advance(5 * 3600 + 17)
    assert snapshot(a) == snapshot(b)
    run = a.runs()[10]
    key = next(iter(run.metrics))
    assert a.metric_history(run.id, key) == b.metric_history(run.id, key)


def test_different_seeds_differ():
    a, b = snapshot(make_world(seed=7)), snapshot(make_world(seed=8))
    assert {r.id for r in a["runs"]}.isdisjoint({r.id for r in b["runs"]})
    assert [d.latency_p95_ms for d in a["deployments"]] != [d.latency_p95_ms for d in b["deployments"]]
    assert [s.score for s in a["drift"]] != [s.score for s in b["drift"]]


def test_the_clock_follows_speed_and_advance():
    frozen = make_world()
    assert frozen.now == EPOCH
    assert frozen.advance(90) == EPOCH + timedelta(seconds=90)
    seconds = [500.0]  # the real clock, stepped by the test (binary fractions: exact sums)
    fast = DemoWorld(seed=7, runs=0, speed=1024.0, epoch=EPOCH, clock=lambda: seconds[0])
    assert fast.now == EPOCH
    seconds[0] += 0.25
    assert fast.now == EPOCH + timedelta(seconds=256)  # 1024 simulated seconds per real one
    assert fast.now.tzinfo is not None and fast.now.utcoffset() == timedelta(0)
    with pytest.raises(ValueError):
        frozen.advance(-1)


# -- sizes and shape ------------------------------------------------------------------------
def test_runs_and_experiments():
    w = make_world(runs=400)
    experiments = w.experiments()
    assert {"fraud-detection", "churn-prediction", "demand-forecast", "search-ranking"} <= {e.name for e in experiments}
    runs = w.runs()
    assert len(runs) == 400
    assert len({r.id for r in runs}) == 400
    assert {r.experiment_id for r in runs} == {e.id for e in experiments}
    statuses = Counter(r.status for r in runs)
    assert statuses[RunStatus.FINISHED] > 0.7 * len(runs)
    assert statuses[RunStatus.FAILED] > 0 and statuses[RunStatus.KILLED] > 0
    assert 1 <= statuses[RunStatus.RUNNING] <= 10
    oldest = min(r.start_time for r in runs)
    assert EPOCH - timedelta(days=100) < oldest < EPOCH - timedelta(days=60)
    for r in runs:
        assert r.start_time.utcoffset() == timedelta(0)
        assert r.start_time <= EPOCH
        assert (r.end_time is None) == (r.status == RunStatus.RUNNING)
        if r.end_time is not None:
            assert r.start_time <= r.end_time <= EPOCH
        assert r.params["model_type"] and r.tags["mlflow.user"] == r.user
        assert r.tags["mlflow.source.git.commit"]
    finished = [r for r in runs if r.status == RunStatus.FINISHED]
    assert all(len(r.metrics) == 4 for r in finished)
    classification = [r for r in finished if "auc" in r.metrics]
    regression = [r for r in finished if "rmse" in r.metrics]
    assert classification and regression
    assert all(0.5 < r.metrics["auc"] < 1.0 and r.metrics["logloss"] > 0 for r in classification)
    assert {"learning_rate", "max_depth", "n_estimators"} <= {k for r in runs for k in r.params}
    assert len(make_world(runs=0).runs()) == 0


def test_metric_history_is_generated_on_demand():
    w = make_world()
    run = next(r for r in w.runs() if r.status == RunStatus.FINISHED and "auc" in r.metrics)
    points = w.metric_history(run.id, "auc")
    assert 20 <= len(points) <= 200
    assert [p.step for p in points] == list(range(len(points)))
    assert points[-1].value == run.metrics["auc"]
    assert points[0].value < points[-1].value  # it learned
    assert all(run.start_time <= p.timestamp <= run.end_time for p in points)
    assert w.metric_history(run.id, "auc") == points
    assert w.metric_history(run.id, "no-such-metric") == ()
    loss = w.metric_history(run.id, "logloss")
    assert loss[0].value > loss[-1].value == run.metrics["logloss"]
    with pytest.raises(NotFound):
        w.metric_history("0" * 32, "auc")


def test_registry_shape():
    w = make_world()
    runs = {r.id: r for r in w.runs()}
    exp_by_id = {e.id: e.name for e in w.experiments()}
    models = w.models()
    assert len(models) >= 4
    versions = w.versions()
    expected_experiment = {
        "fraud-xgb": "fraud-detection",
        "churn-lgbm": "churn-prediction",
        "demand-prophet": "demand-forecast",
        "ranker-bert": "search-ranking",
    }
    for m in models:
        mine = [v for v in versions if v.model == m.name]
        assert len(mine) >= 3
        assert m.latest_version == max(mine, key=lambda v: int(v.version)).version
        assert set(m.aliases) == {"champion", "challenger"}
        for alias, version in m.aliases.items():
            holder = next(v for v in mine if v.version == version)
            assert alias in holder.aliases
            assert w.alias_holder(m.name, alias) == version
        # every alias a version lists agrees with the model's alias map
        for v in mine:
            assert all(m.aliases[a] == v.version for a in v.aliases)
            assert v.status == "READY" and v.created is not None and v.created <= EPOCH
            run = runs[v.run_id]
            assert exp_by_id[run.experiment_id] == expected_experiment[m.name]
            assert run.status == RunStatus.FINISHED and run.end_time <= v.created
    assert w.alias_holder("fraud-xgb", "no-such-alias") is None
    with pytest.raises(NotFound):
        w.alias_holder("no-such-model", "champion")
    promotions = w.promotions()
    pending = [p for p in promotions if p.state == PromotionState.PENDING]
    assert len(pending) >= 2
    assert all(p.target == "champion" and p.requester and p.note for p in pending)
    assert {p.requester for p in pending} >= {"bob", "carol"}
    decided = Counter(p.state for p in promotions if p.state != PromotionState.PENDING)
    assert decided[PromotionState.APPROVED] >= 2 and decided[PromotionState.REJECTED] >= 1
    assert all(p.decided_by and p.decided_at >= p.requested_at for p in promotions if p.state != PromotionState.PENDING)


def test_deployments_serve_alias_holders():
    w = make_world()
    deployments = w.deployments()
    assert len(deployments) >= 5
    aliases = {m.name: m.aliases for m in w.models()}
    by_name = {d.name: d for d in deployments}
    assert by_name["fraud-api-prod"].version == aliases["fraud-xgb"]["champion"]
    assert by_name["fraud-api-canary"].version == aliases["fraud-xgb"]["challenger"]
    for d in deployments:
        assert d.version in aliases[d.model].values()
        assert d.replicas > 0 and d.endpoint.startswith("https://")
    samples = w.health()
    per_deployment = Counter(s.deployment for s in samples)
    assert set(per_deployment) == set(by_name) and set(per_deployment.values()) == {30}
    times = sorted({s.time for s in samples})
    assert len(times) == 30 and times[-1] <= w.now
    assert all(b - a == timedelta(minutes=1) for a, b in zip(times, times[1:]))


# -- dynamics -------------------------------------------------------------------------------
def test_deployment_metrics_and_health_change_over_time():
    w = make_world(runs=0)
    first = {d.name: d.latency_p95_ms for d in w.deployments()}
    w.advance(15)
    second = {d.name: d.latency_p95_ms for d in w.deployments()}
    assert first != second  # changes every 15 simulated seconds
    slo = {s.name: s.slo_latency_ms for s in DEPLOYMENTS}
    seen: dict[str, set[DeploymentHealth]] = {s.name: set() for s in DEPLOYMENTS}
    for _ in range(24 * 12):  # a day, every 5 minutes
        w.advance(300)
        for d in w.deployments():
            seen[d.name].add(d.health)
            if d.health == DeploymentHealth.HEALTHY:
                assert d.latency_p95_ms <= slo[d.name] and d.error_rate <= ERROR_WARN
                assert d.ready_replicas == d.replicas
            elif d.health == DeploymentHealth.DOWN:
                assert d.ready_replicas == 0
            else:
                assert d.latency_p95_ms > slo[d.name] or d.error_rate > ERROR_WARN or d.ready_replicas < d.replicas
    assert all(DeploymentHealth.HEALTHY in s and DeploymentHealth.DEGRADED in s for s in seen.values())
    assert any(DeploymentHealth.DOWN in s for s in seen.values())


def test_drift_has_history_and_crosses_thresholds():
    w = make_world(runs=0)
    scores = w.drift()
    features = {(s.model, s.feature) for s in scores}
    per_model = Counter(model for model, _ in features)
    assert set(per_model) == {m.name for m in w.models()}
    assert all(5 <= n <= 8 for n in per_model.values())
    assert Counter((s.model, s.feature) for s in scores).most_common()[-1][1] == 24
    ks = [s for s in scores if s.method == "ks"]
    assert ks and all(not s.higher_is_drift and 0.0 <= s.score <= 1.0 for s in ks)
    assert all(s.higher_is_drift for s in scores if s.method in ("psi", "wasserstein"))
    assert {s.method for s in scores} >= {"psi", "ks", "wasserstein"}

    def drifted_now() -> set[tuple[str, str]]:
        latest = {}
        for s in w.drift():
            latest[(s.model, s.feature)] = s
        return {k for k, s in latest.items() if s.drifted}

    before = drifted_now()
    crossed_up, crossed_down = set(), set()
    for _ in range(48):  # a day, every half hour
        w.advance(1800)
        now = drifted_now()
        crossed_up |= now - before
        crossed_down |= before - now
        before = now
    assert crossed_up and crossed_down
    # some features never drift
    assert len(crossed_up) < len(features) / 2


def test_alerts_fire_and_resolve_as_time_passes():
    w = make_world(runs=0)
    fired, resolved, counts, with_critical = set(), set(), [], 0
    fingerprints: dict[str, dict[str, str]] = {}
    current = {a.fingerprint for a in w.alerts()}
    for _ in range(24):  # a simulated day, an hour at a time
        w.advance(3600)
        alerts = w.alerts()
        now = {a.fingerprint for a in alerts}
        fired |= now - current
        resolved |= current - now
        current = now
        counts.append(len(alerts))
        with_critical += any(a.severity.value == "critical" for a in alerts)
        for a in alerts:
            assert fingerprints.setdefault(a.fingerprint, a.labels) == a.labels  # stable identity
            assert a.starts_at <= w.now and a.ends_at is None
            assert a.labels["severity"] in ("critical", "warning", "info")
            assert a.labels["team"] and a.labels["model"]
            assert a.runbook_url.startswith("https://runbooks.example.com/")
            assert a.generator_url.startswith("https://") and a.summary and a.annotations["description"]
            if a.labels.get("kind") == "drift":
                assert a.labels["feature"] and a.name in ("FeatureDriftDetected", "PredictionDriftHigh")
            elif a.name in ("ModelLatencyHigh", "ModelErrorRateHigh", "DeploymentNotReady"):
                assert a.labels["deployment"] in {d.name for d in DEPLOYMENTS}
    assert len(fired) >= 5 and len(resolved) >= 5
    assert 2 <= sum(counts) / len(counts) <= 8
    assert with_critical >= len(counts) // 2


def test_a_deployment_alert_matches_the_deployment_state():
    w = make_world(runs=0)
    checked = 0
    for _ in range(200):
        w.advance(240)
        deployments = {d.name: d for d in w.deployments()}
        alerting = {a.deployment for a in w.alerts() if a.deployment}
        for name, d in deployments.items():
            assert (name in alerting) == (d.health != DeploymentHealth.HEALTHY)
            checked += name in alerting
    assert checked > 20


def test_running_runs_finish_and_only_then_the_tuple_changes():
    w = make_world()
    runs = w.runs()
    assert w.runs() is runs  # nothing changed: the very same tuple
    running = {r.id for r in runs if r.status == RunStatus.RUNNING}
    assert running
    w.advance(1)
    assert w.runs() is runs
    w.advance(3 * 3600)
    later = w.runs()
    assert later is not runs and len(later) == len(runs)
    assert not any(r.status == RunStatus.RUNNING for r in later)
    finished = [r for r in later if r.id in running]
    assert all(r.end_time is not None and r.end_time > EPOCH for r in finished)
    assert w.runs() is later
    unchanged = [a for a, b in zip(runs, later) if a.id not in running]
    assert all(a is b for a, b in zip(unchanged, [r for r in later if r.id not in running]))


def test_events_cover_the_last_day():
    w = make_world(runs=0)
    events = w.events()
    assert all(w.now - timedelta(hours=24) <= e.time <= w.now for e in events)
    assert [e.time for e in events] == sorted(e.time for e in events)
    kinds = {e.kind for e in events}
    expected = {EventKind.PROMOTION, EventKind.ALIAS_MOVED, EventKind.NEW_VERSION, EventKind.DRIFT, EventKind.HEALTH}
    assert expected <= kinds
    assert any(e.deployment for e in events if e.kind == EventKind.HEALTH)
    w.advance(6 * 3600)
    later = w.events()
    assert later != events and all(e.time >= w.now - timedelta(hours=24) for e in later)


def test_drift_events_agree_with_the_scores_the_drift_view_shows():
    """Each drift event is a crossing of the displayed (rounded) score, bucket by bucket."""
    w = make_world(runs=0)
    b, span = int(w.now_ts() // DRIFT_STEP), int(EVENT_HORIZON // DRIFT_STEP)
    for f, feat in enumerate(w._features):
        flags = [
            w.drift_score(f, k).score > feat.threshold
            if feat.higher_is_drift
            else w.drift_score(f, k).score < feat.threshold
            for k in range(b - span - 1, b + 1)
        ]
        crossings = {k for k, (a, z) in zip(range(b - span, b + 1), zip(flags, flags[1:])) if a != z}
        drift_events = {
            e.time
            for e in w.events()
            if e.kind == EventKind.DRIFT and e.model == feat.model and e.text.startswith(feat.spec.name + " ")
        }
        assert drift_events == {datetime.fromtimestamp(k * DRIFT_STEP, UTC) for k in crossings}


# -- mutations ------------------------------------------------------------------------------
async def test_approving_a_promotion_moves_the_alias():
    b = make_backend()
    request = next(p for p in await b.list_promotions() if p.model == "fraud-xgb" and p.state == "pending")
    old = await b.alias_holder("fraud-xgb", "champion")
    assert old is not None and old != request.version
    await b.approve_promotion(request, "alice", EPOCH)

    assert await b.alias_holder("fraud-xgb", "champion") == request.version
    data = await b.fetch()
    model = next(m for m in data.models if m.name == "fraud-xgb")
    assert model.aliases["champion"] == request.version
    versions = {v.version: v for v in data.versions if v.model == "fraud-xgb"}
    assert "champion" in versions[request.version].aliases
    assert "champion" not in versions[old].aliases
    decided = next(p for p in data.promotions if p.key == request.key and p.requested_at == request.requested_at)
    assert decided.state == PromotionState.APPROVED
    assert decided.decided_by == "alice" and decided.decided_at == EPOCH
    assert next(d for d in data.deployments if d.name == "fraud-api-prod").version == request.version
    texts = [e.text for e in data.events if e.model == "fraud-xgb"]
    assert any("approved" in t for t in texts)
    assert any(f"v{old} -> v{request.version}" in t for t in texts)
    with pytest.raises(PromotionConflict):
        await b.approve_promotion(request, "grace", EPOCH)


async def test_promoting_the_stale_model_resolves_its_stale_alert():
    b = make_backend()
    assert any(a.name == "ModelStale" and a.model == "demand-prophet" for a in await b.list_alerts())
    latest = next(m for m in await b.list_models() if m.name == "demand-prophet").latest_version
    request = PromotionRequest(
        model="demand-prophet", version=latest, requester="erin", requested_at=EPOCH, note="try again"
    )
    await b.request_promotion(request)
    await b.approve_promotion(request, "grace", EPOCH)
    assert not any(a.name == "ModelStale" and a.model == "demand-prophet" for a in await b.list_alerts())


async def test_rejecting_a_promotion_leaves_the_alias():
    b = make_backend()
    request = next(p for p in await b.list_promotions() if p.model == "ranker-bert" and p.state == "pending")
    before = await b.alias_holder("ranker-bert", "champion")
    await b.reject_promotion(request, "heidi", EPOCH, "NDCG gain within noise")
    assert await b.alias_holder("ranker-bert", "champion") == before
    stored = next(
        p for p in await b.list_promotions() if p.key == request.key and p.requested_at == request.requested_at
    )
    assert stored.state == PromotionState.REJECTED
    assert (stored.decided_by, stored.reason) == ("heidi", "NDCG gain within noise")
    assert len([p for p in await b.list_promotions() if p.state == PromotionState.PENDING]) == 1


async def test_requesting_a_promotion():
    b = make_backend()
    before = await b.list_promotions()
    request = PromotionRequest(
        model="churn-lgbm", version="7", requester="dave", requested_at=EPOCH, note="fresher labels"
    )
    await b.request_promotion(request)
    after = await b.list_promotions()
    assert len(after) == len(before) + 1
    stored = next(p for p in after if p.key == ("churn-lgbm", "7"))
    assert stored.state == PromotionState.PENDING and stored.backend == "demo"
    await b.request_promotion(request)  # asking twice is asking once
    assert len(await b.list_promotions()) == len(after)
    with pytest.raises(NotFound):
        await b.request_promotion(request.model_copy(update={"version": "99"}))
    with pytest.raises(NotFound):
        await b.request_promotion(request.model_copy(update={"model": "nope"}))


async def test_a_silence_suppresses_matching_alerts_until_expired():
    b = make_backend(runs=0)
    target = next(a for a in await b.list_alerts() if a.state == AlertState.FIRING)
    keys = ("alertname", "model", "feature", "deployment")
    matchers = tuple(Matcher(name=k, value=v) for k, v in target.labels.items() if k in keys)
    silence = Silence(
        id="",
        matchers=matchers,
        starts_at=EPOCH,
        ends_at=EPOCH + timedelta(hours=2),
        created_by="alice",
        comment="ACK! on it",
    )
    sid = await b.create_silence(silence)
    assert sid and sid != silence.id

    alerts = {a.fingerprint: a for a in await b.list_alerts()}
    assert alerts[target.fingerprint].state == AlertState.SUPPRESSED
    assert alerts[target.fingerprint].silenced_by == (sid,)
    others = [a for a in alerts.values() if a.fingerprint != target.fingerprint and not silence.matches(a.labels)]
    assert all(sid not in a.silenced_by for a in others)
    listed = {s.id: s for s in await b.list_silences()}
    assert listed[sid].state == SilenceState.ACTIVE and listed[sid].created_by == "alice"

    await b.expire_silence(sid)
    listed = {s.id: s for s in await b.list_silences()}
    assert listed[sid].state == SilenceState.EXPIRED
    alerts = {a.fingerprint: a for a in await b.list_alerts()}
    assert alerts[target.fingerprint].state == AlertState.FIRING
    assert alerts[target.fingerprint].silenced_by == ()
    with pytest.raises(NotFound):
        await b.expire_silence("no-such-silence")


def test_silences_follow_the_simulated_clock():
    w = make_world(runs=0)
    sid = w.create_silence(
        Silence(
            id="",
            matchers=(Matcher(name="alertname", value=".+", is_regex=True),),
            starts_at=EPOCH + timedelta(hours=1),
            ends_at=EPOCH + timedelta(hours=2),
            created_by="bob",
            comment="maintenance",
        )
    )
    state = lambda: next(s for s in w.silences() if s.id == sid).state  # noqa: E731
    assert state() == SilenceState.PENDING
    assert all(a.state == AlertState.FIRING for a in w.alerts())
    w.advance(3600 + 30)
    assert state() == SilenceState.ACTIVE
    assert w.alerts() and all(a.state == AlertState.SUPPRESSED and sid in a.silenced_by for a in w.alerts())
    w.advance(3600)
    assert state() == SilenceState.EXPIRED
    w.advance(2 * 86400)  # expired long ago: no longer listed
    assert sid not in {s.id for s in w.silences()}


def test_a_silence_from_now_on_the_wall_clock_starts_now_in_the_world():
    w = make_world(runs=0)  # the simulated clock is frozen in the past
    wall = datetime.now(UTC)
    sid = w.create_silence(
        Silence(
            id="",
            matchers=(Matcher(name="alertname", value="ModelStale"),),
            starts_at=wall,
            ends_at=wall + timedelta(hours=1),
            created_by="bob",
            comment="ACK!",
        )
    )
    silence = next(s for s in w.silences() if s.id == sid)
    assert silence.state == SilenceState.ACTIVE and silence.starts_at == w.now
    assert silence.ends_at - silence.starts_at == timedelta(hours=1)


def test_silence_ids_are_deterministic():
    def ids(w: DemoWorld) -> list[str]:
        return [s.id for s in w.silences()]

    assert ids(make_world(runs=0)) == ids(make_world(runs=0))
    assert ids(make_world(runs=0)) != ids(make_world(seed=8, runs=0))


# -- the backend ----------------------------------------------------------------------------
async def test_backend_contract_and_identity_between_fetches():
    b = make_backend()
    assert DemoBackend.kind == "demo" and DemoBackend.description
    assert all(b.has(c) for c in Capability)
    options = DemoBackend.Options()
    defaults = (options.seed, options.runs, options.speed, options.epoch, options.delay_seconds)
    assert defaults == (7, 300, 1.0, None, 0.0)
    assert await b.server_version() == "demo 1 (seed 7)"
    await b.open()
    first = await b.fetch()
    second = await b.fetch()
    assert first.runs is second.runs
    assert first.models is second.models and first.versions is second.versions
    assert first.alerts is second.alerts and first.drift is second.drift
    assert len(first.runs) == 400 and len(first.experiments) == 4 and first.version == "demo 1 (seed 7)"
    assert all(getattr(first, f) for f in ("health", "silences", "events", "promotions", "deployments"))
    await b.close()


async def test_fetch_honours_delay_seconds():
    b = make_backend(runs=50, delay_seconds=0.2)
    start = time.monotonic()
    await b.fetch()
    assert time.monotonic() - start >= 0.2


async def test_backend_without_epoch_starts_at_wall_clock():
    b = DemoBackend("demo", DemoBackend.Options(runs=10))
    assert abs((b.world.now - datetime.now(UTC)).total_seconds()) < 5


def test_the_demo_backend_imports_neither_textual_nor_rich():
    code = (
        "import sys, mlops_tui.backends.demo.backend\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
