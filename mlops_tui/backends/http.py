"""JSON over HTTP for every backend that speaks it (MLflow, Alertmanager, Prometheus, Evidently,
model servers): written once.

- `SecretRef`: the one secret-reference type (`keyring:NAME` / `env:VAR`) of any option;
  `resolve_secret_ref()` reads one, `resolve_auth()` turns an `HttpAuth` into request auth;
- TLS from `verify` / `ca_bundle`;
- `JsonHttp`: one client that turns every transport failure, redirect and HTTP error status
  into the backend error types, with messages a person can act on and never a secret in them.
  A backend with its own error body (MLflow's `{error_code, message}`) overrides
  `status_failure` only. Every answer is read in chunks and refused (`AnswerTooLarge`) as soon
  as it passes the backend's `max_response_mb`, before anything parses it.

Each backend polls on a thread of its own, but one interpreter lock is shared with the UI's
thread: a single C call over a 20 MB body (a regex pass, `json.loads`) holds it for its whole
length and every keystroke waits. So nothing here runs over a whole body that could be large:
the size limit comes first, and the words quoted from a body are taken from its start only.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Generator, Iterator
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from mlops_tui.backends.base import BackendOptions
from mlops_tui.backends.errors import BackendError, BackendUnavailable, BadResponse, Unauthorized
from mlops_tui.backends.json_stream import TextPieces
from mlops_tui.core.errors import ConfigError
from mlops_tui.core.secrets import is_secret_ref, redact, resolve_reference, resolve_secret

_REF_HINT = 'must be a secret reference such as "keyring:NAME" or "env:VAR", not the secret itself'


def _secret_ref(value: str) -> str:
    if not is_secret_ref(value):
        raise ValueError(_REF_HINT)  # never repeat the value: it is probably the secret
    return value


SecretRef = Annotated[str, AfterValidator(_secret_ref)]
"""An option holding a `keyring:NAME` or `env:VAR` reference, never the secret itself.

Models with such a field set `hide_input_in_errors=True`, so a refused value is not echoed."""


def resolve_secret_ref(ref: str, where: str, what: str = "credentials", *, secret: bool = True) -> str:
    """The secret `ref` points at; a missing one is `Unauthorized`, naming the reference only.

    `secret=False` for a value kept in a reference that is no secret (a basic-auth user name):
    it is not masked in output, where the same word is also a person's name in the audit log.
    """
    try:
        return resolve_secret(ref) if secret else resolve_reference(ref)
    except ConfigError as exc:
        # The reference, not the value, is named: SecretError messages never hold secrets.
        fix = f" ({exc.fix.splitlines()[0]})" if exc.fix else ""
        raise Unauthorized(f"{what} for {where}: {exc.problem}{fix}") from None


STALE_RETRIES = 3  # see JsonHttp.request


class HttpAuth(BaseModel):
    """How to authenticate: `type = "none" | "bearer" | "basic"`.

    bearer: `token`; basic: `username` and `password`. Secrets are `keyring:NAME` or `env:VAR`
    references, resolved only when the backend connects.
    """

    # hide_input_in_errors: a validation error must never repeat a pasted secret.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    type: Literal["none", "bearer", "basic"] = "none"
    token: SecretRef | None = Field(default=None, description="bearer token reference (keyring:NAME or env:VAR)")
    username: str | None = Field(default=None, description="basic auth user name (or a reference)")
    password: SecretRef | None = Field(default=None, description="basic auth password reference")

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


def check_http_url(value: str) -> str:
    """`value` as a server's base URL (no trailing slash); ValueError says what is wrong."""
    value = value.strip()
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. a port that is not a number
        host = None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("must be an http:// or https:// URL, e.g. http://127.0.0.1:9093")
    if parts.username or parts.password:
        raise ValueError("must not hold credentials; put them in `auth` as secret references")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


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
        return check_http_url(value)


