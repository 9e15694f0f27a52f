"""JSON over HTTP for the backends that speak it (Alertmanager, Prometheus, Evidently, model servers).

Connection options shared by all of them (url, auth from secret references, TLS), and one
client that turns every transport or HTTP failure into the backend error types, with messages
a person can act on and never a secret in them.
"""

from __future__ import annotations

import json
import re
import ssl
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlops_tui.backends.base import BackendOptions
from mlops_tui.backends.errors import BackendError, BackendUnavailable, BadResponse, Unauthorized
from mlops_tui.config.errors import ConfigError
from mlops_tui.config.secrets import is_secret_ref, resolve_secret

_REF_HINT = 'must be a secret reference such as "keyring:NAME" or "env:VAR", not the secret itself'


def _secret_ref(value: str) -> str:
    if not is_secret_ref(value):
        raise ValueError(_REF_HINT)
    return value


class HttpAuth(BaseModel):
    """How to authenticate: `type = "none" | "bearer" | "basic"`.

    bearer: `token`; basic: `username` and `password`. Secrets are `keyring:NAME` or `env:VAR`
    references, resolved only when the backend connects.
    """

    # hide_input_in_errors: a validation error must never repeat a pasted secret.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    type: Literal["none", "bearer", "basic"] = "none"
    token: str | None = Field(default=None, description="bearer token reference (keyring:NAME or env:VAR)")
    username: str | None = Field(default=None, description="basic auth user name (or a reference)")
    password: str | None = Field(default=None, description="basic auth password reference")

    @field_validator("token", "password")
    @classmethod
    def _check_ref(cls, value: str | None) -> str | None:
        return None if value is None else _secret_ref(value)

    @model_validator(mode="after")
    def _check_combination(self) -> HttpAuth:
        given = {k for k in ("token", "username", "password") if getattr(self, k) is not None}
        needed = {"none": set(), "bearer": {"token"}, "basic": {"username", "password"}}[self.type]
        if needed - given:
            missing = " and ".join(sorted(needed - given))
            raise ValueError(f'auth type "{self.type}" needs {missing}')
        if given - needed:
            extra = " and ".join(sorted(given - needed))
            raise ValueError(f'auth type "{self.type}" takes no {extra}')
        if self.username is not None and not self.username:
            raise ValueError("username must not be empty")
        return self


class HttpBackendOptions(BackendOptions):
    """Where the server is and how to talk to it."""

    model_config = ConfigDict(hide_input_in_errors=True)

    url: str = Field(description="base URL, e.g. http://127.0.0.1:9093 (a path prefix is kept)")
    auth: HttpAuth = Field(default_factory=HttpAuth, description='{type = "none" | "bearer" | "basic", ...}')
    verify: bool = Field(default=True, description="check TLS certificates (false only for test rigs)")
    ca_bundle: str | None = Field(default=None, description="PEM file of extra CAs to trust")

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL, e.g. http://127.0.0.1:9093")
        if parts.username or parts.password:
            raise ValueError("must not hold credentials; put them in `auth` as secret references")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


class HttpStatusFailure(BadResponse):
    """An HTTP error status the caller may want to look at (e.g. to map it to NotFound)."""

    def __init__(self, message: str, status: int, server_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.server_message = server_message


_SPACE = re.compile(r"\s+")


def _clip(text: str, limit: int = 200) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def server_message(response: httpx.Response) -> str:
    """The server's own words about a failure: Alertmanager's JSON string or `{message}`,
    Prometheus's `{errorType, error}`, or the start of the body."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        return _clip(text)
    if isinstance(body, str):
        return _clip(body)
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            if isinstance(body.get(key), str):
                kind = body.get("errorType")
                return _clip(f"{kind}: {body[key]}" if isinstance(kind, str) and kind else body[key])
    return _clip(text)


class JsonHttp:
    """One `httpx.AsyncClient` per backend, built lazily on the loop that uses it."""

    def __init__(self, service: str, options: HttpBackendOptions) -> None:
        self.service = service
        self.options = options
        self.where = f"{service} at {options.url}"
        self._client: httpx.AsyncClient | None = None

    # -- life cycle --------------------------------------------------------------------------
    def _auth(self) -> httpx.Auth | None:
        auth = self.options.auth
        try:
            if auth.type == "bearer" and auth.token:
                return _BearerAuth(resolve_secret(auth.token))
            if auth.type == "basic" and auth.username and auth.password:
                user = resolve_secret(auth.username) if is_secret_ref(auth.username) else auth.username
                return httpx.BasicAuth(user, resolve_secret(auth.password))
        except ConfigError as exc:
            # The reference, not the value, is named: SecretError messages never hold secrets.
            fix = f" ({exc.fix.splitlines()[0]})" if getattr(exc, "fix", None) else ""
            raise BackendError(f"credentials for {self.where}: {exc.problem}{fix}") from None
        return None

    def _verify(self) -> bool | ssl.SSLContext:
        if not self.options.verify:
            return False
        if self.options.ca_bundle:
            try:
                return ssl.create_default_context(cafile=self.options.ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise BackendError(
                    f"cannot read the CA bundle {self.options.ca_bundle!r} for {self.where}: {exc}"
                ) from None
        return True

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.options.url,
                auth=self._auth(),
                verify=self._verify(),
                timeout=httpx.Timeout(self.options.timeout_seconds),
                headers={"Accept": "application/json", "User-Agent": "mlops-tui"},
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # -- requests ----------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
    ) -> httpx.Response:
        """Send one request; any failure comes back as a backend error."""
        try:
            response = await self.client().request(method, path, params=params, json=json_body)
        except httpx.TimeoutException:
            raise BackendUnavailable(f"{self.where} did not answer within {self.options.timeout_seconds:g}s") from None
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"cannot reach {self.where}: {_transport_reason(exc)}") from None
        status = response.status_code
        if status in (401, 403):
            raise Unauthorized(
                f"{self.where} refused the credentials (HTTP {status}"
                f"{' ' + response.reason_phrase if response.reason_phrase else ''})"
            )
        if status >= 400:
            said = server_message(response)
            raise HttpStatusFailure(
                f"{self.where} answered HTTP {status} to {method} {path}" + (f": {said}" if said else ""),
                status,
                said,
            )
        return response

    def decode(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            start = _clip(response.text, 80)
            raise BadResponse(
                f"{self.where} answered something that is not JSON for {what}"
                + (f": {start!r}" if start else " (an empty body)")
            ) from None

    async def get_json(self, path: str, params: Any = None, *, what: str = "") -> Any:
        response = await self.request("GET", path, params=params)
        return self.decode(response, what or path)


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:  # never show the token
        return "<BearerAuth>"


def _causes(exc: BaseException):
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _transport_reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if any(isinstance(c, ConnectionRefusedError) for c in _causes(exc)):
        return "connection refused"
    lowered = " ".join(str(c) for c in _causes(exc)).lower()
    if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        return "its TLS certificate is not trusted (set ca_bundle, or verify = false for a test rig)"
    if "connection refused" in lowered or "connect call failed" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host name"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the connection broke off ({_clip(text, 120)})"
    return _clip(text, 120)
