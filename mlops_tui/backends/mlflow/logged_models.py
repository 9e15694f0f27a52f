"""MLflow 3 logged models: `GET logged-models/{model_id}` to a `LoggedModel`.

A model version of MLflow 3 may point at a logged model (`source: models:/m-…`) that holds
params and metrics of its own. Servers before 3.0 have no such route: a 404 there, like an
unknown id, means "no logged model", never an error shown to the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from mlops_tui.backends.errors import BadResponse, NotFound
from mlops_tui.backends.mlflow.client import ApiError, MlflowHttp
from mlops_tui.backends.mlflow.convert import key_values, model_id_from_source, ms_to_datetime, to_float
from mlops_tui.domain import LoggedModel


def logged_model(wire: Mapping[str, Any], backend: str) -> LoggedModel:
    """`{info, data: {params, metrics}}` as a LoggedModel; a metric logged at several steps
    keeps its last value (by step, then time), as a run's latest metrics do."""
    info = wire.get("info") or {}
    data = wire.get("data") or {}
    latest: dict[str, tuple[int, int, float]] = {}
    for m in data.get("metrics") or ():
        key = str(m.get("key"))
        at = (int(m.get("step") or 0), int(m.get("timestamp") or 0))
        if key not in latest or at >= latest[key][:2]:
            latest[key] = (*at, to_float(m.get("value")))
    return LoggedModel(
        id=str(info.get("model_id") or ""),
        name=str(info.get("name") or ""),
        source_run_id=str(info.get("source_run_id") or ""),
        experiment_id=str(info.get("experiment_id") or ""),
        status=str(info.get("status") or "").removeprefix("LOGGED_MODEL_"),
        params=key_values(data.get("params")),
        metrics={k: v[2] for k, v in latest.items()},
        tags=key_values(info.get("tags")),
        created=ms_to_datetime(info.get("creation_timestamp_ms")),
        backend=backend,
    )


async def get_logged_model(client: MlflowHttp, model_id: str, backend: str) -> LoggedModel | None:
    """The logged model `model_id`; None when the server has none (or no such route)."""
    if not model_id:
        return None
    try:
        answer = await client.get(f"/logged-models/{quote(model_id, safe='')}")
    except NotFound:
        return None
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    except BadResponse as exc:
        # A server before MLflow 3 answers the unknown route with a bare 404 page.
        if "HTTP 404" in str(exc):
            return None
        raise
    model = answer.get("model")
    if not isinstance(model, Mapping):
        return None
    return logged_model(model, backend)


__all__ = ["get_logged_model", "logged_model", "model_id_from_source"]
