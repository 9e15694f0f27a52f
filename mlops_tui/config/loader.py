"""Reading the settings file, and explaining every mistake in it in words.

`load_settings(path)` returns `Settings` or raises `ConfigError` -- never anything else. The
checks run in file-reading order: TOML syntax, top-level keys and values, then each context
and each backend (name, an installed kind, no secret written out). The options a backend
kind declares are checked where the backend is built (services/runtime.py), once;
`options_error` and `backend_error` put those problems in the same words.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import tomllib
import typing
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mlops_tui.config.errors import ConfigError
from mlops_tui.config.paths import config_path, explicit_config_path
from mlops_tui.config.secrets import is_secret_key, is_secret_ref
from mlops_tui.config.settings import DEFAULT_CONTEXT, ContextConfig, Settings

Loc = tuple[str | int, ...]

TOP_LEVEL_KEYS = (*Settings.model_fields, "backends")
CONTEXT_KEYS = tuple(ContextConfig.model_fields)
BACKEND_FIXED_KEYS = ("name", "kind")
BACKEND_KINDS_GROUP = "mlops_tui.backends"  # the entry-point group of backends/registry.py

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


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


def backend_error(
    path: Path | None,
    context: str,
    index: int,
    problem: str,
    fix: str | None = None,
    *,
    key: str | None = None,
) -> ConfigError:
    """The error for backend `index` of `context` (or its `key`), pointing at its line."""
    loader = _Loader.of_file(path)
    loc = loader.backend_loc(context, index) + ((key,) if key else ())
    try:
        loader.fail(loc, problem, fix)
    except ConfigError as exc:
        return exc


def options_error(
    path: Path | None,
    context: str,
    index: int,
    kind: str,
    exc: ValidationError,
    model: type[BaseModel],
) -> ConfigError:
    """A backend kind's own options model refused backend `index` of `context`: in words."""
    loader = _Loader.of_file(path)
    try:
        loader.explain(exc, loader.backend_loc(context, index), model, what=f"option for backend kind {kind!r}")
    except ConfigError as error:
        return error


def did_you_mean(word: str, valid: Sequence[str], label: str) -> str:
    """"Did you mean 'x'? <label>: a, b, c." -- the closest valid word, and all of them."""
    return _did_you_mean(word, valid, label)


def available_kinds() -> dict[str, EntryPoint]:
    """The installed backend kinds by name, read from package metadata: none is imported.

    The backends' registry owns loading them; the config only needs the names for its hints.
    """
    return {ep.name: ep for ep in entry_points(group=BACKEND_KINDS_GROUP)}


