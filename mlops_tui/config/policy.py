"""The `[policy]` table: what guards a promotion, per model by glob (`[policy.models."fraud-*"]`).

    [policy]
    targets = ["champion"]          # aliases (or stages) it guards
    gates = ["auc >= holder - 0.005", "rmse <= holder * 1.02", "auc >= 0.80"]
    require_tags = { validation_status = "passed" }
    approvers = 1                   # distinct approvers besides the requester
    allowed_approvers = []          # empty: anyone but the requester
    break_glass = true
    same_signature = true           # a changed model signature fails a check (false: warns)

    [policy.models."fraud-*"]       # overrides for matching model names
    approvers = 2

A gate is `METRIC OP NUMBER` or `METRIC OP holder [+-*] NUMBER`; anything else is a config
error. services/policy.py evaluates the rules; this module only says what they are.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

OPS = (">=", "<=", "==", "!=", ">", "<")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_GATE = re.compile(
    rf"^\s*(?P<metric>[A-Za-z_][\w.\-/]*)\s*(?P<op>>=|<=|==|!=|>|<)\s*"
    rf"(?:(?P<holder>holder)(?:\s*(?P<arith>[-+*])\s*(?P<amount>{_NUMBER}))?|(?P<number>{_NUMBER}))\s*$"
)
GATE_SHAPE = 'METRIC OP NUMBER or METRIC OP holder [+-*] NUMBER, e.g. "auc >= holder - 0.005"'


@dataclass(frozen=True)
class Gate:
    """One metric gate: `metric op number`, or `metric op holder arith amount`."""

    text: str
    metric: str
    op: str
    number: float | None = None  # absolute gates
    arith: str = ""  # holder gates: "", "+", "-" or "*"
    amount: float = 0.0

    @property
    def against_holder(self) -> bool:
        return self.number is None

    def bound(self, holder_value: float | None) -> float | None:
        """The number the candidate's metric is compared with (None: no holder value)."""
        if not self.against_holder:
            return self.number
        if holder_value is None:
            return None
        if self.arith == "+":
            return holder_value + self.amount
        if self.arith == "-":
            return holder_value - self.amount
        if self.arith == "*":
            return holder_value * self.amount
        return holder_value

    def holds(self, value: float, bound: float) -> bool:
        return {
            ">=": value >= bound,
            "<=": value <= bound,
            ">": value > bound,
            "<": value < bound,
            "==": value == bound,
            "!=": value != bound,
        }[self.op]


def parse_gate(text: str) -> Gate:
    found = _GATE.match(text)
    if found is None:
        raise ValueError(f"gate {text!r} is not {GATE_SHAPE}")
    g = found.groupdict()
    text = " ".join(text.split())
    if g["holder"]:
        return Gate(text, g["metric"], g["op"], None, g["arith"] or "", float(g["amount"] or 0))
    return Gate(text, g["metric"], g["op"], float(g["number"]))


def _check_gates(value: list[str] | None) -> list[str] | None:
    for gate in value or ():
        parse_gate(gate)
    return value


class PolicyOverride(BaseModel):
    """The keys of `[policy]` a `[policy.models."GLOB"]` table may override (unset: inherited)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    targets: list[str] | None = None
    gates: list[str] | None = None
    require_tags: dict[str, str] | None = None
    require_finished_run: bool | None = None
    approvers: int | None = Field(default=None, ge=1, le=9)
    allowed_approvers: list[str] | None = None
    break_glass: bool | None = None
    rollback_needs_approval: bool | None = None
    same_signature: bool | None = None

    _gates = field_validator("gates")(_check_gates)


class PolicyRules(BaseModel):
    """The rules for one model: `[policy]` with its matching overrides applied."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    targets: list[str] = Field(default_factory=lambda: ["champion"])
    gates: list[str] = Field(default_factory=list)
    require_tags: dict[str, str] = Field(default_factory=dict)
    require_finished_run: bool = True
    approvers: int = Field(default=1, ge=1, le=9)
    allowed_approvers: list[str] = Field(default_factory=list)
    break_glass: bool = True
    rollback_needs_approval: bool = True
    # a candidate whose logged signature differs from the holder's fails a check (false: it warns)
    same_signature: bool = True

    _gates = field_validator("gates")(_check_gates)

    @property
    def parsed_gates(self) -> list[Gate]:
        return [parse_gate(g) for g in self.gates]

    def guards(self, target: str) -> bool:
        return any(t.lower() == target.lower() for t in self.targets)


class PolicyConfig(PolicyRules):
    models: dict[str, PolicyOverride] = Field(default_factory=dict)

    def for_model(self, name: str) -> PolicyRules:
        """The rules for model `name`: every matching glob's overrides, in file order."""
        values = self.model_dump(exclude={"models"})
        for pattern, override in self.models.items():
            if fnmatch.fnmatchcase(name, pattern):
                values.update(override.model_dump(exclude_unset=True))
        return PolicyRules.model_validate(values)
