"""What the model-server backends (`oip`, `mlflow-serving`) share: one configured deployment,
the backend options around a list of them, and one JSON client per server URL.

Every server gets its own `JsonHttp` (backends/http.py), so URLs, auth and TLS are handled in
one place; the per-server timeout is shorter than the poll's, so a hanging server becomes that
server's deployments' reason instead of a failed poll.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mlops_tui.backends.base import BackendOptions, MaxErrorRate, MaxLatencyMs
from mlops_tui.backends.errors import Unauthorized
from mlops_tui.backends.http import (
    HttpAuth,
    HttpBackendOptions,
    HttpStatusFailure,
    JsonHttp,
)
from mlops_tui.domain import Deployment, DeploymentHealth, TensorSpec


class ServedDeployment(BaseModel):
    """One `[[backends.deployments]]` entry: a model on a server, and what it should serve."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="the deployment's name; joins metrics of the same name")
    url: str = Field(description="the server's base URL, e.g. http://127.0.0.1:8080")
    model: str = Field(default="", description="the model's name on the server")
    registered_model: str = Field(default="", description="the registry model it is expected to serve")
    alias: str = Field(default="", description="the registry alias it is expected to serve, e.g. champion")
    environment: str = Field(default="", description="e.g. prod, staging")
    version: str = Field(default="", description="the served version, when the server names none")
    max_error_rate: MaxErrorRate = None
    max_latency_p95_ms: MaxLatencyMs = None

    def deployment(
        self,
        *,
        backend: str,
        version: str,
        endpoint: str,
        health: DeploymentHealth,
        ready: bool | None,
        live: bool | None,
        reason: str,
        platform: str,
        checked_at: datetime,
        repository_state: str = "",
        inputs: tuple[TensorSpec, ...] = (),
        outputs: tuple[TensorSpec, ...] = (),
    ) -> Deployment:
        """This entry as `backend` saw it: one replica, ready or not, with the configured thresholds."""
        return Deployment(
            name=self.name,
            model=self.model,
            version=version,
            endpoint=endpoint,
            environment=self.environment,
            health=health,
            ready=ready,
            live=live,
            ready_replicas=1 if ready else 0,
            replicas=1,
            max_error_rate=self.max_error_rate,
            max_latency_p95_ms=self.max_latency_p95_ms,
            registered_model=self.registered_model,
            alias=self.alias,
            reason=reason,
            repository_state=repository_state,
            inputs=inputs,
            outputs=outputs,
            platform=platform,
            checked_at=checked_at,
            sources=(backend,),
            backend=backend,
        )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        # the same rules (and words) as every other backend's url
        try:
            return HttpBackendOptions.model_validate({"url": value}).url
        except ValidationError as exc:
            raise ValueError(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None

    @model_validator(mode="after")
    def _check_alias(self) -> ServedDeployment:
        if bool(self.registered_model) != bool(self.alias):
            raise ValueError("registered_model and alias go together: give both, or neither")
        return self


class ModelServerOptions(BackendOptions):
    """Auth and TLS for every server of the backend, and the deployments it reads."""

    model_config = ConfigDict(hide_input_in_errors=True)

    deployments: list[ServedDeployment] = Field(
        default_factory=list, description="[[backends.deployments]] tables: name, url, model, ..."
    )
    auth: HttpAuth = Field(default_factory=HttpAuth, description='{type = "none" | "bearer" | "basic", ...}')
    verify: bool = Field(default=True, description="check TLS certificates (false only for test rigs)")
    ca_bundle: str | None = Field(default=None, description="PEM file of extra CAs to trust")
    server_timeout_seconds: float = Field(
        default=5.0, gt=0, description="a server slower than this is reported as not answering"
    )

    @model_validator(mode="after")
    def _check(self) -> ModelServerOptions:
        names = [d.name for d in self.deployments]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"deployment names must be unique; used twice: {', '.join(twice)}")
        if self.server_timeout_seconds >= self.timeout_seconds:
            raise ValueError(
                "server_timeout_seconds must be shorter than timeout_seconds, so that one slow "
                "server cannot fail the whole poll"
            )
        return self


class ServerPool:
    """One `JsonHttp` per distinct server URL, built on first use."""

    def __init__(self, service: str, options: ModelServerOptions) -> None:
        self.service = service
        self.options = options
        self._clients: dict[str, JsonHttp] = {}

    def client(self, url: str) -> JsonHttp:
        http = self._clients.get(url)
        if http is None:
            o = self.options
            http = JsonHttp(
                self.service,
                HttpBackendOptions(
                    url=url, auth=o.auth, verify=o.verify, ca_bundle=o.ca_bundle,
                    timeout_seconds=o.server_timeout_seconds, max_response_mb=o.max_response_mb,
                ),
            )  # fmt: skip
            self._clients[url] = http
        return http

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for http in clients:
            await http.aclose()


def failure_words(exc: BaseException, http: JsonHttp) -> str:
    """A failed request in a few words, without the "<service> at <url>" every line would repeat."""
    if isinstance(exc, HttpStatusFailure):
        return f"HTTP {exc.status}" + (f": {exc.server_message}" if exc.server_message else "")
    text = str(exc) or type(exc).__name__
    for prefix in (f"cannot reach {http.where}: ", f"{http.where} "):
        text = text.removeprefix(prefix)
    if isinstance(exc, Unauthorized):
        return text.replace("refused the credentials", "credentials refused")
    return text
