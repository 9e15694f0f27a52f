"""A thin async wrapper around MLflow's REST API that turns every failure into our error types.

Nothing raw escapes: httpx transport errors, HTTP error statuses and undecodable bodies all
become `BackendUnavailable`, `Unauthorized`, `NotFound`, `ApiError` or `BadResponse`, with a
short message naming the server by host only (a URL may carry credentials) and never a header.
"""

from __future__ import annotations

import json
import logging
import ssl
from typing import Any

import httpx

from mlops_tui.backends.errors import (
    BackendError,
    BackendUnavailable,
    BadResponse,
    NotFound,
    Unauthorized,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/2.0/mlflow"
_MAX_MESSAGE = 200


class ApiError(BackendError):
    """MLflow refused the request (a 4xx other than 401/403/404), e.g. INVALID_PARAMETER_VALUE."""

    def __init__(self, message: str, *, status: int, error_code: str, server_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.server_message = server_message


def display_host(url: str) -> str:
    """`host:port` of a URL, without any user:password@ part."""
    try:
        parsed = httpx.URL(url)
    except Exception:
        return "the MLflow server"
    host = parsed.host or "the MLflow server"
    return f"{host}:{parsed.port}" if parsed.port else host


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


class RestClient:
    """One httpx client for one MLflow server; `get`/`post`/`delete` return the decoded JSON object."""

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        verify: bool = True,
        ca_bundle: str | None = None,
        timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.host = display_host(self.url)
        self.timeout_seconds = timeout_seconds
        tls: bool | ssl.SSLContext
        if not self.url.lower().startswith("https://"):
            tls = False  # plain http: skip building an SSL context (~20 ms) that is never used
        elif ca_bundle:
            try:
                tls = ssl.create_default_context(cafile=ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise BackendError(f"cannot use ca_bundle {ca_bundle}: {exc.strerror or exc}") from None
        else:
            tls = verify
        try:
            self._http = httpx.AsyncClient(
                base_url=self.url,
                headers=headers or {},
                verify=tls,
                timeout=httpx.Timeout(timeout_seconds),
                limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
                transport=transport,
                follow_redirects=False,
            )
        except (httpx.InvalidURL, ValueError) as exc:
            raise BackendError(f"not a usable MLflow URL ({self.host}): {exc}") from None

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- verbs ---------------------------------------------------------------------------
    async def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("GET", API_PREFIX + path, params=params)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request("POST", API_PREFIX + path, json=body)

    async def delete(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        # MLflow's DELETE endpoints read a JSON body; query parameters give a 400.
        return await self.request("DELETE", API_PREFIX + path, json=body)

    async def version(self) -> str:
        """The server's version string from `GET /version` (outside the API prefix)."""
        response = await self._send("GET", "/version")
        self._raise_for_status(response)
        text = response.text.strip()
        if not text or len(text) > 64 or "<" in text:
            raise BadResponse(f"MLflow at {self.host} answered /version with something unexpected")
        return text

    # -- the one place errors are translated ---------------------------------------------
    async def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self._send(method, path, **kwargs)
        self._raise_for_status(response)
        try:
            body = json.loads(response.content) if response.content else {}
        except ValueError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise BadResponse(
                f"MLflow at {self.host} answered {path.removeprefix(API_PREFIX)} with something "
                f"that is not JSON (HTTP {response.status_code}, {kind})"
            ) from None
        if not isinstance(body, dict):
            raise BadResponse(
                f"MLflow at {self.host} answered {path.removeprefix(API_PREFIX)} with JSON of an unexpected shape"
            )
        return body

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise BackendUnavailable(f"MLflow at {self.host} did not answer within {self.timeout_seconds:g}s") from None
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"cannot reach MLflow at {self.host}: {_transport_reason(exc)}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # anything else httpx raises
            raise BackendUnavailable(f"cannot talk to MLflow at {self.host}: {type(exc).__name__}") from None

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 300 <= status < 400:  # e.g. http -> https, or a login page in front of the server
            location = response.headers.get("location", "")
            target = display_host(location) if "://" in location else "another path"
            raise BadResponse(
                f"MLflow at {self.host} redirects (HTTP {status}) to {target}; "
                "set url to the address the server answers on"
            )
        if status < 400:
            return
        code, message = _error_body(response)
        detail = _short(f"{code}: {message}" if code and message else (message or code))
        where = f"MLflow at {self.host}"
        if status in (401, 403):
            text = f"{where} refused the credentials (HTTP {status})"
            raise Unauthorized(f"{text}: {detail}" if detail else text)
        if status == 404 and code == "RESOURCE_DOES_NOT_EXIST":
            raise NotFound(_short(message) or f"{where}: not found")
        if status >= 500 or not code:
            reason = detail or response.reason_phrase or "error"
            raise BadResponse(f"{where} answered HTTP {status}: {reason}")
        raise ApiError(
            f"{where} refused the request: {detail}",
            status=status,
            error_code=code,
            server_message=_short(message),
        )


def _causes(exc: BaseException):
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        exc = exc.__cause__ or exc.__context__
        seen += 1


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        chain = list(_causes(exc))
        if any(isinstance(c, ConnectionRefusedError) for c in chain):
            return "connection refused"
        text = " ".join(str(c) for c in chain).lower()
        if "name or service not known" in text or "name resolution" in text or "nodename" in text:
            return "unknown host"
        if any(isinstance(c, ssl.SSLError) for c in chain) or "certificate" in text:
            return "TLS handshake failed (check verify / ca_bundle)"
        return "cannot connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed mid-answer"
    return type(exc).__name__
