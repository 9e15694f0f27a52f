"""Faults the real server will not produce on demand, through a tiny fake on 127.0.0.1."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.backends.errors import BackendError, BackendUnavailable, BadResponse, NotFound, Unauthorized
from mlops_tui.domain import BackendState, Matcher, Silence
from mlops_tui.services.actions import ActionRefused, Actions
from mlops_tui.services.audit import AuditLog
from mlops_tui.services.hub import Hub
from tests.conftest import wait_until
from tests.fakes.alertmanager_faults import FaultyAlertmanager

SECRET = "s3cr3t-token-do-not-show"


@pytest.fixture
def fake():
    with FaultyAlertmanager("ok") as server:
        yield server


def backend_for(fake: FaultyAlertmanager, **options) -> AlertmanagerBackend:
    return AlertmanagerBackend("am", AlertmanagerBackend.Options(url=fake.url, **options))


def a_silence() -> Silence:
    now = datetime.now(timezone.utc)
    return Silence(
        id="local-1",
        matchers=(Matcher(name="model", value="fraud"),),
        starts_at=now,
        ends_at=now + timedelta(minutes=15),
        created_by="alice",
        comment="ACK! x",
    )


async def test_fake_in_ok_mode_round_trips(fake):
    backend = backend_for(fake)
    data = await backend.fetch()
    assert [a.name for a in data.alerts] == ["ModelDown"] and data.version == "0.0.0-fake"
    sid = await backend.create_silence(a_silence())
    await backend.expire_silence(sid)
    with pytest.raises(NotFound):
        await backend.expire_silence("11111111-1111-4111-8111-111111111111")
    await backend.close()


async def test_500_on_post_silences_is_bad_response_and_writes_nothing(fake):
    fake.mode = "post_silences_500"
    backend = backend_for(fake)
    with pytest.raises(BadResponse, match="HTTP 500.*storage is full"):
        await backend.create_silence(a_silence())
    await backend.close()
    assert [(m, p.split("?")[0]) for m, p, _ in fake.requests] == [("POST", "/api/v2/silences")]
    assert fake.silences == {}


async def test_500_on_post_through_actions_is_refused_and_audited(fake, tmp_path):
    fake.mode = "post_silences_500"
    hub = Hub([backend_for(fake)], refresh_seconds=60)
    hub.start()
    try:
        snapshot = hub.wait_for_first_poll(10)
        alert = snapshot.alerts[0]
        audit = AuditLog(tmp_path / "audit.jsonl")
        actions = Actions(hub, audit, user="alice")
        with pytest.raises(ActionRefused, match="ack failed: .*HTTP 500"):
            await actions.ack([alert])
    finally:
        hub.stop()
    posts = [r for r in fake.requests if r[0] != "GET"]
    assert len(posts) == 1 and fake.silences == {}
    [entry] = audit.entries()
    assert entry["action"] == "ack" and entry["outcome"] == "failed" and "500" in entry["detail"]["error"]


async def test_malformed_json_is_bad_response(fake):
    fake.mode = "malformed"
    backend = backend_for(fake)
    with pytest.raises(BadResponse, match="not JSON"):
        await backend.fetch()
    with pytest.raises(BadResponse, match="not JSON"):
        await backend.create_silence(a_silence())
    await backend.close()


async def test_wrong_shape_is_bad_response(fake, monkeypatch):
    from tests.fakes import alertmanager_faults

    monkeypatch.setitem(alertmanager_faults._ALERT, "startsAt", "not a time")
    backend = backend_for(fake)
    with pytest.raises(BadResponse, match="cannot read: startsAt"):
        await backend.list_alerts()
    await backend.close()


async def test_401_is_unauthorized_and_never_shows_the_token(fake, monkeypatch):
    fake.mode = "unauthorized"
    monkeypatch.setenv("AM_TOKEN", SECRET)
    backend = backend_for(fake, auth={"type": "bearer", "token": "env:AM_TOKEN"})
    with pytest.raises(Unauthorized, match="refused the credentials .*401") as info:
        await backend.fetch()
    await backend.close()
    assert SECRET not in str(info.value) and SECRET not in repr(backend.options)
    assert fake.headers[0]["authorization"] == f"Bearer {SECRET}"


async def test_basic_auth_from_keyring(fake, memory_keyring):
    memory_keyring.set_password("mlops-tui", "prod-am", SECRET)
    backend = backend_for(fake, auth={"type": "basic", "username": "bot", "password": "keyring:prod-am"})
    await backend.list_alerts()
    await backend.close()
    expected = base64.b64encode(f"bot:{SECRET}".encode()).decode()
    assert fake.headers[0]["authorization"] == f"Basic {expected}"


async def test_missing_secret_is_a_readable_error(fake, monkeypatch):
    monkeypatch.delenv("AM_TOKEN_MISSING", raising=False)
    backend = backend_for(fake, auth={"type": "bearer", "token": "env:AM_TOKEN_MISSING"})
    with pytest.raises(BackendError, match="AM_TOKEN_MISSING is not set"):
        await backend.open()
    assert fake.requests == []


async def test_hang_times_out(fake):
    fake.mode = "hang"
    backend = backend_for(fake, timeout_seconds=0.5)
    with pytest.raises(BackendUnavailable, match="did not answer within 0.5s"):
        await backend.fetch()
    assert fake.hung_answers == 0  # it gave up while the server still held the answer
    await backend.close()


async def test_hub_reports_each_fault_as_state(tmp_path):
    with (
        FaultyAlertmanager("hang") as hang,
        FaultyAlertmanager("unauthorized") as denied,
        FaultyAlertmanager("malformed") as garbage,
    ):
        hub = Hub(
            [
                AlertmanagerBackend("hang", AlertmanagerBackend.Options(url=hang.url, timeout_seconds=0.5)),
                AlertmanagerBackend("denied", AlertmanagerBackend.Options(url=denied.url)),
                AlertmanagerBackend("garbage", AlertmanagerBackend.Options(url=garbage.url)),
            ],
            refresh_seconds=60,
        )
        hub.start()
        try:
            await wait_until(lambda: all(s.state != BackendState.PENDING for s in hub.snapshot.statuses), timeout=10)
            states = {s.name: s for s in hub.snapshot.statuses}
        finally:
            hub.stop()
    assert states["hang"].state == BackendState.UNREACHABLE
    assert states["denied"].state == BackendState.UNAUTHORISED
    assert states["garbage"].state == BackendState.ERROR and "not JSON" in states["garbage"].message