class HttpStatusFailure(BadResponse):
    """An HTTP error status the caller may want to look at (e.g. to map it to NotFound)."""

    def __init__(self, message: str, status: int, server_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.server_message = server_message


class AnswerTooLarge(BadResponse):
    """An answer bigger than the backend's `max_response_mb`, refused before it was parsed."""

    def __init__(self, where: str, limit_mb: float, method: str, path: str) -> None:
        super().__init__(
            f"{where} sent an answer larger than {limit_mb:g} MB to {method} {path}; raise max_response_mb"
        )
        self.limit_mb = limit_mb

    def for_backend(self, name: str) -> str:
        """The message naming the backend whose option to raise (the hub knows the name)."""
        return f"{self} for {name}"


_SPACE = re.compile(r"\s+")
# How much of a body `_clip` reads: a regex pass over 20 MB holds the interpreter lock ~0.7 s.
_CLIP_READ = 16_384


def _clip(text: str, limit: int = 200) -> str:
    """The start of `text` on one line, at most `limit` characters, secrets masked."""
    if len(text) > _CLIP_READ:
        # Only the start is read: cut, marked as cut so a secret split by the cut is masked too.
        text = redact(text[:_CLIP_READ] + "…")
    return redact(_SPACE.sub(" ", redact(text)).strip(), limit)  # mask before any cut


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


def resolve_auth(auth: HttpAuth | None, where: str) -> httpx.Auth | None:
    """The request auth `auth` describes, its secrets read now (None: no auth)."""
    if auth is None:
        return None
    if auth.type == "bearer" and auth.token:
        return _BearerAuth(resolve_secret_ref(auth.token, where))
    if auth.type == "basic" and auth.username and auth.password:
        user = auth.username
        if is_secret_ref(user):
            user = resolve_secret_ref(user, where, secret=False)
        return httpx.BasicAuth(user, resolve_secret_ref(auth.password, where))
    return None


def tls_verify(url: str, verify: bool, ca_bundle: str | None, where: str) -> bool | ssl.SSLContext:
    """What httpx should verify TLS with; plain http skips building an SSL context (~20 ms)."""
    if not url.lower().startswith("https://") or not verify:
        return False
    if ca_bundle:
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise BackendError(f"cannot read the CA bundle {ca_bundle!r} for {where}: {reason}") from None
    return True


def transport_failure(exc: Exception, where: str, timeout_seconds: float) -> BackendUnavailable:
    """Any exception httpx raised while sending, as the error a user reads."""
    if isinstance(exc, httpx.TimeoutException):
        return BackendUnavailable(f"{where} did not answer within {timeout_seconds:g}s")
    if isinstance(exc, httpx.TransportError):
        return BackendUnavailable(f"cannot reach {where}: {_transport_reason(exc)}")
    return BackendUnavailable(f"cannot talk to {where}: {type(exc).__name__}")


class JsonHttp:
    """One `httpx.AsyncClient` per backend, built lazily on the loop that uses it."""

    def __init__(self, service: str, options: HttpBackendOptions, *, where: str | None = None) -> None:
        self.service = service
        self.options = options
        # How messages name the server; the URL by default (it never holds credentials).
        self.where = where or f"{service} at {options.url}"
        self._client: httpx.AsyncClient | None = None

    # -- life cycle --------------------------------------------------------------------------
    def extra_headers(self) -> dict[str, str]:
        """Headers every request carries besides auth (resolved when the client is built)."""
        return {}

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            headers = {"Accept": "application/json", "User-Agent": "mlops-tui"}
            headers.update(self.extra_headers())  # before building: a missing secret leaves no client
            o = self.options
            self._client = httpx.AsyncClient(
                base_url=o.url,
                auth=resolve_auth(o.auth, self.where),
                verify=tls_verify(o.url, o.verify, o.ca_bundle, self.where),
                timeout=httpx.Timeout(o.timeout_seconds),
                headers=headers,
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
        """Send one request; any failure comes back as a backend error.

        A GET that finds its kept-alive connection reset (the server restarted or stopped since
        the last poll) is sent again, as browsers do, so the answer says what the server is now
        ("connection refused"), not what the stale socket said. Up to STALE_RETRIES times: the
        pool may hold one stale connection per request that ran at once (a health probe sends
        two), and each retry takes the next of them before a new connection is made.
        """
        response, _ = await self._answer(method, path, params, json_body)
        return response

    async def get_text_pieces(self, path: str, params: Any = None) -> list[str]:
        """A GET's body as text, decoded as it is read, in pieces (`TextPieces`): for answers
        that may be big. Joined and decoded whole, 150 MB (200,000 alerts) holds the
        interpreter lock twice for ~0.1 s, and a key pressed meanwhile waits."""
        response, texts = await self._answer("GET", path, params, None, text=True)
        return texts if texts is not None else [response.text]

    async def _answer(
        self, method: str, path: str, params: Any, json_body: Any, *, text: bool = False
    ) -> tuple[httpx.Response, list[str] | None]:
        """The answer, a success (see `request`), with its text in pieces when `text`."""
        try:
            for attempt in range(STALE_RETRIES + 1):
                try:
                    response, texts = await self._send(method, path, params, json_body, text)
                    break
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    if method != "GET" or attempt == STALE_RETRIES:
                        raise
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # everything httpx raises
            raise transport_failure(exc, self.where, self.options.timeout_seconds) from None
        status = response.status_code
        if 300 <= status < 400:  # e.g. http -> https, or a login page in front of the server
            location = response.headers.get("location", "")
            target = host_of(location) if "://" in location else "another path"
            raise BadResponse(
                f"{self.where} redirects (HTTP {status}) to {target}; set url to the address the server answers on"
            )
        if status >= 400:
            raise self.status_failure(response, method, path)
        return response, texts

    async def _send(
        self, method: str, path: str, params: Any, json_body: Any, text: bool
    ) -> tuple[httpx.Response, list[str] | None]:
        """The answer, its body read in chunks: refused once past `max_response_mb` (decoded
        bytes, so a small gzip bomb counts at its real size), and at once when its
        Content-Length says it will be. With `text`, a success's body is decoded as it is
        read (its bytes are not kept) and given in pieces; otherwise, and for any other
        status, it is the response's `.content`."""
        client = self.client()
        limit_mb = self.options.max_response_mb
        limit = int(limit_mb * 1024 * 1024)
        response = await client.send(client.build_request(method, path, params=params, json=json_body), stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise AnswerTooLarge(self.where, limit_mb, method, path)
            pieces = TextPieces(response.charset_encoding) if text and response.is_success else None
            parts: list[bytes] = []
            size = 0
            async for part in response.aiter_bytes():
                size += len(part)
                if size > limit:
                    raise AnswerTooLarge(self.where, limit_mb, method, path)
                if pieces is not None:
                    pieces.add(part)
                else:
                    parts.append(part)
            # What httpx's own `aread()` does once the stream is read: `.content`, `.text` and
            # `.json()` then answer from these bytes.
            response._content = b"".join(parts)
        finally:
            await response.aclose()
            # httpx binds the stream to its response (response -> stream -> response): a cycle
            # that only a full collection frees, with the whole body in it (150 MB for 200,000
            # alerts). Read and closed, the stream is needed no more.
            response.stream = httpx.ByteStream(b"")
        return response, pieces.finish() if pieces is not None else None

    def status_failure(self, response: httpx.Response, method: str, path: str) -> BackendError:
        """The error for an HTTP error status: 401/403 are refused credentials."""
        status = response.status_code
        said = server_message(response)
        if status in (401, 403):
            text = f"{self.where} refused the credentials (HTTP {status})"
            return Unauthorized(f"{text}: {said}" if said else text)
        return HttpStatusFailure(
            f"{self.where} answered HTTP {status} to {method} {path}" + (f": {said}" if said else ""),
            status,
            said,
        )

    def decode(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            # the start of the bytes, not `response.text`: that would decode all of a big body
            head = response.content[: _CLIP_READ * 4]
            try:
                text = head.decode(response.encoding or "utf-8", "replace")
            except LookupError:  # a charset Python does not know
                text = head.decode("utf-8", "replace")
            start = _clip(text, 80)
            raise BadResponse(
                f"{self.where} answered something that is not JSON for {what}"
                + (f": {start!r}" if start else " (an empty body)")
            ) from None

    async def get_json(self, path: str, params: Any = None, *, what: str = "") -> Any:
        response = await self.request("GET", path, params=params)
        return self.decode(response, what or path)


def host_of(url: str) -> str:
    """`host:port` of a URL, without any user:password@ part."""
    try:
        parsed = httpx.URL(url)
    except Exception:
        return "another server"
    host = parsed.host or "another server"
    return f"{host}:{parsed.port}" if parsed.port else host


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:  # never show the token
        return "<BearerAuth>"


def _causes(exc: BaseException) -> Iterator[BaseException]:
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
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "name resolution" in lowered:
        return "unknown host name"
    if any(isinstance(c, ssl.SSLError) for c in _causes(exc)):
        return "TLS handshake failed (check verify / ca_bundle)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the connection broke off ({_clip(text, 120)})"
    return _clip(text, 120)
