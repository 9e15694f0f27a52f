"""Reading the settings file, and explaining every mistake in it in words.

`load_settings(path)` returns `Settings` or raises `ConfigError` -- never anything else. The
checks run in file-reading order: TOML syntax, top-level keys and values, then each context
and each backend (name, kind, secrets, and the options the backend kind itself declares).
"""

from __future__ import annotations

import os
import re
import tomllib
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mlops_tui.backends.registry import BackendLoadError, available_kinds, load_kind
from mlops_tui.config.errors import ConfigError
from mlops_tui.config.paths import config_path, explicit_config_path
from mlops_tui.config.phrasing import (
    TOP_LEVEL_HINT,
    context_hint,
    did_you_mean,
    dotted,
    fields_at,
    kind_of,
    toml_key,
    toml_syntax_words,
    validation_fix,
    validation_problem,
)
from mlops_tui.config.secrets import is_secret_key, is_secret_ref
from mlops_tui.config.settings import DEFAULT_CONTEXT, ContextConfig, Settings
from mlops_tui.config.toml_lines import Loc, duplicate_key, line_of, syntax_error_position

TOP_LEVEL_KEYS = (*Settings.model_fields, "backends")
CONTEXT_KEYS = tuple(ContextConfig.model_fields)
BACKEND_FIXED_KEYS = ("name", "kind")


