"""The settings model: what a config file means once it has been checked.

`load_settings` in loader.py turns a TOML file into these models and explains every
mistake; these models also validate on their own (``extra="forbid"``) for code that builds
settings directly.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlops_tui.config.policy import PolicyConfig
from mlops_tui.core.errors import ConfigError

DEFAULT_CONTEXT = "default"


class BackendConfig(BaseModel):
    """One backend in a context. In TOML every key other than name/kind is an option."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    name: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _flat_options(cls, data: Any) -> Any:
        # Accept both the flat TOML shape ({name, kind, url, ...}) and the explicit
        # {name, kind, options: {...}} shape used by code.
        if not isinstance(data, dict):
            return data
        rest = {k: v for k, v in data.items() if k not in ("name", "kind", "options")}
        if not rest:
            return data
        out = {k: data[k] for k in ("name", "kind") if k in data}
        options = data.get("options")
        out["options"] = {**(options if isinstance(options, dict) else {}), **rest}
        return out


class ContextConfig(BaseModel):
    """A named set of backends (e.g. "prod", "staging") the app shows together."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    read_only: bool | None = None
    backends: list[BackendConfig] = Field(default_factory=list)

    def effective_read_only(self, default: bool) -> bool:
        """This context's read_only, or the top-level setting when the context leaves it unset."""
        return default if self.read_only is None else self.read_only

    def backend(self, name: str) -> BackendConfig | None:
        return next((b for b in self.backends if b.name == name), None)


class MetricsConfig(BaseModel):
    """`[metrics]`: which metrics are better low or high where the name does not say (compare)."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    lower_is_better: list[str] = Field(default_factory=list)
    higher_is_better: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_both(self) -> MetricsConfig:
        both = sorted(set(self.lower_is_better) & set(self.higher_is_better))
        if both:
            raise ValueError(f"{', '.join(both)} cannot be both lower_is_better and higher_is_better")
        return self


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    user: str | None = None
    theme: str = Field("oncall-dark", min_length=1)
    refresh_seconds: float = Field(15.0, gt=0, allow_inf_nan=False)
    read_only: bool = False
    default_context: str | None = None
    four_eyes: bool = True
    bell: bool = False
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    # on-call: an ack lasts ack_minutes and is kept alive while its alert fires, up to ack_max_hours
    ack_minutes: float = Field(15.0, gt=0, allow_inf_nan=False)
    ack_max_hours: float = Field(12.0, gt=0, allow_inf_nan=False)
    silence_warn_over: int = Field(20, ge=0)  # a silence hitting more alerts asks twice
    history_days: float = Field(7.0, gt=0, allow_inf_nan=False)  # alert history shown and kept
    flap_threshold: int = Field(3, ge=1)  # more firings than this in an hour: flapping
    contexts: dict[str, ContextConfig] = Field(default_factory=dict)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)  # what guards promotions

    def context(self, name: str | None = None) -> tuple[str, ContextConfig]:
        """The context called `name`; else `default_context`; else the only (or first) one.

        With no contexts at all, asking for no particular one gives an empty ``default``.
        An unknown name raises ConfigError listing the known ones.
        """
        if name is None:
            name = self.default_context
        if name is None:
            if not self.contexts:
                return DEFAULT_CONTEXT, ContextConfig()
            first = next(iter(self.contexts))
            return first, self.contexts[first]
        if name in self.contexts:
            return name, self.contexts[name]
        if not self.contexts and name == DEFAULT_CONTEXT:
            return DEFAULT_CONTEXT, ContextConfig()
        known = list(self.contexts)
        if known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            fix = f"{hint}Known contexts: {', '.join(known)}."
        else:
            fix = "The config file defines no contexts; add a [contexts.NAME] table."
        raise ConfigError(f"there is no context named {name!r}", where="context", fix=fix)
