"""The `alertmanager` backend: alerts and silences from one Prometheus Alertmanager (API v2).

Each configured Alertmanager is its own backend; the hub's snapshot merge de-duplicates the
alerts of an HA pair by fingerprint. An ack is a short silence whose comment starts `ACK!`
(the services layer builds it); this class only creates and expires silences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field, field_validator

from mlops_tui.backends.alertmanager.convert import (
    AlertReuse,
    WireError,
    silence_to_wire,
    silences_from_wire,
)
from mlops_tui.backends.alertmanager.drift_rules import DriftRules, is_drift_alert, parse_matcher
from mlops_tui.backends.base import Backend, BackendData, Capability, RunQuery
from mlops_tui.backends.errors import BadResponse, NotFound
from mlops_tui.backends.http import HttpBackendOptions, HttpStatusFailure, JsonHttp
from mlops_tui.backends.json_stream import NotJson, iter_json_array
from mlops_tui.core.heap import TRIM_AFTER_CHARS, give_back_free_memory
from mlops_tui.domain import Alert, Silence, SilenceState
from mlops_tui.domain.alerts import AlertmanagerStatus

API = "/api/v2"
MAX_ALERTS = 10_000


class AlertmanagerOptions(HttpBackendOptions):
    filters: list[str] = Field(
        default=[], description='label matchers sent as filter=, e.g. team="ml": only matching alerts'
    )
    # What makes an alert a drift alert (drift_rules.is_drift_alert); "" switches a rule off.
    drift_label: str = Field(default='kind="drift"', description="alerts matching this label matcher are drift alerts")
    drift_alertname_contains: str = Field(
        default="Drift", description="so are alerts whose name contains this (any case)"
    )
    # Measured (bench/bench_big_answers.py, 200k alerts): uncapped the RSS grew past 1 GB and
    # every poll rebuilt every row; at 10,000 it stays flat near 300 MB. Nobody reads further.
    max_alerts: int = Field(
        default=MAX_ALERTS,
        ge=0,
        description="keep at most this many alerts (firing, then acked; by severity, newest); 0 keeps all",
    )
    # An alert storm (200,000 alerts, ~100 MB) is read item by item and capped above: refusing
    # it would show no alert at all just when they matter; 256 MB still stops a runaway answer.
    max_response_mb: float = Field(
        default=256.0,
        gt=0,
        le=4096,
        description="the largest answer read, in MB (larger here: alerts are read one by one)",
    )

    @field_validator("filters")
    @classmethod
    def _check_filters(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_matcher(item)
        return [item.strip() for item in value]

    @field_validator("drift_label")
    @classmethod
    def _check_drift_label(cls, value: str) -> str:
        if value.strip():
            parse_matcher(value)
        return value.strip()


class AlertmanagerBackend(Backend[AlertmanagerOptions]):
    kind = "alertmanager"
    description = "Prometheus Alertmanager (API v2): alerts, silences, acks."
    capabilities = frozenset({Capability.ALERTS, Capability.SILENCES})

    def __init__(
        self, name: str = "alertmanager", options: AlertmanagerOptions | Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(name, options)
        self.http = JsonHttp("Alertmanager", self.options)
        self.drift_rules = DriftRules.parse(self.options.drift_label, self.options.drift_alertname_contains)
        # this Alertmanager's own drift rules decide which alerts the Drift view shows
        self._silences: tuple[Any, tuple[Silence, ...]] = (None, ())
        self._ack_ids: frozenset[str] = frozenset()  # a cap keeps their alerts (the ack keeper's)
        self._alerts = AlertReuse(self.name, lambda a: a.model_copy(update={"drift": self.is_drift_alert(a)}))

    # -- life cycle ----------------------------------------------------------------------
    async def open(self) -> None:
        self.http.client()  # resolves secrets now, so a missing one shows at once

    async def close(self) -> None:
        await self.http.aclose()

    async def server_version(self) -> str:
        body = await self.http.get_json(f"{API}/status", what="the status")
        info = body.get("versionInfo") if isinstance(body, dict) else None
        version = info.get("version") if isinstance(info, dict) else None
        if not isinstance(version, str):
            raise BadResponse(f"{self.http.where}: /api/v2/status has no versionInfo.version")
        return version

    def is_drift_alert(self, alert: Alert) -> bool:
        """This backend's drift rules applied to `alert`."""
        return is_drift_alert(alert, self.drift_rules)

    # -- alerts and silences -------------------------------------------------------------
    async def list_alerts(self) -> Sequence[Alert]:
        params: list[tuple[str, str]] = [
            ("active", "true"),
            ("silenced", "true"),
            ("inhibited", "true"),
        ]
        params += [("filter", f) for f in self.options.filters]
        texts = await self.http.get_text_pieces(f"{API}/alerts", params=params)
        size = sum(map(len, texts))
        try:
            # decoded and converted item by item: keys are answered meanwhile (see json_stream)
            alerts = self._alerts.convert(
                iter_json_array(texts, with_text=True), self.options.max_alerts, self._ack_ids
            )
        except NotJson:
            alerts = self._alerts.convert(self.http.decode(httpx.Response(200, text="".join(texts)), "the alerts"))
        except WireError as exc:
            raise BadResponse(f"{self.http.where} sent an alert we cannot read: {exc}") from None
        del texts
        if size >= TRIM_AFTER_CHARS:
            give_back_free_memory()  # the text's pages, kept by the allocator otherwise (core/heap.py)
        return alerts

    async def collect(self, query: RunQuery) -> BackendData:
        data = await super().collect(query)
        total, kept = self._alerts.total, len(data.alerts or ())
        if total > kept:  # said on screen: a cut-down set is not the whole answer
            data = replace(
                data, cut=f"showing {kept:,} of {total:,} alerts (cap: max_alerts = {self.options.max_alerts:,})"
            )
        return data

    async def list_silences(self) -> Sequence[Silence]:
        body = await self.http.get_json(f"{API}/silences", what="the silences")
        if body == self._silences[0]:
            return self._silences[1]  # unchanged: the same tuple, so nothing downstream redoes work
        try:
            silences = tuple(silences_from_wire(body, self.name))
        except WireError as exc:
            raise BadResponse(f"{self.http.where} sent a silence we cannot read: {exc}") from None
        self._silences = (body, silences)
        self._ack_ids = frozenset(s.id for s in silences if s.is_ack and s.state != SilenceState.EXPIRED)
        return silences

    async def create_silence(self, silence: Silence) -> str:
        if not silence.matchers:
            raise BadResponse("a silence needs at least one matcher")
        response = await self.http.request("POST", f"{API}/silences", json_body=silence_to_wire(silence))
        body = self.http.decode(response, "the new silence")
        sid = body.get("silenceID") if isinstance(body, dict) else None
        if not isinstance(sid, str) or not sid:
            raise BadResponse(f"{self.http.where} created a silence but sent back no silenceID")
        return sid

    async def expire_silence(self, silence_id: str) -> None:
        try:
            await self.http.request("DELETE", f"{API}/silence/{quote(silence_id, safe='')}")
        except HttpStatusFailure as exc:
            said = exc.server_message.lower()
            # 0.25 answers 500 "silence not found" for an unknown id (newer ones 404), and 422
            # for an id that is not a UUID, which cannot name a silence either.
            if exc.status == 404 or "not found" in said or (exc.status == 422 and "silenceid" in said):
                raise NotFound(f"{self.http.where} has no silence {silence_id}") from None
            raise

    # -- on-call additions: ack extension ------------------------------------------------
    async def update_silence(self, silence: Silence) -> str:
        """POST the silence with its id: Alertmanager updates it, or expires it and answers
        with a new silenceID (it does so when startsAt differs); the caller follows that id."""
        body_out = {**silence_to_wire(silence), "id": silence.id}
        response = await self.http.request("POST", f"{API}/silences", json_body=body_out)
        body = self.http.decode(response, "the updated silence")
        sid = body.get("silenceID") if isinstance(body, dict) else None
        if not isinstance(sid, str) or not sid:
            raise BadResponse(f"{self.http.where} updated a silence but sent back no silenceID")
        return sid

    # -- on-call addition: the status panel ---------------------------------------------------
    async def status(self) -> AlertmanagerStatus:
        """Version, uptime, cluster and peers, and the receivers of the loaded config."""
        from mlops_tui.backends.alertmanager.convert import status_from_wire

        body = await self.http.get_json(f"{API}/status", what="the status")
        try:
            return status_from_wire(body, self.name)
        except WireError as exc:
            raise BadResponse(f"{self.http.where} sent a status we cannot read: {exc}") from None