# -- the checks --------------------------------------------------------------------------------
class _Loader:
    def __init__(self, text: str, path: Path | None) -> None:
        self.text = text.removeprefix("\ufeff")
        self.path = path
        self._kinds: list[str] | None = None

    @classmethod
    def of_file(cls, path: Path | None) -> _Loader:
        """A loader over the file at `path` (its text only serves to locate lines)."""
        try:
            text = path.read_text(encoding="utf-8") if path is not None else ""
        except (OSError, UnicodeDecodeError):
            text = ""
        return cls(text, path)

    def backend_loc(self, context: str, index: int) -> Loc:
        """Where backend `index` of `context` sits: top-level [[backends]] or a context's."""
        try:
            top_level = "backends" in tomllib.loads(self.text.removeprefix("\ufeff"))
        except (tomllib.TOMLDecodeError, RecursionError):
            top_level = False
        if top_level and context == DEFAULT_CONTEXT:
            return ("backends", index)
        return ("contexts", context, "backends", index)

    def kinds(self) -> list[str]:
        if self._kinds is None:
            try:
                self._kinds = sorted(available_kinds())
            except Exception:
                self._kinds = []
        return self._kinds

    def fail(self, loc: Loc, problem: str, fix: str | None = None) -> typing.NoReturn:
        try:
            line = _locate(self.text, loc) if loc else None
        except Exception:  # locating is a courtesy; it must never hide the real error
            line = None
        raise ConfigError(problem, path=self.path, where=dotted(loc) or None, fix=fix, line=line)

    # -- whole file ----------------------------------------------------------------------
    def load(self) -> Settings:
        raw = self.parse_toml()
        self.check_keys((), raw, TOP_LEVEL_KEYS, "setting", _TOP_LEVEL_HINT)

        scalars = {k: v for k, v in raw.items() if k not in ("contexts", "backends")}
        self.validate(Settings, scalars, ())

        if "backends" in raw and "contexts" in raw:
            self.fail(
                ("backends",),
                "top-level [[backends]] cannot be mixed with [contexts.*] tables",
                "Move these backends into a context: write [[contexts.NAME.backends]] "
                "instead of [[backends]].",
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
                    f"contexts must be a table of named contexts (got {_kind_of(table)})",
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
                _did_you_mean(default, known, "Known contexts")
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
            message = str(exc)
            line = column = None
            m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
            if m:
                line, column = int(m.group(1)), int(m.group(2))
                message = message[: m.start()]
            else:
                m = re.search(r"\s*\(at end of document\)\s*$", message)
                if m:
                    line = max(1, len(self.text.splitlines()))
                    message = message[: m.start()]
            problem, fix = _toml_words(message)
            if message.startswith("Cannot overwrite a value"):
                try:
                    dup = _duplicate_key(self.text)
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
                f"context {name!r} must be a table (got {_kind_of(body)})",
                f"Write it as a table: [contexts.{_key(name)}] followed by its settings.",
            )
        if loc:
            self.check_keys(loc, body, CONTEXT_KEYS, f"key in context {name!r}", _context_hint(name))
        self.validate(ContextConfig, {k: v for k, v in body.items() if k != "backends"}, loc)

        backends_loc = (*loc, "backends")
        header = f"[[{dotted(backends_loc)}]]"
        backends = body.get("backends", [])
        if not isinstance(backends, list):
            self.fail(
                backends_loc,
                f"backends must be a list of tables (got {_kind_of(backends)})",
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
    def backend(
        self, loc: Loc, context: str, item: Any, seen: dict[str, int], header: str
    ) -> dict[str, Any]:
        if not isinstance(item, dict):
            self.fail(
                loc,
                f"each backend must be a table (got {_kind_of(item)})",
                f"Write each backend as a {header} table with name, kind and its options.",
            )
        installed = ", ".join(self.kinds()) or "none"
        if "name" not in item:
            self.fail(
                loc,
                "this backend has no name",
                'Add name = "..." -- a label of your choice, unique within the context '
                '(e.g. name = "mlflow-prod").',
            )
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            self.fail(
                (*loc, "name"),
                "a backend's name must be a non-empty string"
                + ("" if isinstance(name, str) else f" (got {_kind_of(name)})"),
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
                + ("" if isinstance(kind, str) else f" (got {_kind_of(kind)})"),
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
                _did_you_mean(kind, self.kinds(), "Installed kinds")
                + "\nA kind from a plugin package needs that package installed next to "
                "mlops-tui; `mlops-tui backends` lists what is installed.",
            )

        # The kind's options are checked where the backend is built (services/runtime.py),
        # once, and put into words by `options_error` below.
        options = {k: v for k, v in item.items() if k not in BACKEND_FIXED_KEYS}
        self.refuse_literal_secrets(loc, context, name, options)
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
                problem = f"{_key(key)} is a malformed secret reference"
            else:
                # Never repeat the value: it is a secret.
                problem = f"{_key(key)} holds a secret written out in the config file"
            self.fail(
                where,
                problem,
                f"Store it in the keyring:  mlops-tui auth set {suggested}\n"
                f'then write:               {key} = "keyring:{suggested}"\n'
                f'or use an env variable:   {key} = "env:VAR"',
            )

    # -- helpers -------------------------------------------------------------------------
    def check_keys(
        self, loc: Loc, table: dict[str, Any], valid: Sequence[str], what: str, hint: str
    ) -> None:
        for key in table:
            if key not in valid:
                self.fail(
                    (*loc, key),
                    f"unknown {what}: {key!r}",
                    _did_you_mean(key, list(valid), "Valid keys") + ("\n" + hint if hint else ""),
                )

    def validate(self, model: type[BaseModel], values: dict[str, Any], loc: Loc) -> None:
        try:
            model.model_validate(values)
        except ValidationError as exc:
            self.explain(exc, loc, model)

    def explain(
        self, exc: ValidationError, loc: Loc, model: type[BaseModel], what: str = "key"
    ) -> typing.NoReturn:
        errors = exc.errors(include_url=False)
        err = errors[0]
        where: Loc = (*loc, *err["loc"])
        secret = any(isinstance(p, str) and is_secret_key(p) for p in where)
        more = len(errors) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1]) if err["loc"] else "?"
            valid = _fields_at(model, err["loc"][:-1])
            fix = _did_you_mean(key, valid, "Valid options" if what != "key" else "Valid keys")
            self.fail(where, f"unknown {what}: {key!r}{tail}", fix)
        names = [p for p in where if isinstance(p, str)]
        name = _key(names[-1]) if names else "the file"
        self.fail(where, f"{name} {_words(err, secret)}{tail}", _fix_for(err, name))


