"""The services join of deployments (services/deployments.py through Snapshot.merge): worst
health wins, thresholds make a deployment degraded with a reason, a failed source's metrics
are unknown, and the registry's alias gives the expected version and the mismatch's start."""

from __future__ import annotations

from datetime import UTC, datetime

from mlops_tui.backends.base import BackendData
from mlops_tui.domain import (
    BackendState,
    BackendStatus,
    Deployment,
    DeploymentHealth,
    ModelVersion,
    RegisteredModel,
)
from mlops_tui.services.deployments import duration_ms, percent
from mlops_tui.services.snapshot import Snapshot

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def server(**kw) -> Deployment:
    base = dict(
        name="fraud-prod",
        model="fraud-detector",
        version="6",
        health=DeploymentHealth.HEALTHY,
        ready=True,
        live=True,
        registered_model="fraud-detector",
        alias="champion",
        max_error_rate=0.05,
        max_latency_p95_ms=500.0,
        sources=("serving",),
        backend="serving",
    )
    return Deployment(**{**base, **kw})


def metrics(**kw) -> Deployment:
    base = dict(
        name="fraud-prod",
        health=DeploymentHealth.HEALTHY,
        live=True,
        requests_per_second=12.0,
        error_rate=0.01,
        latency_p95_ms=120.0,
        sources=("prom",),
        backend="prom",
    )
    return Deployment(**{**base, **kw})


def status(name: str, state: BackendState = BackendState.OK, message: str = "") -> BackendStatus:
    return BackendStatus(name=name, kind="x", state=state, message=message)


def merge(*parts: tuple[BackendStatus, BackendData], previous: Snapshot | None = None, gen: int = 1) -> Snapshot:
    return Snapshot.merge(gen, tuple(s for s, _ in parts), {s.name: d for s, d in parts}, previous)


def registry(champion: str) -> BackendData:
    return BackendData(
        models=(RegisteredModel(name="fraud-detector", aliases={"champion": champion}),),
        versions=(ModelVersion(model="fraud-detector", version="6"), ModelVersion(model="fraud-detector", version="7")),
    )


def test_health_from_the_server_and_metrics_from_prometheus_join_by_name():
    snap = merge(
        (status("serving"), BackendData(deployments=(server(),))),
        (status("prom"), BackendData(deployments=(metrics(),))),
    )
    (d,) = snap.deployments
    assert (d.health, d.ready, d.version, d.requests_per_second, d.latency_p95_ms) == (
        DeploymentHealth.HEALTHY,
        True,
        "6",
        12.0,
        120.0,
    )
    assert d.sources == ("serving", "prom") and d.backend == "serving"


def test_the_worst_source_wins_and_its_reason_is_the_reason():
    down = server(health=DeploymentHealth.DOWN, ready=False, reason="server up, model fraud-detector not loaded: x")
    snap = merge(
        (status("serving"), BackendData(deployments=(down,))), (status("prom"), BackendData(deployments=(metrics(),)))
    )
    (d,) = snap.deployments
    assert d.health == DeploymentHealth.DOWN and d.reason.startswith("server up, model fraud-detector not loaded")


def test_thresholds_make_it_degraded_with_a_reason_a_person_can_read():
    snap = merge(
        (status("serving"), BackendData(deployments=(server(),))),
        (status("prom"), BackendData(deployments=(metrics(error_rate=0.38, latency_p95_ms=1200.0),))),
    )
    (d,) = snap.deployments
    assert d.health == DeploymentHealth.DEGRADED
    assert d.reason == "ready, but 38% of requests fail (prom); p95 1.2 s over the 500 ms threshold"


def test_a_failed_metrics_source_gives_unknown_metrics_not_its_stale_numbers():
    snap = merge(
        (status("serving"), BackendData(deployments=(server(),))),
        (
            status("prom", BackendState.UNREACHABLE, "cannot reach Prometheus: connection refused"),
            BackendData(deployments=(metrics(error_rate=0.5),)),
        ),
    )
    (d,) = snap.deployments
    assert d.health == DeploymentHealth.HEALTHY  # health still from the model server
    assert (d.requests_per_second, d.error_rate, d.latency_p95_ms) == (None, None, None)
    assert d.metrics_note == "prom: cannot reach Prometheus: connection refused"


def test_a_failed_health_source_makes_health_unknown_and_says_why():
    snap = merge(
        (status("serving", BackendState.ERROR, "boom"), BackendData(deployments=(server(),))),
        (status("prom"), BackendData(deployments=(metrics(),))),
    )
    (d,) = snap.deployments
    assert (d.health, d.reason) == (DeploymentHealth.UNKNOWN, "health unknown: serving: boom")
    assert d.requests_per_second == 12.0  # Prometheus still answers


def test_a_deployment_only_prometheus_knows_still_appears_with_health_from_up():
    snap = merge(
        (
            status("prom"),
            BackendData(
                deployments=(
                    metrics(name="shadow", health=DeploymentHealth.DOWN, reason="scrape target down (up = 0, prom)"),
                )
            ),
        )
    )
    (d,) = snap.deployments
    assert (d.name, d.health, d.reason) == ("shadow", DeploymentHealth.DOWN, "scrape target down (up = 0, prom)")


def test_expected_version_from_the_alias_and_mismatch_since_carried_across_snapshots():
    serving = (status("serving"), BackendData(deployments=(server(),)))
    first = merge(serving, (status("mlflow"), registry("7")))
    (d,) = first.deployments
    assert (d.expected_version, d.mismatch) == ("7", True)
    since = d.mismatch_since
    assert since is not None
    # the next poll of the model server: a new tuple, the same mismatch, the same start
    second = merge(
        (status("serving"), BackendData(deployments=(server(),))),
        (status("mlflow"), registry("7")),
        previous=first,
        gen=2,
    )
    assert second.deployments[0].mismatch_since == since
    # the alias moves to the served version: no mismatch, no start
    third = merge(
        (status("serving"), BackendData(deployments=(server(),))),
        (status("mlflow"), registry("6")),
        previous=second,
        gen=3,
    )
    assert (third.deployments[0].mismatch, third.deployments[0].mismatch_since) == (False, None)


def test_an_unchanged_input_reuses_the_last_join():
    serving = (status("serving"), BackendData(deployments=(server(),)))
    mlflow = (status("mlflow"), registry("7"))
    first = merge(serving, mlflow)
    assert merge(serving, mlflow, previous=first, gen=2).deployments is first.deployments


def test_words():
    assert (percent(0.38), percent(0.004), percent(0.0)) == ("38%", "0.4%", "0%")
    assert (duration_ms(1200), duration_ms(500), duration_ms(2000)) == ("1.2 s", "500 ms", "2 s")
