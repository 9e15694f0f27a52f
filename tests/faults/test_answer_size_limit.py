"""An answer over a backend's `max_response_mb` (the fault proxy's 20 MB "huge" body, in front
of a real Alertmanager) is refused in words that name the option and the backend, the alerts
read as unknown, and the backend answers again once the fault clears."""

from __future__ import annotations

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.domain import BackendState
from mlops_tui.services.hub import Hub
from tests.faults.proxy import FaultProxy
from tests.faults.test_fault_matrix import REFRESH, TIMEOUT, WITHIN, wait_for


def test_an_answer_over_the_limit_is_refused_in_words_and_the_backend_recovers(alertmanager_server):
    proxy = FaultProxy(alertmanager_server.port).start()
    options = AlertmanagerBackend.Options(url=proxy.url, timeout_seconds=TIMEOUT, max_response_mb=4)
    hub = Hub([AlertmanagerBackend("am-small", options)], refresh_seconds=REFRESH, max_backoff_seconds=REFRESH)

    def status():
        return hub.snapshot.status_of("am-small")

    hub.start()
    try:
        wait_for(lambda: hub.snapshot.coverage("alerts").complete, 60, "the first answer through the proxy")
        proxy.set_fault("huge")
        wait_for(lambda: status().state == BackendState.ERROR, WITHIN, "the state shows the refusal")
        message = status().message
        assert f"Alertmanager at {proxy.url} sent an answer larger than 4 MB to GET /api/v2/" in message
        assert message.endswith("; raise max_response_mb for am-small")
        assert "not JSON" not in message  # refused before any parse
        assert not hub.snapshot.coverage("alerts").complete  # the Alerts view says unknown
        proxy.set_fault(None)
        wait_for(lambda: hub.snapshot.coverage("alerts").complete, WITHIN, "recovery after the fault clears")
        assert status().state in (BackendState.OK, BackendState.SLOW) and status().message == ""
    finally:
        hub.stop()
        proxy.stop()
