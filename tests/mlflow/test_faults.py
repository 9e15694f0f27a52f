"""Failure modes and credentials, against a fake MLflow that misbehaves on purpose."""

from __future__ import annotations

import base64

import pytest

from mlops_tui.backends.errors import BackendUnavailable, BadResponse, Unauthorized
from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.domain import BackendState
from mlops_tui.services.hub import Hub
from tests.fakes.mlflow_faults import FaultyMlflow
from tests.server_process import free_port

SECRET = "s3cr3t-t0ken-value"


def backend_for(url: str, **options) -> MlflowBackend:
    return MlflowBackend("m", MlflowBackend.Options(url=url, cache=False, **options))


async def poll_error(backend: MlflowBackend) -> Exception:
    try:
        await backend.fetch()
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return exc
    finally:
        await backend.close()
    raise AssertionError("the poll did not fail")


async def test_connection_refused_is_unavailable():
    backend = backend_for(f"http://127.0.0.1:{free_port()}")
    exc = await poll_error(backend)
    assert isinstance(exc, BackendUnavailable)
    assert "connection refused" in str(exc) and "127.0.0.1" in str(exc)


async def test_401_is_unauthorized_and_never_shows_the_secret(monkeypatch):
    monkeypatch.setenv("MLFLOW_TOKEN_FOR_TEST", SECRET)
    with FaultyMlflow("401") as fake:
        backend = backend_for(fake.url, auth={"type": "bearer", "token": "env:MLFLOW_TOKEN_FOR_TEST"})
        exc = await poll_error(backend)
    assert isinstance(exc, Unauthorized)
    assert "refused the credentials (HTTP 401)" in str(exc)
    assert SECRET not in str(exc)


async def test_500_is_a_bad_response_with_the_servers_words():
    with FaultyMlflow("500") as fake:
        exc = await poll_error(backend_for(fake.url))
    assert isinstance(exc, BadResponse)
    assert "HTTP 500" in str(exc) and "INTERNAL_ERROR: database is locked" in str(exc)


async def test_malformed_json_is_a_bad_response():
    with FaultyMlflow("malformed") as fake:
        exc = await poll_error(backend_for(fake.url))
    assert isinstance(exc, BadResponse)
    assert "not JSON" in str(exc)


async def test_a_redirect_to_a_login_page_is_not_mistaken_for_an_empty_server():
    with FaultyMlflow("redirect") as fake:
        exc = await poll_error(backend_for(fake.url))
    assert isinstance(exc, BadResponse)
    assert "redirects (HTTP 302) to sso.example.com" in str(exc)


async def test_a_hanging_server_times_out_and_the_hub_says_so():
    with FaultyMlflow("hang", hang_seconds=10) as fake:
        exc = await poll_error(backend_for(fake.url, timeout_seconds=0.5))
        assert isinstance(exc, BackendUnavailable)
        assert "did not answer within 0.5s" in str(exc)
        assert fake.hung_answers == 0  # it gave up while the server still held the answer

        hub = Hub([backend_for(fake.url, timeout_seconds=0.5)], refresh_seconds=60)
        hub.start()
        try:
            status = hub.wait_for_first_poll(10).statuses[0]
        finally:
            fake.release()
            hub.stop(3)
    assert status.state == BackendState.UNREACHABLE


async def test_bearer_token_from_an_env_reference_is_sent(monkeypatch):
    monkeypatch.setenv("MLFLOW_TOKEN_FOR_TEST", SECRET)
    with FaultyMlflow("ok") as fake:
        backend = backend_for(fake.url, auth={"type": "bearer", "token": "env:MLFLOW_TOKEN_FOR_TEST"})
        data = await backend.fetch()
        await backend.close()
    assert [r.name for r in data.runs] == ["only"]
    assert data.version == "0.0.0-fake"
    assert {h.get("authorization") for h in fake.headers} == {f"Bearer {SECRET}"}


async def test_basic_auth_from_references_is_sent(monkeypatch, memory_keyring):
    from mlops_tui.config.secrets import store_secret

    store_secret("mlflow-password", "pa55:word")
    monkeypatch.setenv("MLFLOW_USER_FOR_TEST", "carol")
    with FaultyMlflow("ok") as fake:
        backend = backend_for(
            fake.url,
            auth={
                "type": "basic",
                "username": "env:MLFLOW_USER_FOR_TEST",
                "password": "keyring:mlflow-password",
            },
        )
        await backend.fetch()
        await backend.close()
    expected = "Basic " + base64.b64encode(b"carol:pa55:word").decode()
    assert {h.get("authorization") for h in fake.headers} == {expected}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MLFLOW_TRACKING_TOKEN": SECRET}, f"Bearer {SECRET}"),
        (
            {
                "MLFLOW_TRACKING_USERNAME": "ann",
                "MLFLOW_TRACKING_PASSWORD": "pw",
                "MLFLOW_TRACKING_TOKEN": SECRET,
            },
            "Basic " + base64.b64encode(b"ann:pw").decode(),
        ),
        ({}, None),
    ],
)
async def test_without_auth_settings_mlflows_own_variables_apply(monkeypatch, env, expected):
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    with FaultyMlflow("ok") as fake:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", fake.url)
        # No url option: the URL comes from the variable too.
        backend = MlflowBackend("m", MlflowBackend.Options(cache=False))
        await backend.fetch()
        await backend.close()
    assert {h.get("authorization") for h in fake.headers} == {expected}


async def test_a_missing_secret_is_unauthorized_naming_the_variable_not_a_value():
    backend = backend_for("http://127.0.0.1:9", auth={"type": "bearer", "token": "env:NOT_SET_ANYWHERE"})
    with pytest.raises(Unauthorized, match="NOT_SET_ANYWHERE is not set"):
        await backend.open()


def test_options_refuse_a_secret_written_out_without_echoing_it():
    with pytest.raises(ValueError) as info:
        MlflowBackend.Options(url="http://x", auth={"type": "bearer", "token": SECRET})
    assert 'must be a reference such as "keyring:NAME"' in str(info.value)
    assert SECRET not in str(info.value)
    with pytest.raises(ValueError, match="http:// or https://"):
        MlflowBackend.Options(url="file:///tmp/mlruns")
