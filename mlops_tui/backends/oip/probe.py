"""One poll of one Open Inference Protocol v2 server: every request it needs, sent at once.

The server-wide answers (live, ready, `GET /v2`, the repository index) are asked once per
server and shared by all of its deployments; each model adds its readiness and metadata.
Failures are kept as answers, never raised: one server's trouble is its deployments' reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from mlops_tui.backends.errors import BackendError, BackendUnavailable, Unauthorized
from mlops_tui.backends.http import HttpStatusFailure, JsonHttp
from mlops_tui.backends.model_servers import failure_words


@dataclass(frozen=True, slots=True)
class Failure:
    """A request that did not give an answer: why, in a few words."""

    words: str
    status: int | None = None  # the HTTP status, when the server answered one
    unreachable: bool = False  # connection refused, DNS, TLS, ...
    timed_out: bool = False
    unauthorized: bool = False


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    ready: bool | None
    ready_failure: Failure | None = None
    metadata: dict[str, Any] | None = None
    metadata_failure: Failure | None = None


@dataclass(frozen=True, slots=True)
class ServerAnswer:
    live: bool | None
    live_failure: Failure | None = None
    ready: bool | None = None
    info: dict[str, Any] | None = None  # GET /v2: name, version, extensions
    index: list[dict[str, Any]] | None = None  # None: the server has no repository index
    index_failure: Failure | None = None
    models: dict[str, ModelAnswer] = field(default_factory=dict)


def _failure(exc: BaseException, http: JsonHttp) -> Failure:
    words = failure_words(exc, http)
    if isinstance(exc, HttpStatusFailure):
        return Failure(words, status=exc.status)
    if isinstance(exc, Unauthorized):
        return Failure(words, unauthorized=True)
    if isinstance(exc, BackendUnavailable):
        timed_out = words.startswith("did not answer")
        return Failure(words, unreachable=not timed_out, timed_out=timed_out)
    return Failure(words)


async def _get(http: JsonHttp, path: str) -> tuple[int, Any]:
    """(status, JSON body or None); any failure raises a BackendError."""
    response = await http.request("GET", path)
    try:
        body = response.json() if response.content.strip() else None
    except ValueError:
        if "json" in response.headers.get("content-type", ""):
            http.decode(response, path)  # says it is JSON and is not: a broken answer, not a "yes"
        body = None
    return response.status_code, body


async def _ok(http: JsonHttp, path: str) -> bool:
    """A health route: 200 is yes; a JSON `{"ready": false}` or `{"live": false}` is no."""
    status, body = await _get(http, path)
    if isinstance(body, dict):
        for key in ("ready", "live"):
            if body.get(key) is False:
                return False
    return status == 200


def model_path(model: str) -> str:
    return f"/v2/models/{quote(model, safe='')}"


class IndexUnsupported(Exception):
    """The server has no repository index (KServe's runtimes, older servers)."""


async def _index(http: JsonHttp) -> list[dict[str, Any]]:
    try:
        response = await http.request("POST", "/v2/repository/index", json_body={})
    except HttpStatusFailure as exc:
        if exc.status in (404, 405, 501):
            raise IndexUnsupported() from None
        raise
    body = http.decode(response, "the repository index")
    if not isinstance(body, list):
        raise IndexUnsupported()
    return [e for e in body if isinstance(e, dict)]


async def probe_server(
    http: JsonHttp,
    models: list[str],
    *,
    ask_index: bool = True,
    known_metadata: Mapping[str, dict[str, Any]] | None = None,
) -> ServerAnswer:
    """Everything one server says about itself and `models`.

    Round one asks the server-wide routes (live, ready, `GET /v2`, the repository index);
    where the index answers, each model's readiness is its state there, one request shared by
    all the models of the server. Only then, and only for a server that answers, round two asks
    each model what round one did not tell: its readiness (no index) and its metadata (unless
    `known_metadata` has it: metadata only changes when a model is reloaded).
    """
    known = known_metadata or {}
    first = await asyncio.gather(
        _ok(http, "/v2/health/live"),
        _ok(http, "/v2/health/ready"),
        http.get_json("/v2", what="the server metadata"),
        _index(http) if ask_index else _none(),
        return_exceptions=True,
    )
    _reraise_bugs(first)
    live_r, ready_r, info_r, index_r = first

    live, live_failure = _answer(live_r, http)
    if live_failure is not None and (live_failure.status is not None or live_failure.unreachable):
        live = False  # it answered, and not with "live"; or nothing listens there
    ready, _ = _answer(ready_r, http)
    if isinstance(ready_r, HttpStatusFailure):
        ready = False
    info, _ = _answer(info_r, http)
    index: list[dict[str, Any]] | None = None
    index_failure = None
    if isinstance(index_r, IndexUnsupported) or index_r is None:
        index = None
    elif isinstance(index_r, BaseException):
        index_failure = _failure(index_r, http)
    else:
        index = index_r
    server = ServerAnswer(
        live=live,
        live_failure=live_failure,
        ready=ready,
        info=info if isinstance(info, dict) else None,
        index=index,
        index_failure=index_failure,
    )
    if live_failure is not None and (live_failure.unreachable or live_failure.timed_out or live_failure.unauthorized):
        return server  # nothing more to learn from it this time

    ask_ready = index is None
    calls: list[Any] = []
    for model in models:
        calls.append(_ok(http, model_path(model) + "/ready") if ask_ready else _none())
        in_index = index is not None and _ready_in_index(index, None, model)[0]
        if model in known:
            calls.append(_known(known[model]))
        elif ask_ready or in_index:
            calls.append(http.get_json(model_path(model), what=f"the metadata of {model}"))
        else:
            calls.append(_none())  # not loaded: no metadata to ask for
    second = await asyncio.gather(*calls, return_exceptions=True)
    _reraise_bugs(second)
    answers: dict[str, ModelAnswer] = {}
    for i, model in enumerate(models):
        if ask_ready:
            ready_m, ready_f = _answer(second[2 * i], http)
            if ready_f is not None and ready_f.status is not None and ready_f.status < 500:
                ready_m = False  # 404 (unknown or unloaded), 400 (Triton: not ready)
        else:
            ready_m, ready_f = _ready_in_index(index, index_failure, model)
        meta, meta_f = _answer(second[2 * i + 1], http)
        answers[model] = ModelAnswer(
            ready=ready_m,
            ready_failure=ready_f,
            metadata=meta if isinstance(meta, dict) else None,
            metadata_failure=meta_f,
        )
    return ServerAnswer(
        live=live,
        live_failure=live_failure,
        ready=ready,
        info=server.info,
        index=index,
        index_failure=index_failure,
        models=answers,
    )


def _answer(r: Any, http: JsonHttp) -> tuple[Any, Failure | None]:
    return (None, _failure(r, http)) if isinstance(r, BaseException) else (r, None)


def _reraise_bugs(results: list[Any]) -> None:
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, (BackendError, IndexUnsupported)):
            raise r  # a bug or a cancellation, not a server's answer


READY_STATES = {"READY", "AVAILABLE"}


def _ready_in_index(
    index: list[dict[str, Any]] | None, failure: Failure | None, model: str
) -> tuple[bool | None, Failure | None]:
    if index is None:
        return None, failure or Failure("the repository index did not answer")
    states = [str(e.get("state") or "").upper() for e in index if str(e.get("name", "")) == model]
    if not states:
        return False, Failure("not in the repository index", status=404)
    return any(s in READY_STATES for s in states), None


async def _none() -> None:
    return None


async def _known(metadata: dict[str, Any]) -> dict[str, Any]:
    return metadata
