"""MLflow's REST API over the shared HTTP layer (`backends/http.py`).

Transport failures, redirects, TLS, auth and secrets are the shared layer's; this module adds
only what is MLflow's own: the `/api/2.0/mlflow` prefix, JSON-object answers, `GET /version`,
and its `{error_code, message}` error body mapped to `NotFound` and `ApiError`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from mlops_tui.backends.errors import BackendError, BadResponse, NotFound, Unauthorized
from mlops_tui.backends.http import HttpBackendOptions, JsonHttp, host_of

API_PREFIX = "/api/2.0/mlflow"
_MAX_MESSAGE = 200


class ApiError(BackendError):
    """MLflow refused the request (a 4xx other than 401/403/404), e.g. INVALID_PARAMETER_VALUE."""

    def __init__(self, message: str, *, status: int, error_code: str, server_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.server_message = server_message


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _error_body(response: httpx.Response) -> tuple[str, str]:
    """MLflow's `{error_code, message}`, or ("", "") when the body is something else."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error_code") or ""), str(body.get("message") or "")


class MlflowHttp(JsonHttp):
    """One MLflow server; `get`/`post`/`delete` return the decoded JSON object."""

    def __init__(self, options: HttpBackendOptions) -> None:
        # Host and port only: MLflow's messages are shown in a narrow status column.
        super().__init__("MLflow", options, where=f"MLflow at {host_of(options.url)}")

    # -- verbs ---------------------------------------------------------------------------
    async def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("POST", path, json_body=body)

    async def delete(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        # MLflow's DELETE endpoints read a JSON body; query parameters give a 400.
        return await self.call("DELETE", path, json_body=body)

    async def call(self, method: str, path: str, *, params: Any = None, json_body: Any = None) -> dict[str, Any]:
        response = await self.request(method, API_PREFIX + path, params=params, json_body=json_body)
        if not response.content:
            return {}
        body = self.decode(response, path)
        if not isinstance(body, dict):
            raise BadResponse(f"{self.where} answered {path} with JSON of an unexpected shape")
        return body

    async def version(self) -> str:
        """The server's version string from `GET /version` (outside the API prefix)."""
        text = (await self.request("GET", "/version")).text.strip()
        if not text or len(text) > 64 or "<" in text:
            raise BadResponse(f"{self.where} answered /version with something unexpected")
        return text

    # -- MLflow's error body -------------------------------------------------------------
    def status_failure(self, response: httpx.Response, method: str, path: str) -> BackendError:
        status = response.status_code
        code, message = _error_body(response)
        detail = _short(f"{code}: {message}" if code and message else (message or code))
        if status in (401, 403):
            text = f"{self.where} refused the credentials (HTTP {status})"
            return Unauthorized(f"{text}: {detail}" if detail else text)
        if status == 404 and code == "RESOURCE_DOES_NOT_EXIST":
            return NotFound(_short(message) or f"{self.where}: not found")
        if status >= 500 or not code:
            reason = detail or response.reason_phrase or "error"
            return BadResponse(f"{self.where} answered HTTP {status}: {reason}")
        return ApiError(
            f"{self.where} refused the request: {detail}",
            status=status,
            error_code=code,
            server_message=_short(message),
        )
