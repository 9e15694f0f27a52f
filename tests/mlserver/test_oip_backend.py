"""The `oip` backend against a real MLServer: readiness, the served version, the repository's
state after an unload, a stopped server and a hanging one, each beside a healthy deployment."""

from __future__ import annotations

import time

import pytest

from mlops_tui.backends.oip.backend import OipBackend
from mlops_tui.domain import DeploymentHealth, TensorSpec
from tests.fakes.oip_faults import FakeOip
from tests.server_process import free_port


def backend(*deployments: dict, **options) -> OipBackend:
    return OipBackend("serving", OipBackend.Options(deployments=list(deployments), **options))


async def poll(b: OipBackend) -> dict:
    return {d.name: d for d in await b.list_deployments()}


async def test_a_loaded_model_is_healthy_with_the_version_from_the_index_unless_overridden(mlserver):
    b = backend(
        {"name": "fraud-prod", "url": mlserver.url, "model": "fraud-detector", "environment": "prod"},
        {"name": "churn-prod", "url": mlserver.url, "model": "churn", "version": "99"},
    )
    try:
        got = await poll(b)
    finally:
        await b.close()
    fraud = got["fraud-prod"]
    assert (fraud.health, fraud.ready, fraud.live) == (DeploymentHealth.HEALTHY, True, True)
    # MLServer 1.7 leaves the metadata's `versions` empty: the index's parameters.version is the
    # served version, unless the deployment's config overrides it (the issue: `version = "7"`)
    assert fraud.version == "6" and got["churn-prod"].version == "99"
    assert fraud.repository_state == "READY"
    assert fraud.inputs == (TensorSpec(name="amount", datatype="FP64", shape=(-1,)),)
    assert fraud.outputs[0].name == "score"
    assert fraud.platform.startswith("mlserver 1.7")
    assert fraud.reason == "" and fraud.environment == "prod"
    assert fraud.endpoint == f"{mlserver.url}/v2/models/fraud-detector"


async def test_an_unloaded_model_is_down_with_the_repository_state_and_comes_back(mlserver):
    b = backend(
        {"name": "fraud-prod", "url": mlserver.url, "model": "fraud-detector"},
        {"name": "churn-prod", "url": mlserver.url, "model": "churn"},
    )
    try:
        assert (await poll(b))["fraud-prod"].health == DeploymentHealth.HEALTHY  # from now on: the index
        assert mlserver.unload("fraud-detector").status_code == 200
        try:
            got = await poll(b)
            fraud = got["fraud-prod"]
            assert (fraud.health, fraud.ready, fraud.live) == (DeploymentHealth.DOWN, False, True)
            assert fraud.reason == "server up, model fraud-detector not loaded: state UNAVAILABLE (repository index)"
            assert fraud.repository_state == "UNAVAILABLE"
            assert got["churn-prod"].health == DeploymentHealth.HEALTHY  # same server, other model
        finally:
            assert mlserver.load("fraud-detector").status_code == 200
        fraud = (await poll(b))["fraud-prod"]
        assert (fraud.health, fraud.ready, fraud.reason) == (DeploymentHealth.HEALTHY, True, "")
    finally:
        await b.close()


async def test_a_stopped_server_is_down_and_does_not_touch_the_other_deployments(own_mlserver, mlserver):
    b = backend(
        {"name": "own", "url": own_mlserver.url, "model": "fraud-detector"},
        {"name": "other", "url": mlserver.url, "model": "churn"},
    )
    try:
        assert (await poll(b))["own"].health == DeploymentHealth.HEALTHY
        own_mlserver.stop()
        got = await poll(b)
    finally:
        await b.close()
    assert got["own"].health == DeploymentHealth.DOWN
    assert got["own"].reason == "server not answering: connection refused"
    assert (got["own"].live, got["own"].ready) == (False, None)
    assert got["other"].health == DeploymentHealth.HEALTHY


async def test_a_hanging_server_is_its_deployments_reason_not_a_failed_poll(mlserver):
    with FakeOip("hang") as hanging:
        b = backend(
            {"name": "stuck", "url": hanging.url, "model": "fraud-detector"},
            {"name": "fine", "url": mlserver.url, "model": "fraud-detector"},
            server_timeout_seconds=1.0,
            timeout_seconds=5.0,
        )
        started = time.monotonic()
        try:
            got = await poll(b)
        finally:
            await b.close()
        took = time.monotonic() - started
    assert got["stuck"].health == DeploymentHealth.UNKNOWN
    assert got["stuck"].reason == "server not answering: did not answer within 1s"
    assert got["fine"].health == DeploymentHealth.HEALTHY
    assert took < 4.0  # well inside the hub's poll timeout (5 s)


async def test_nothing_listening_is_connection_refused():
    b = backend({"name": "gone", "url": f"http://127.0.0.1:{free_port()}", "model": "m", "version": "4"})
    try:
        gone = (await poll(b))["gone"]
    finally:
        await b.close()
    assert (gone.health, gone.reason) == (DeploymentHealth.DOWN, "server not answering: connection refused")
    assert gone.version == "4"  # the configured version stays visible


def test_options_refuse_what_cannot_work():
    with pytest.raises(ValueError, match="needs model"):
        OipBackend.Options(deployments=[{"name": "a", "url": "http://127.0.0.1:1"}])
    with pytest.raises(ValueError, match="go together"):
        OipBackend.Options(deployments=[{"name": "a", "url": "http://127.0.0.1:1", "model": "m", "alias": "champion"}])
    with pytest.raises(ValueError, match="unique"):
        OipBackend.Options(deployments=[{"name": "a", "url": "http://127.0.0.1:1", "model": "m"}] * 2)
    with pytest.raises(ValueError, match="http:// or https://"):
        OipBackend.Options(deployments=[{"name": "a", "url": "127.0.0.1:1", "model": "m"}])
    with pytest.raises(ValueError, match="shorter than timeout_seconds"):
        OipBackend.Options(server_timeout_seconds=10, timeout_seconds=10)
