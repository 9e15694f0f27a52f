"""Faults the real Evidently UI will not produce on demand, through a tiny fake on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from mlops_tui.backends.errors import BackendError, BackendUnavailable, BadResponse, Unauthorized
from mlops_tui.backends.evidently.backend import SECRET_HEADER, EvidentlyBackend
from tests.fakes.evidently_faults import SNAPSHOT_ID, FaultyEvidently
from tests.server_process import free_port

SECRET = "s3cr3t-evidently-do-not-show"


@pytest.fixture
def fake():
    with FaultyEvidently("ok") as server:
        yield server


@pytest.fixture
async def backend_for():
    made: list[EvidentlyBackend] = []

    def make(url: str, **options) -> EvidentlyBackend:
        backend = EvidentlyBackend("ev", EvidentlyBackend.Options(url=url, **options))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()


async def test_fake_in_ok_mode_serves_the_saved_report(fake, backend_for):
    data = await backend_for(fake.url).fetch()
    assert data.version == "0.0.0-fake"
    assert {s.feature for s in data.drift if s.drifted} == {"age", "amount", "country"}
    assert all(SECRET_HEADER not in h for h in fake.headers)  # no secret configured, none sent


async def test_hang_times_out_as_unavailable(fake, backend_for):
    fake.mode = "hang"
    backend = backend_for(fake.url, timeout_seconds=0.3)
    with pytest.raises(BackendUnavailable, match=r"did not answer within 0.3s"):
        await asyncio.wait_for(backend.list_drift(), 5)
    assert fake.hung_answers == 0  # it gave up while the server still held the answer


async def test_a_poll_cut_short_by_the_caller_leaves_the_backend_usable(fake, backend_for):
    fake.mode = "hang"
    backend = backend_for(fake.url, timeout_seconds=30)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(backend.fetch(), 0.3)  # what the hub does with its own timeout
    fake.mode = "ok"
    assert len(await asyncio.wait_for(backend.list_drift(), 5)) == 6


async def test_500_is_a_bad_response_with_the_servers_words(fake, backend_for):
    fake.mode = "error_500"
    with pytest.raises(BadResponse, match=r"HTTP 500 to GET /api/projects: Internal Server Error"):
        await backend_for(fake.url).list_drift()


async def test_malformed_json_is_a_bad_response(fake, backend_for):
    fake.mode = "malformed"
    with pytest.raises(BadResponse, match=r"not JSON for the project list: '\[\{\"id\""):
        await backend_for(fake.url).list_drift()


async def test_a_report_that_is_no_report_names_the_snapshot(fake, backend_for):
    fake.mode = "malformed_report"
    backend = backend_for(fake.url)
    with pytest.raises(BadResponse, match=rf"report of snapshot {SNAPSHOT_ID} .*no metrics list"):
        await backend.list_drift()
    assert backend.cached_reports == 0  # nothing half-read is kept
    fake.mode = "ok"
    assert len(await backend.list_drift()) == 6


async def test_a_project_list_of_the_wrong_shape_is_a_bad_response(fake, backend_for):
    fake.mode = "wrong_shape"
    with pytest.raises(BadResponse, match="project list we cannot read: .*not a JSON list"):
        await backend_for(fake.url).list_drift()


async def test_403_is_unauthorized(fake, backend_for):
    fake.mode = "forbidden"
    with pytest.raises(Unauthorized, match="refused the credentials.*403"):
        await backend_for(fake.url).list_drift()


async def test_server_down_is_unavailable(backend_for):
    backend = backend_for(f"http://127.0.0.1:{free_port()}", timeout_seconds=2)
    with pytest.raises(BackendUnavailable, match="cannot reach Evidently UI at .*: connection refused"):
        await asyncio.wait_for(backend.fetch(), 5)


async def test_no_version_route_means_an_empty_version(fake, backend_for):
    fake.version = None
    data = await backend_for(fake.url).fetch()
    assert data.version == "" and data.drift


async def test_secret_reference_is_sent_as_the_evidently_secret_header(fake, backend_for, monkeypatch):
    monkeypatch.setenv("EV_SECRET", SECRET)
    await backend_for(fake.url, secret="env:EV_SECRET").list_drift()
    assert fake.headers and all(h.get(SECRET_HEADER) == SECRET for h in fake.headers)


async def test_missing_secret_names_the_reference_not_a_value(fake, backend_for, monkeypatch):
    monkeypatch.delenv("EV_SECRET_MISSING", raising=False)
    backend = backend_for(fake.url, secret="env:EV_SECRET_MISSING")
    with pytest.raises(BackendError, match="secret for Evidently UI at .*EV_SECRET_MISSING"):
        await backend.open()
    assert fake.requests == []


def test_options_refuse_a_literal_secret_and_bad_values():
    with pytest.raises(ValueError, match="secret reference") as info:
        EvidentlyBackend.Options(url="http://127.0.0.1:8000", secret=SECRET)
    assert SECRET not in str(info.value)
    for bad in ({"snapshots": 0}, {"model_from": "name"}, {"model_tag": " "}, {"projects": [""]}, {"colour": 1}):
        with pytest.raises(ValueError):
            EvidentlyBackend.Options(url="http://127.0.0.1:8000", **bad)
    options = EvidentlyBackend.Options(url="http://127.0.0.1:8000/", projects=[" fraud ", "fraud"])
    assert options.url == "http://127.0.0.1:8000" and options.projects == ["fraud"]
