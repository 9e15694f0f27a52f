"""What one OIP server said -> one `Deployment` per configured deployment on it, with the
served version and a one-line reason when it is not healthy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mlops_tui.backends.model_servers import ServedDeployment
from mlops_tui.backends.oip.probe import (
    READY_STATES,
    Failure,
    ModelAnswer,
    ServerAnswer,
    model_path,
)
from mlops_tui.domain import Deployment, DeploymentHealth, TensorSpec


def version_key(version: str) -> tuple[int, int, str]:
    """Numbers in numeric order, then anything else in text order."""
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def _highest(versions: list[str]) -> str:
    return max(versions, key=version_key) if versions else ""


def _entries(index: list[dict[str, Any]] | None, model: str) -> list[dict[str, Any]]:
    return [e for e in index or () if str(e.get("name", "")) == model]


def _state(entry: dict[str, Any]) -> str:
    return str(entry.get("state") or "").upper()


def served_version(cfg: ServedDeployment, model: ModelAnswer | None, entries: list[dict[str, Any]]) -> str:
    """The configured `version` (an override), else the metadata's `versions`, else the index."""
    if cfg.version:
        return cfg.version
    ready_in_index = [str(e.get("version")) for e in entries if _state(e) in READY_STATES and e.get("version")]
    meta = model.metadata if model is not None else None
    versions = [str(v) for v in (meta or {}).get("versions") or () if str(v)]
    if len(versions) == 1:
        return versions[0]
    if versions:  # Triton lists every version it has; prefer the ones the index says are loaded
        loaded = [v for v in versions if v in ready_in_index]
        return _highest(loaded or versions)
    if ready_in_index:
        return _highest(ready_in_index)
    return ""


def _tensors(items: Any) -> tuple[TensorSpec, ...]:
    out = []
    for t in items if isinstance(items, list) else ():
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            continue
        shape = tuple(int(d) for d in t.get("shape") or () if isinstance(d, int) and not isinstance(d, bool))
        out.append(TensorSpec(name=t["name"], datatype=str(t.get("datatype") or ""), shape=shape))
    return tuple(out)


def _platform(server: ServerAnswer, model: ModelAnswer | None) -> str:
    info = server.info or {}
    name, version = str(info.get("name") or ""), str(info.get("version") or "")
    if name:
        return f"{name} {version}".strip()
    meta = model.metadata if model is not None else None
    return str((meta or {}).get("platform") or "")


def _server_trouble(server: ServerAnswer) -> tuple[DeploymentHealth, str] | None:
    """Health and reason when the server itself is the problem; None when it answers."""
    f: Failure | None = server.live_failure
    if f is None:
        return None if server.live is not False else (DeploymentHealth.DOWN, "server not live")
    if f.unreachable:
        return DeploymentHealth.DOWN, f"server not answering: {f.words}"
    if f.timed_out:
        return DeploymentHealth.UNKNOWN, f"server not answering: {f.words}"
    if f.unauthorized:
        return DeploymentHealth.UNKNOWN, f"server {f.words}"
    if f.status is not None:
        return DeploymentHealth.DOWN, f"server not live: {f.words}"
    return DeploymentHealth.UNKNOWN, f"server health unknown: {f.words}"


def _not_ready_reason(cfg: ServedDeployment, model: ModelAnswer, entries: list[dict[str, Any]]) -> str:
    name = cfg.model
    loaded = [e for e in entries if _state(e) in READY_STATES]
    said = [e for e in entries if e not in loaded]
    if said:
        entry = said[0]
        why = str(entry.get("reason") or "").strip()
        state = _state(entry) or "unknown state"
        if why:
            return f"server up, model {name} not loaded: {why} (repository index)"
        if state == "LOADING":
            return f"server up, model {name} still loading (repository index)"
        return f"server up, model {name} not loaded: state {state} (repository index)"
    f = model.ready_failure
    if f is not None and f.words == "not in the repository index":
        return f"server up, model {name} not in the repository index"
    if f is not None and f.status == 404:
        return f"server up, model {name} not loaded (HTTP 404 from {model_path(name)}/ready)"
    if f is not None:
        return f"server up, model {name} not ready: {f.words}"
    return f"server up, model {name} not ready"


def deployment(cfg: ServedDeployment, server: ServerAnswer, *, backend: str, at: datetime) -> Deployment:
    model = server.models.get(cfg.model)
    entries = _entries(server.index, cfg.model)
    trouble = _server_trouble(server)
    ready: bool | None = None
    state = _state(entries[0]) if entries else ""
    loaded = [e for e in entries if _state(e) in READY_STATES]
    if loaded:
        state = _state(loaded[0])
    if trouble is not None:
        health, reason = trouble
    elif model is None or model.ready is None:
        health = DeploymentHealth.UNKNOWN
        f = model.ready_failure if model is not None else None
        reason = f"server up, model {cfg.model}: readiness unknown" + (f": {f.words}" if f else "")
    elif model.ready:
        health, reason, ready = DeploymentHealth.HEALTHY, "", True
    else:
        health, reason, ready = DeploymentHealth.DOWN, _not_ready_reason(cfg, model, entries), False
    meta = model.metadata if model is not None and ready else None
    return cfg.deployment(
        backend=backend,
        version=served_version(cfg, model, entries) if trouble is None else cfg.version,
        endpoint=f"{cfg.url}{model_path(cfg.model)}",
        health=health,
        ready=ready,
        live=server.live,
        reason=reason,
        platform=_platform(server, model),
        checked_at=at,
        repository_state=state,
        inputs=_tensors((meta or {}).get("inputs")),
        outputs=_tensors((meta or {}).get("outputs")),
    )
