"""Which alerts are drift alerts: a label matcher and/or a word in the alert's name.

Pure functions over domain models; the UI may use them (no HTTP, no textual). The Alertmanager
backend's options `drift_label` and `drift_alertname_contains` become a `DriftRules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_tui.domain import Alert, Matcher

_MATCHER = re.compile(
    r"""^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>"(?:[^"\\]|\\.)*"|[^"\s,{}]*)\s*$"""
)
_OPS = {"=": (False, True), "!=": (False, False), "=~": (True, True), "!~": (True, False)}


def parse_matcher(text: str) -> Matcher:
    """`name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"` (quotes optional).

    Raises ValueError with a readable message for anything else.
    """
    m = _MATCHER.match(text.strip().removeprefix("{").removesuffix("}"))
    if m is None:
        raise ValueError(f'{text!r} is not a label matcher like kind="drift" or alertname=~".*Drift.*"')
    value = m.group("value")
    if value.startswith('"'):
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    is_regex, is_equal = _OPS[m.group("op")]
    if is_regex:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{text!r}: the regular expression does not compile ({exc})") from None
    return Matcher(name=m.group("name"), value=value, is_regex=is_regex, is_equal=is_equal)


@dataclass(frozen=True)
class DriftRules:
    """An alert is a drift alert when its labels match `label` or its name contains
    `alertname_contains` (case-insensitive). An empty rule is switched off."""

    label: Matcher | None = None
    alertname_contains: str = ""

    @classmethod
    def parse(cls, label: str = 'kind="drift"', alertname_contains: str = "Drift") -> DriftRules:
        return cls(
            label=parse_matcher(label) if label.strip() else None,
            alertname_contains=alertname_contains.strip(),
        )


DEFAULT_DRIFT_RULES = DriftRules.parse()


def is_drift_alert(alert: Alert, rules: DriftRules = DEFAULT_DRIFT_RULES) -> bool:
    if rules.label is not None and rules.label.matches(alert.labels):
        return True
    word = rules.alertname_contains
    return bool(word) and word.casefold() in alert.name.casefold()
