"""MLflow's run filter syntax, evaluated locally for backends that cannot filter on the server.

`metrics.auc > 0.9 and params.model_type = 'xgboost' and tags.team = 'fraud' and attributes.status = 'FINISHED'`:
comparisons joined by AND, as MLflow accepts them; a bad expression raises InvalidFilter with
words a person can act on, like the server's own message.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops_tui.backends.errors import InvalidFilter
from mlops_tui.domain import Run

_CLAUSE = re.compile(
    r"""\s*(?P<field>(?:metrics?|params?|parameters?|tags?|attributes?|attr|run)\.(?:`[^`]+`|"[^"]+"|[\w.\-]+))
        \s*(?P<op>!=|>=|<=|=|>|<|(?:NOT\s+)?(?:I?LIKE))\s*
        (?P<value>'[^']*'|"[^"]*"|[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$""",
    re.X | re.I,
)
_AND = re.compile(r"\s+and\s+", re.I)
_OPS: dict[str, Callable[[Any, Any], bool]] = {  # operands: a run value and a literal, already alike
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True)
class Clause:
    kind: str
    key: str
    op: str
    value: str | float

    def matches(self, run: Run) -> bool:
        actual = _lookup(run, self.kind, self.key)
        if actual is None:
            return False
        if self.op.upper().endswith("LIKE"):
            pattern = "^" + re.escape(str(self.value)).replace("%", ".*").replace("_", ".") + "$"
            flags = re.I if "ILIKE" in self.op.upper() else 0
            hit = re.match(pattern, str(actual), flags) is not None
            return not hit if self.op.upper().startswith("NOT") else hit
        if isinstance(self.value, float):
            try:
                actual = float(actual)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return False
        return _OPS[self.op](actual, self.value)


def _lookup(run: Run, kind: str, key: str) -> object:
    if kind == "metrics":
        return run.metrics.get(key)
    if kind == "params":
        return run.params.get(key)
    if kind == "tags":
        return run.tags.get(key)
    attributes = {
        "status": run.status.value,
        "run_name": run.name,
        "run_id": run.id,
        "user_id": run.user,
        "start_time": run.start_time.timestamp() * 1000,
        "end_time": run.end_time.timestamp() * 1000 if run.end_time else None,
    }
    return attributes.get(key)


def parse(expression: str) -> list[Clause]:
    expression = expression.strip()
    if not expression:
        return []
    clauses = []
    for part in _AND.split(expression):
        match = _CLAUSE.match(part)
        if match is None:
            raise InvalidFilter(
                f"cannot read {part.strip()!r}: write comparisons like metrics.auc > 0.9 or "
                "params.model_type = 'xgboost', joined by AND"
            )
        kind, _, key = match["field"].partition(".")
        kind = {
            "metric": "metrics",
            "param": "params",
            "parameters": "params",
            "parameter": "params",
            "tag": "tags",
            "attribute": "attributes",
            "attr": "attributes",
            "run": "attributes",
        }.get(kind.lower(), kind.lower())
        key = key.strip('`"')
        raw = match["value"]
        op = " ".join(match["op"].upper().split())
        if raw[0] in "'\"":
            value: str | float = raw[1:-1]
        else:
            value = float(raw)
        if kind == "metrics" and not isinstance(value, float):
            raise InvalidFilter(f"metrics.{key} compares with a number, not {raw}")
        if kind == "params" and isinstance(value, float):
            raise InvalidFilter(f"params.{key} compares with a quoted string, e.g. '{raw}'")
        clauses.append(Clause(kind, key, op, value))
    return clauses


def matcher(expression: str) -> Callable[[Run], bool]:
    clauses = parse(expression)
    return lambda run: all(c.matches(run) for c in clauses)
