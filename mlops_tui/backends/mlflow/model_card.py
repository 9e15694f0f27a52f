"""A model version's signature and dataset inputs, read as cheaply as MLflow allows.

- The version (`model-versions/get`): its source run and source (`runs:/RUN/PATH` or, on
  MLflow 3, `models:/m-…`).
- The source run (`runs/get`): `inputs.dataset_inputs`, and the `mlflow.log-model.history` tag,
  in which MLflow 2 clients record each logged model's signature.
- Else the `MLmodel` file: `/get-artifact` for a run's artifact path; on MLflow 3 the logged
  model's files route. Its `signature:` block is read without a YAML parser (the values are
  single-quoted JSON, possibly folded over lines).

Nothing found is "unknown", with the reason; never an empty signature.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from mlops_tui.backends.errors import BackendError
from mlops_tui.backends.mlflow.client import MlflowHttp
from mlops_tui.backends.mlflow.convert import key_values, model_id_from_source
from mlops_tui.domain.model_card import DatasetInput, ModelSignature, VersionCard

HISTORY_TAG = "mlflow.log-model.history"


def spec_text(spec: Mapping[str, Any]) -> str:
    """One column or tensor of a signature as `name: type`."""
    name = str(spec.get("name") or "-")
    if spec.get("type") == "tensor":
        tensor = spec.get("tensor-spec") or {}
        shape = ",".join(str(d) for d in tensor.get("shape") or ())
        return f"{name}: tensor {tensor.get('dtype', '?')} [{shape}]"
    return f"{name}: {spec.get('type', '?')}"


def _specs(text: Any) -> tuple[str, ...]:
    if not text:
        return ()
    value = json.loads(text) if isinstance(text, str) else text
    if not isinstance(value, list):
        raise ValueError("not a list of columns")
    return tuple(spec_text(s) for s in value if isinstance(s, Mapping))


def signature_from(block: Mapping[str, Any]) -> ModelSignature | None:
    """`{inputs: JSON, outputs: JSON}` as a signature; None when it holds neither."""
    if not block or (not block.get("inputs") and not block.get("outputs")):
        return None
    return ModelSignature(_specs(block.get("inputs")), _specs(block.get("outputs")))


def signature_from_history(tag: str, artifact_path: str) -> ModelSignature | None:
    """The signature the run's log-model history records for `artifact_path` (else the last one)."""
    entries = json.loads(tag)
    if not isinstance(entries, list):
        return None
    matching = [e for e in entries if isinstance(e, Mapping) and e.get("signature")]
    exact = [e for e in matching if str(e.get("artifact_path") or "") == artifact_path]
    chosen = (exact or matching)[-1:] if matching else []
    return signature_from(chosen[0]["signature"]) if chosen else None


_QUOTED = re.compile(r"^(\s+)(inputs|outputs):\s*(.*)$")


def signature_from_mlmodel(text: str) -> ModelSignature | None:
    """The `signature:` block of an MLmodel file (YAML), read without a YAML parser."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip() == "signature:")
    except StopIteration:
        return None
    found: dict[str, str] = {}
    i = start + 1
    while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
        match = _QUOTED.match(lines[i])
        i += 1
        if not match:
            continue
        key, value = match.group(2), match.group(3).strip()
        if value.startswith("'"):
            # a single-quoted scalar: '' is a quote; a long one is folded over indented lines
            while not _closes(value) and i < len(lines):
                value += " " + lines[i].strip()
                i += 1
            value = value[1:-1].replace("''", "'")
        elif value in ("null", "~", ""):
            value = ""
        found[key] = value
    return signature_from(found)


def _closes(value: str) -> bool:
    body = value[1:]
    return body.endswith("'") and (len(body) - len(body.rstrip("'"))) % 2 == 1


def datasets_from(run: Mapping[str, Any]) -> tuple[DatasetInput, ...]:
    out = []
    for entry in (run.get("inputs") or {}).get("dataset_inputs") or ():
        ds = entry.get("dataset") or {}
        tags = key_values(entry.get("tags"))
        out.append(
            DatasetInput(
                name=str(ds.get("name") or ""),
                digest=str(ds.get("digest") or ""),
                context=tags.get("mlflow.data.context", ""),
                source_type=str(ds.get("source_type") or ""),
            )
        )
    return tuple(out)


async def _mlmodel_text(client: MlflowHttp, run_id: str, source: str, model_id: str) -> str | None:
    if model_id:
        path = f"/ajax-api/2.0/mlflow/logged-models/{quote(model_id, safe='')}/artifacts/files"
        params = {"artifact_file_path": "MLmodel"}
    elif source.startswith("runs:/") and run_id:
        artifact = source.removeprefix("runs:/").partition("/")[2].strip("/")
        path, params = "/get-artifact", {"path": f"{artifact}/MLmodel" if artifact else "MLmodel", "run_uuid": run_id}
    else:
        return None
    try:
        response = await client.request("GET", path, params=params)
    except BackendError:
        return None  # no such file, or no such route on this server: unknown, said by the caller
    return response.text


async def version_card(client: MlflowHttp, model: str, version: str) -> VersionCard:
    answer = await client.get("/model-versions/get", {"name": model, "version": version})
    mv = answer.get("model_version") or {}
    source = str(mv.get("source") or "")
    run_id = str(mv.get("run_id") or "")
    model_id = str(mv.get("model_id") or "") or model_id_from_source(source)
    run: Mapping[str, Any] = {}
    datasets: tuple[DatasetInput, ...] | None = None
    datasets_note = "no source run" if not run_id else ""
    if run_id:
        try:
            run = (await client.get("/runs/get", {"run_id": run_id})).get("run") or {}
            datasets = datasets_from(run)
        except BackendError as exc:
            datasets_note = f"the source run could not be read: {exc}"
    signature, note = await _signature(client, run, run_id, source, model_id)
    return VersionCard(
        model=model,
        version=version,
        run_id=run_id,
        signature=signature,
        signature_note=note,
        datasets=datasets,
        datasets_note=datasets_note,
    )


async def _signature(
    client: MlflowHttp, run: Mapping[str, Any], run_id: str, source: str, model_id: str
) -> tuple[ModelSignature | None, str]:
    tags = key_values(((run.get("data") or {}).get("tags")) if run else None)
    artifact = source.removeprefix("runs:/").partition("/")[2].strip("/") if source.startswith("runs:/") else ""
    if tags.get(HISTORY_TAG):
        try:
            found = signature_from_history(tags[HISTORY_TAG], artifact)
        except (ValueError, KeyError, TypeError):
            found = None
        if found is not None:
            return found, "from the run's log-model history"
    text = await _mlmodel_text(client, run_id, source, model_id)
    if text is None:
        return None, "no signature was found (no log-model history, no readable MLmodel)"
    try:
        found = signature_from_mlmodel(text)
    except (ValueError, TypeError):
        return None, "the MLmodel file's signature could not be read"
    if found is None:
        return None, "the model was logged without a signature"
    return found, "from the MLmodel file"