# -- turning things into words -----------------------------------------------------------------
_TOP_LEVEL_HINT = (
    "Backends belong in [[contexts.NAME.backends]] tables (or top-level [[backends]])."
)


def _context_hint(name: str) -> str:
    return (
        "A context holds read_only and its backends; backend settings such as url go in "
        f"[[contexts.{_key(name)}.backends]] tables."
    )


def _did_you_mean(word: str, valid: Sequence[str], label: str) -> str:
    close = difflib.get_close_matches(str(word), [str(v) for v in valid], n=1, cutoff=0.6)
    listed = ", ".join(str(v) for v in valid) or "none"
    if close:
        return f"Did you mean {close[0]!r}? {label}: {listed}."
    return f"{label}: {listed}."


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 42 else text[:38] + '..."'
    return _kind_of(value)


_PHRASES: dict[str, str] = {
    "missing": "is required but missing",
    "bool_type": "must be true or false (without quotes)",
    "bool_parsing": "must be true or false (without quotes)",
    "string_type": 'must be a string in quotes, like "text"',
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "list_type": 'must be a list, like ["a", "b"]',
    "tuple_type": 'must be a list, like ["a", "b"]',
    "set_type": 'must be a list, like ["a", "b"]',
    "dict_type": 'must be a table, like { key = "value" }',
    "model_type": 'must be a table, like { key = "value" }',
    "model_attributes_type": 'must be a table, like { key = "value" }',
    "url_type": "must be a URL in quotes",
    "url_parsing": "must be a URL like https://host:port",
    "url_scheme": "must be a URL with an allowed scheme",
    "datetime_type": "must be a date-time",
    "datetime_parsing": "must be a date-time",
    "none_required": "must be left out",
}


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _words(err: dict[str, Any], secret: bool) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in _PHRASES:
        phrase = _PHRASES[kind]
    elif kind == "greater_than":
        phrase = f"must be greater than {_num(ctx.get('gt'))}"
    elif kind == "greater_than_equal":
        phrase = f"must be at least {_num(ctx.get('ge'))}"
    elif kind == "less_than":
        phrase = f"must be less than {_num(ctx.get('lt'))}"
    elif kind == "less_than_equal":
        phrase = f"must be at most {_num(ctx.get('le'))}"
    elif kind == "string_too_short":
        n = ctx.get("min_length", 1)
        phrase = "must not be empty" if n == 1 else f"must be at least {n} characters long"
    elif kind == "string_too_long":
        phrase = f"must be at most {ctx.get('max_length')} characters long"
    elif kind == "too_short":
        n = ctx.get("min_length", 1)
        phrase = "must not be empty" if n == 1 else f"must have at least {n} items"
    elif kind == "too_long":
        phrase = f"must have at most {ctx.get('max_length')} items"
    elif kind in ("literal_error", "enum"):
        phrase = f"must be one of {ctx.get('expected', '?')}"
    elif kind == "string_pattern_mismatch":
        phrase = f"must match the pattern {ctx.get('pattern')}"
    elif kind == "value_error" and not secret:
        phrase = "is not valid: " + str(err.get("msg", "")).removeprefix("Value error, ")
    elif secret:
        phrase = "is not valid"
    else:
        msg = str(err.get("msg", "is not valid"))
        phrase = "is not valid: " + (msg[:1].lower() + msg[1:])
    if kind != "missing":
        value = err.get("input")
        if secret:
            pass  # never show a secret, not even a malformed one
        elif isinstance(value, (dict, list)):
            phrase += f" (got {_kind_of(value)})"
        elif isinstance(value, (str, int, float, bool)):
            phrase += f" (got {_shown(value)})"
    return " ".join(phrase.split())


