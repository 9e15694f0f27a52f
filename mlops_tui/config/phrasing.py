"""Config mistakes put into words: what is wrong, in the user's terms, and how to fix it.

The loader finds a mistake; this module phrases it (pydantic and tomllib messages are for
programmers) and renders key paths the way they are written in TOML.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from mlops_tui.config.toml_lines import Loc

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

TOP_LEVEL_HINT = "Backends belong in [[contexts.NAME.backends]] tables (or top-level [[backends]])."


def context_hint(name: str) -> str:
    return (
        "A context holds read_only and its backends; backend settings such as url go in "
        f"[[contexts.{toml_key(name)}.backends]] tables."
    )


def did_you_mean(word: str, valid: Sequence[str], label: str) -> str:
    close = difflib.get_close_matches(str(word), [str(v) for v in valid], n=1, cutoff=0.6)
    listed = ", ".join(str(v) for v in valid) or "none"
    if close:
        return f"Did you mean {close[0]!r}? {label}: {listed}."
    return f"{label}: {listed}."


def kind_of(value: Any) -> str:
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
    return kind_of(value)


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


def validation_problem(err: ErrorDetails, secret: bool) -> str:
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
            phrase += f" (got {kind_of(value)})"
        elif isinstance(value, (str, int, float, bool)):
            phrase += f" (got {_shown(value)})"
    return " ".join(phrase.split())


def validation_fix(err: ErrorDetails, name: str) -> str:
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


def toml_syntax_words(message: str) -> tuple[str, str]:
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
            'Values are strings in quotes ("text"), true/false, numbers, [lists] or { inline = tables }.',
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
            out += ("." if out else "") + toml_key(part)
    return out


def toml_key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
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