# -- public API --------------------------------------------------------------------------------
def load_settings(path: Path | str) -> Settings:
    """Read and check the settings file at `path`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ConfigError(
            "this is a directory, not a config file",
            path=path,
            fix="Point --config (or MLOPS_TUI_CONFIG) at a .toml file.",
        ) from None
    except FileNotFoundError:
        raise ConfigError(
            "the config file does not exist",
            path=path,
            fix=f"Create one with `mlops-tui init --config {path}`, or fix the path.",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"the config file cannot be read: {exc.strerror or exc}",
            path=path,
            fix="Check the file's permissions.",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            "the file is not UTF-8 text",
            path=path,
            where=f"line {line}",
            line=line,
            fix="Save the file as UTF-8.",
        ) from None
    return parse_settings(text, path)


def parse_settings(text: str, path: Path | str | None = None) -> Settings:
    """Check settings given as TOML text (`path` is only used in error messages)."""
    return _Loader(text, Path(path) if path is not None else None).load()


def find_settings(explicit: str | os.PathLike[str] | None = None) -> tuple[Settings | None, Path]:
    """The settings to use and the path they come from.

    ``(None, path)`` when no path was asked for (no --config, no MLOPS_TUI_CONFIG) and the
    default file does not exist: running without a config file is fine. A path that was asked
    for and does not exist is a ConfigError.
    """
    asked = explicit_config_path(explicit)
    path = asked or config_path(None)
    if asked is None and not path.exists():
        return None, path
    return load_settings(path), path


# -- the checks --------------------------------------------------------------------------------
class _Loader:
    def __init__(self, text: str, path: Path | None) -> None:
        self.text = text.removeprefix("\ufeff")
        self.path = path
        self._kinds: list[str] | None = None

    def fail(self, loc: Loc, problem: str, fix: str | None = None) -> typing.NoReturn:
        try:
            line = line_of(self.text, loc) if loc else None
        except Exception:  # locating is a courtesy; it must never hide the real error
            line = None
        raise ConfigError(problem, path=self.path, where=dotted(loc) or None, fix=fix, line=line)

    def kinds(self) -> list[str]:
        if self._kinds is None:
            try:
                self._kinds = list(available_kinds())
            except Exception:
                self._kinds = []
        return self._kinds

    # -- whole file ----------------------------------------------------------------------
    def load(self) -> Settings:
        raw = self.parse_toml()
        self.check_keys((), raw, TOP_LEVEL_KEYS, "setting", TOP_LEVEL_HINT)

        scalars = {k: v for k, v in raw.items() if k not in ("contexts", "backends")}
        self.validate(Settings, scalars, ())

        if "backends" in raw and "contexts" in raw:
            self.fail(
                ("backends",),
                "top-level [[backends]] cannot be mixed with [contexts.*] tables",
                "Move these backends into a context: write [[contexts.NAME.backends]] instead of [[backends]].",
            )
        contexts: dict[str, Any] = {}
        if "backends" in raw:
            # The single-context shape: top-level [[backends]] is a context named "default".
            contexts[DEFAULT_CONTEXT] = self.context((), DEFAULT_CONTEXT, {"backends": raw["backends"]})
        elif "contexts" in raw:
            table = raw["contexts"]
            if not isinstance(table, dict):
                self.fail(
                    ("contexts",),
                    f"contexts must be a table of named contexts (got {kind_of(table)})",
                    "Write one [contexts.NAME] table per context, e.g. [contexts.prod].",
                )
            for name, body in table.items():
                contexts[name] = self.context(("contexts", name), name, body)

        default = raw.get("default_context")
        if default is not None and default not in contexts:
            known = list(contexts)
            self.fail(
                ("default_context",),
                f"default_context names {default!r}, but there is no such context",
                did_you_mean(default, known, "Known contexts")
                if known
                else "Define it with a [contexts.NAME] table, or remove default_context.",
            )

        try:
            return Settings.model_validate({**scalars, "contexts": contexts})
        except ValidationError as exc:  # should not happen after the checks above
            self.explain(exc, (), Settings)

    def parse_toml(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            message, line, column = syntax_error_position(str(exc), self.text)
            problem, fix = toml_syntax_words(message)
            if message.startswith("Cannot overwrite a value"):
                try:
                    dup = duplicate_key(self.text)
                except Exception:
                    dup = None
                if dup is not None:
                    line, column = dup[0], None
                    problem = f"{dotted(dup[1])} is set twice"
            where = f"line {line}, column {column}" if column else (f"line {line}" if line else None)
            raise ConfigError(
                f"TOML syntax error: {problem}",
                path=self.path,
                where=where,
                line=line,
                column=column,
                fix=fix,
            ) from None
        except RecursionError:
            raise ConfigError(
                "TOML syntax error: the file is nested too deeply",
                path=self.path,
                fix="Flatten the nested arrays or tables.",
            ) from None

    # -- one context ---------------------------------------------------------------------
    def context(self, loc: Loc, name: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            self.fail(
                loc,
                f"context {name!r} must be a table (got {kind_of(body)})",
                f"Write it as a table: [contexts.{toml_key(name)}] followed by its settings.",
            )
        if loc:
            self.check_keys(loc, body, CONTEXT_KEYS, f"key in context {name!r}", context_hint(name))
        self.validate(ContextConfig, {k: v for k, v in body.items() if k != "backends"}, loc)

        backends_loc = (*loc, "backends")
        header = f"[[{dotted(backends_loc)}]]"
        backends = body.get("backends", [])
        if not isinstance(backends, list):
            self.fail(
                backends_loc,
                f"backends must be a list of tables (got {kind_of(backends)})",
                f"Write each backend as its own {header} table (double brackets).",
            )
        seen: dict[str, int] = {}
        checked = []
        for index, item in enumerate(backends):
            checked.append(self.backend((*backends_loc, index), name, item, seen, header))
        out = {k: v for k, v in body.items() if k != "backends"}
        out["backends"] = checked
        return out

    # -- one backend ---------------------------------------------------------------------
    def backend(self, loc: Loc, context: str, item: Any, seen: dict[str, int], header: str) -> dict[str, Any]:
        if not isinstance(item, dict):
            self.fail(
                loc,
                f"each backend must be a table (got {kind_of(item)})",
                f"Write each backend as a {header} table with name, kind and its options.",
            )
        installed = ", ".join(self.kinds()) or "none"
        if "name" not in item:
            self.fail(
                loc,
                "this backend has no name",
                'Add name = "..." -- a label of your choice, unique within the context (e.g. name = "mlflow-prod").',
            )
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            self.fail(
                (*loc, "name"),
                "a backend's name must be a non-empty string"
                + ("" if isinstance(name, str) else f" (got {kind_of(name)})"),
                'Write it in quotes, e.g. name = "mlflow-prod".',
            )
        if "kind" not in item:
            self.fail(
                loc,
                f"backend {name!r} has no kind",
                f'Add kind = "..." naming the backend type. Installed kinds: {installed}.',
            )
        kind = item["kind"]
        if not isinstance(kind, str) or not kind.strip():
            self.fail(
                (*loc, "kind"),
                f"backend {name!r}: kind must be a non-empty string"
                + ("" if isinstance(kind, str) else f" (got {kind_of(kind)})"),
                f'Write it in quotes, e.g. kind = "mlflow". Installed kinds: {installed}.',
            )
        if name in seen:
            self.fail(
                (*loc, "name"),
                f"backend name {name!r} is used twice in context {context!r} "
                f"(backends[{seen[name]}] and backends[{loc[-1]}])",
                "Give each backend in a context its own name.",
            )
        seen[name] = int(loc[-1])

        if kind not in self.kinds():
            self.fail(
                (*loc, "kind"),
                f"unknown backend kind {kind!r}",
                did_you_mean(kind, self.kinds(), "Installed kinds")
                + "\nA kind from a plugin package needs that package installed next to "
                "mlops-tui; `mlops-tui backends` lists what is installed.",
            )

        options = {k: v for k, v in item.items() if k not in BACKEND_FIXED_KEYS}
        self.refuse_literal_secrets(loc, context, name, options)

        try:
            cls = load_kind(kind)
        except BackendLoadError as exc:
            self.fail(
                (*loc, "kind"),
                str(exc),
                "Reinstall the package that provides this kind, or check `mlops-tui backends`.",
            )
        except Exception as exc:
            self.fail((*loc, "kind"), f"backend kind {kind!r} failed to load: {exc}")
        model = getattr(cls, "Options", None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            try:
                model.model_validate(options)
            except ValidationError as exc:
                self.explain(exc, loc, model, what=f"option for backend kind {kind!r}")
            except Exception as exc:  # a plugin's validator raising something odd
                self.fail(
                    loc,
                    f"backend {name!r}: the {kind} options could not be checked: {type(exc).__name__}",
                )
        return {"name": name, "kind": kind, "options": options}

    def refuse_literal_secrets(self, loc: Loc, context: str, backend: str, value: Any) -> None:
        for sub_loc, key, leaf in _walk(value):
            if not is_secret_key(key):
                continue
            if leaf is None or isinstance(leaf, bool) or is_secret_ref(leaf):
                continue
            if isinstance(leaf, (dict, list)):
                continue
            suggested = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{context}-{backend}").strip("-.") or "my"
            suggested = suggested if suggested[0].isalnum() else "x" + suggested
            if key.lower().replace("-", "_") not in ("token", "password", "secret"):
                suggested += "-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")
            where = (*loc, *sub_loc)
            if isinstance(leaf, str) and leaf.startswith(("keyring:", "env:")):
                problem = f"{toml_key(key)} is a malformed secret reference"
            else:
                # Never repeat the value: it is a secret.
                problem = f"{toml_key(key)} holds a secret written out in the config file"
            self.fail(
                where,
                problem,
                f"Store it in the keyring:  mlops-tui auth set {suggested}\n"
                f'then write:               {key} = "keyring:{suggested}"\n'
                f'or use an env variable:   {key} = "env:VAR"',
            )

    # -- helpers -------------------------------------------------------------------------
    def check_keys(self, loc: Loc, table: dict[str, Any], valid: Sequence[str], what: str, hint: str) -> None:
        for key in table:
            if key not in valid:
                self.fail(
                    (*loc, key),
                    f"unknown {what}: {key!r}",
                    did_you_mean(key, list(valid), "Valid keys") + ("\n" + hint if hint else ""),
                )

    def validate(self, model: type[BaseModel], values: dict[str, Any], loc: Loc) -> None:
        try:
            model.model_validate(values)
        except ValidationError as exc:
            self.explain(exc, loc, model)

    def explain(self, exc: ValidationError, loc: Loc, model: type[BaseModel], what: str = "key") -> typing.NoReturn:
        errors = exc.errors(include_url=False)
        err = errors[0]
        where: Loc = (*loc, *err["loc"])
        secret = any(isinstance(p, str) and is_secret_key(p) for p in where)
        more = len(errors) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1]) if err["loc"] else "?"
            valid = fields_at(model, err["loc"][:-1])
            fix = did_you_mean(key, valid, "Valid options" if what != "key" else "Valid keys")
            self.fail(where, f"unknown {what}: {key!r}{tail}", fix)
        names = [p for p in where if isinstance(p, str)]
        name = toml_key(names[-1]) if names else "the file"
        self.fail(where, f"{name} {validation_problem(err, secret)}{tail}", validation_fix(err, name))


def _walk(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str, Any]]:
    """(loc, key, value) for every key at any depth of nested tables and lists."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*loc, key), str(key), sub
            yield from _walk(sub, (*loc, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _walk(sub, (*loc, index))