def _fix_for(err: dict[str, Any], name: str) -> str:
    kind = err["type"]
    if kind in ("literal_error", "enum"):
        return "Use one of the values listed."
    if kind.startswith("bool"):
        return "Write true or false, without quotes."
    if kind.startswith(("float", "int", "greater", "less", "finite")):
        return "Write a plain number without quotes, e.g. 15 or 2.5."
    if kind == "string_type":
        return 'Put the value in double quotes, e.g. "text".'
    if kind == "missing":
        return f"Add {name} = ... here."
    return "Correct the value."


def _toml_words(message: str) -> tuple[str, str]:
    generic = (
        'Check that line: strings need quotes ("like this"), tables are written [name], '
        "lists [a, b] and inline tables { key = value }."
    )
    m = re.fullmatch(r"Cannot declare (\(.*\)) twice", message)
    if m:
        try:
            parts = ast.literal_eval(m.group(1))
            return (
                f"the table [{dotted(tuple(parts))}] is declared twice",
                "Merge the two tables into one (or use [[double brackets]] for a list of tables).",
            )
        except Exception:
            pass
    if message.startswith("Cannot overwrite a value") or "twice" in message:
        return (
            message[:1].lower() + message[1:],
            "A key is set twice; keep only one of them.",
        )
    if message.startswith("Invalid value"):
        return (
            "a value is not valid TOML",
            'Values are strings in quotes ("text"), true/false, numbers, [lists] or '
            "{ inline = tables }.",
        )
    if message.startswith("Unterminated string"):
        return ("a string is never closed", "Add the closing quote.")
    return (message[:1].lower() + message[1:], generic)


def dotted(loc: Loc) -> str:
    """``("contexts", "prod", "backends", 0, "url")`` -> ``contexts.prod.backends[0].url``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _key(part)
    return out


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def _walk(value: Any, loc: Loc = ()):
    """(loc, key, value) for every key at any depth of nested tables and lists."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*loc, key), str(key), sub
            yield from _walk(sub, (*loc, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _walk(sub, (*loc, index))


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Field names of the (nested) model found by following `loc` from `model`."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _model_in(fields[part].annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None) or {}
    return [info.alias or name for name, info in fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# -- finding the line of a field, best effort --------------------------------------------------
_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEYPART = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
_KEYLINE_RE = re.compile(rf"^\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*=")
_PART_RE = re.compile(r"[A-Za-z0-9_-]+|\"([^\"]*)\"|'([^']*)'")


def _split_key(text: str) -> tuple[str, ...]:
    out = []
    for m in _PART_RE.finditer(text):
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(m.group(2))
        else:
            out.append(m.group(0))
    return tuple(out)


def _locate(text: str, target: Loc) -> int | None:
    """The line that defines `target` (or its closest enclosing table), if one can be found."""
    counters: dict[tuple[str, ...], int] = {}
    current: Loc = ()
    best_len, best_line = 0, None
    for lineno, line in enumerate(text.splitlines(), 1):
        header = _HEADER_RE.match(line)
        if header:
            parts = _split_key(header.group(2))
            if header.group(1) == "[[":
                counters[parts] = counters.get(parts, -1) + 1
                current = (*parts, counters[parts])
            else:
                current = parts
            candidate = current
        else:
            keyline = _KEYLINE_RE.match(line)
            if not keyline:
                continue
            candidate = (*current, *_split_key(keyline.group(1)))
        n = len(candidate)
        if n > best_len and n <= len(target) and tuple(target[:n]) == tuple(candidate):
            best_len, best_line = n, lineno
    return best_line


def _duplicate_key(text: str) -> tuple[int, Loc] | None:
    """The line of the first key that is set a second time, if it can be found."""
    counters: dict[tuple[str, ...], int] = {}
    current: Loc = ()
    seen: set[Loc] = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        header = _HEADER_RE.match(line)
        if header:
            parts = _split_key(header.group(2))
            if header.group(1) == "[[":
                counters[parts] = counters.get(parts, -1) + 1
                current = (*parts, counters[parts])
            else:
                current = parts
            continue
        keyline = _KEYLINE_RE.match(line)
        if keyline:
            full = (*current, *_split_key(keyline.group(1)))
            if full in seen:
                return lineno, full
            seen.add(full)
    return None
