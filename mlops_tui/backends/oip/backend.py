"""The `oip` backend: many deployments on Open Inference Protocol v2 servers (MLServer,
Triton, KServe's runtimes), read concurrently, one round of requests per server and poll.

    [[backends]]
    name = "serving"
    kind = "oip"
    [[backends.deployments]]
    name = "fraud-prod"
    url = "http://127.0.0.1:8085"
    model = "fraud-detector"
    registered_model = "fraud-detector"
    alias = "champion"
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pydantic import model_validator

from mlops_tui.backends.base import Backend, Capability
from mlops_tui.backends.model_servers import ModelServerOptions, ServerPool
from mlops_tui.backends.oip.convert import deployment
from mlops_tui.backends.oip.probe import Failure, ServerAnswer, probe_server
from mlops_tui.domain import Deployment
from mlops_tui.domain.base import utcnow


class OipOptions(ModelServerOptions):
    @model_validator(mode="after")
    def _models_named(self) -> OipOptions:
        unnamed = [d.name for d in self.deployments if not d.model]
        if unnamed:
            raise ValueError(f'deployment {unnamed[0]!r} needs model = "...": the model\'s name on the server')
        return self


class OipBackend(Backend[OipOptions]):
    kind = "oip"
    description = (
        "Open Inference Protocol v2 servers (MLServer, Triton, KServe): readiness, served version, load failures."
    )
    capabilities = frozenset({Capability.DEPLOYMENTS})

    def __init__(self, name: str = "oip", options: OipOptions | None = None) -> None:
        super().__init__(name, options)
        self.servers = ServerPool("model server", self.options)
        self._no_index: set[str] = set()  # servers that answered "no such route" to the index
        # (url, model) -> (the version the index named when it was read, the metadata)
        self._metadata: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    async def close(self) -> None:
        await self.servers.aclose()

    async def list_deployments(self) -> Sequence[Deployment]:
        by_server: dict[str, list[str]] = {}
        for d in self.options.deployments:
            models = by_server.setdefault(d.url, [])
            if d.model not in models:
                models.append(d.model)
        urls = list(by_server)
        # leave the hub's poll timeout a margin: a server slower than this is its own reason
        budget = max(self.options.timeout_seconds - 1.0, self.options.server_timeout_seconds)
        answers = await asyncio.gather(*(self._probe(u, by_server[u], budget) for u in urls))
        by_url = dict(zip(urls, answers))
        at = utcnow()
        return [deployment(d, by_url[d.url], backend=self.name, at=at) for d in self.options.deployments]

    async def _probe(self, url: str, models: list[str], budget: float) -> ServerAnswer:
        http = self.servers.client(url)
        known = {m: self._metadata[(url, m)][1] for m in models if (url, m) in self._metadata}
        try:
            answer = await asyncio.wait_for(
                probe_server(http, models, ask_index=url not in self._no_index, known_metadata=known),
                budget,
            )  # fmt: skip
        except TimeoutError:
            return ServerAnswer(live=None, live_failure=Failure(f"no answer within {budget:g}s", timed_out=True))
        if answer.index is None and answer.index_failure is None:
            self._no_index.add(url)
        self._remember_metadata(url, answer)
        return answer

    def _remember_metadata(self, url: str, answer: ServerAnswer) -> None:
        """Keep a loaded model's metadata until it is reloaded (not ready, or a new version)."""
        for model, got in answer.models.items():
            key = (url, model)
            indexed = next((str(e.get("version") or "") for e in answer.index or () if e.get("name") == model), "")
            before = self._metadata.get(key)
            if got.ready is not True or got.metadata is None or (before is not None and before[0] != indexed):
                self._metadata.pop(key, None)
            elif before is None:
                self._metadata[key] = (indexed, got.metadata)
