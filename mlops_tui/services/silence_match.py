"""Which alerts a silence would hit, by Alertmanager's own matching rules.

`=` and `!=` compare the label's value (a missing label is the empty string), `=~` and `!~`
match a regex anchored at both ends (`^(?:re)$`), and a silence hits an alert only when all
its matchers match. `AlertIndex` answers that for thousands of alerts per keystroke: an
equality matcher narrows the candidates through a (label, value) index before the rest run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mlops_tui.domain import Alert, Matcher


@dataclass(frozen=True)
class CompiledMatcher:
    name: str
    value: str
    is_regex: bool
    is_equal: bool
    pattern: re.Pattern[str] | None

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.pattern is not None:
            hit = self.pattern.match(actual) is not None
        else:
            hit = actual == self.value
        return hit if self.is_equal else not hit


def compile_matcher(m: Matcher) -> CompiledMatcher:
    """Raises re.error for a regex Alertmanager would refuse too."""
    pattern = re.compile(f"^(?:{m.value})$", re.DOTALL) if m.is_regex else None
    return CompiledMatcher(m.name, m.value, m.is_regex, m.is_equal, pattern)


def matches_all(matchers: Sequence[CompiledMatcher], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def matching(matchers: Iterable[Matcher], alerts: Iterable[Alert]) -> list[Alert]:
    """The alerts every matcher matches (no matchers: none, as Alertmanager refuses them)."""
    compiled = [compile_matcher(m) for m in matchers]
    if not compiled:
        return []
    return [a for a in alerts if matches_all(compiled, a.labels)]


class AlertIndex:
    """`alerts` indexed once by label and value, so a silence's hits are found per keystroke.

    A matcher is tried once per distinct value of its label (a few hundred at most, where
    alerts are thousands), and the sets of alerts each matcher admits are intersected.
    """

    def __init__(self, alerts: Sequence[Alert]) -> None:
        self.alerts = tuple(alerts)
        self._values: dict[str, dict[str, list[int]]] = {}
        for i, alert in enumerate(self.alerts):
            for name, value in alert.labels.items():
                self._values.setdefault(name, {}).setdefault(value, []).append(i)
        self._all = frozenset(range(len(self.alerts)))

    def _admitted(self, m: CompiledMatcher) -> frozenset[int] | set[int]:
        values = self._values.get(m.name, {})
        out: set[int] = set()
        for value, positions in values.items():
            if m.matches({m.name: value}):
                out.update(positions)
        if m.matches({}):  # alerts without the label read it as "": they are admitted too
            having = set().union(*values.values()) if values else set()
            out |= self._all - having
        return out

    def matching(self, matchers: Sequence[Matcher]) -> list[Alert]:
        compiled = [compile_matcher(m) for m in matchers]
        if not compiled:
            return []
        # the narrowest matchers first: equality on a value, then the rest
        compiled.sort(key=lambda m: not (m.is_equal and not m.is_regex and m.value))
        hits: set[int] | frozenset[int] | None = None
        for m in compiled:
            admitted = self._admitted(m)
            hits = admitted if hits is None else hits & admitted
            if not hits:
                return []
        return [self.alerts[i] for i in sorted(hits or ())]


@dataclass(frozen=True)
class SilenceImpact:
    """What a silence would hit and what deserves a second look before creating it."""

    hits: tuple[Alert, ...]
    warnings: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return sorted({a.name for a in self.hits})

    def summary(self) -> str:
        n = len(self.hits)
        names = self.names
        shown = ", ".join(names[:4]) + (f" +{len(names) - 4} more" if len(names) > 4 else "")
        return f"matches {n} active alert{'s' if n != 1 else ''}" + (f": {shown}" if names else "")


def impact(matchers: Sequence[Matcher], index: AlertIndex, warn_over: int = 20) -> SilenceImpact:
    hits = tuple(index.matching(matchers))
    warnings = []
    if not hits:
        warnings.append("it matches no active alert")
    elif len(hits) > warn_over:
        warnings.append(f"it matches {len(hits)} alerts (more than {warn_over})")
    names = {a.name for a in hits}
    if len(names) > 1:
        warnings.append(f"it matches alerts of {len(names)} different names")
    return SilenceImpact(hits, tuple(warnings))


# -- the matcher text a person types (the silence dialog, `alerts silence --matchers`) ---------
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))\s*')
_OPS = {"=": (False, True), "!=": (False, False), "=~": (True, True), "!~": (True, False)}


def quote_matcher_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def matchers_text(labels: dict[str, str]) -> str:
    """The dialog's editable text for `labels`: name="value" pairs, values escaped."""
    return " ".join(f'{k}="{quote_matcher_value(v)}"' for k, v in sorted(labels.items()))


def parse_matchers(text: str) -> list[Matcher]:
    """`name="value"` (also `!=`, `=~`, `!~`) pairs separated by spaces; [] when unreadable.

    Quoted values may hold anything (query="code!=200" stays one matcher); a bare value ends
    at the first space.
    """
    out: list[Matcher] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _MATCHER.match(text, pos)
        if match is None:
            return []
        name, op, quoted, bare = match.groups()
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        is_regex, is_equal = _OPS[op]
        if is_regex:
            try:
                re.compile(value)
            except re.error:
                return []
        out.append(Matcher(name=name, value=value, is_regex=is_regex, is_equal=is_equal))
        pos = match.end()
    return out
