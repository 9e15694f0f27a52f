"""Comparing runs (or model versions) side by side: rows, differences only, best marks, Markdown.

Pure: no Textual, no I/O. A `Subject` is one column (a run, or a version with its source run
and logged model); `compare` turns 2-8 of them into grouped rows. Whether lower is better for
a metric is the approval dialog's rule (`policy.lower_is_better`), unless the config names the
metric in `[metrics] lower_is_better` / `higher_is_better`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from mlops_tui.core import glyphs
from mlops_tui.core.text import printable
from mlops_tui.domain import LoggedModel, ModelVersion, Run
from mlops_tui.services import policy

MIN_SUBJECTS = 2
MAX_SUBJECTS = 8
GROUPS = ("params", "metrics", "tags", "attributes")
BEST = glyphs.BEST  # the best value of a metric row: a symbol, never colour alone
HIGHER = glyphs.HIGHER
LOWER = glyphs.LOWER
MISSING = "-"


@dataclass(frozen=True)
class MetricDirections:
    """Which metrics are better low or high; names not listed follow the approval rule."""

    lower: frozenset[str] = frozenset()
    higher: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Any) -> MetricDirections:
        """From `Settings.metrics` (or None: no config file, only the approval rule)."""
        metrics = getattr(settings, "metrics", None)
        if metrics is None:
            return cls()
        return cls(frozenset(metrics.lower_is_better), frozenset(metrics.higher_is_better))

    def lower_is_better(self, metric: str) -> bool:
        if metric in self.lower:
            return True
        if metric in self.higher:
            return False
        return policy.lower_is_better(metric)


@dataclass(frozen=True)
class Subject:
    """One column of a comparison: a run, or a model version."""

    key: str  # unique among the compared: a run id, or "model/version"
    label: str  # the column header
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)
    run_id: str = ""
    backend: str = ""
    order: float = 0.0  # the x of a per-version chart (the version number)


@dataclass(frozen=True)
class Row:
    group: str  # one of GROUPS
    key: str
    values: tuple[Any, ...]  # raw values, None where a subject has none
    cells: tuple[str, ...]  # display text, with BEST after the best value(s)
    differs: bool
    best: tuple[int, ...] = ()  # column indices holding the best value
    lower_is_better: bool | None = None  # metrics only

    @property
    def label(self) -> str:
        if self.lower_is_better is None:
            return self.key
        return f"{self.key} {LOWER if self.lower_is_better else HIGHER}"


@dataclass(frozen=True)
class Comparison:
    subjects: tuple[Subject, ...]
    rows: tuple[Row, ...]
    differing: tuple[Row, ...]

    def shown(self, differences_only: bool) -> tuple[Row, ...]:
        return self.differing if differences_only else self.rows

    def metric_row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.group == "metrics" and r.key == key), None)


class CompareRefused(ValueError):
    """Too few or too many subjects; the message says so in a user's words."""


def check_count(count: int, marked: bool = False) -> None:
    """2 to 8 runs; `marked`: they were marked in the Runs view (the message says how)."""
    how = "marked" if marked else "given"
    if count < MIN_SUBJECTS:
        hint = "; space marks a run" if marked else ""
        raise CompareRefused(f"compare needs at least {MIN_SUBJECTS} runs ({count} {how}{hint})")
    if count > MAX_SUBJECTS:
        raise CompareRefused(f"compare takes at most {MAX_SUBJECTS} runs at once ({count} {how})")


# -- values as text ---------------------------------------------------------------------------
def metric_text(value: float | None) -> str:
    """A metric value with every digit that tells two values apart (shortest round-trip form)."""
    if value is None:
        return MISSING
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    return text if len(text) <= 12 else f"{value:.8g}"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return MISSING
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def time_text(when: datetime | None) -> str:
    if when is None:
        return MISSING
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def version_number(version: str) -> float:
    try:
        return float(int(version))
    except ValueError:
        return math.inf


# -- subjects ---------------------------------------------------------------------------------
def run_attributes(run: Run, experiment: str = "") -> dict[str, str]:
    out = {
        "status": run.status.value,
        "duration": duration_text(run.duration_seconds),
        "start": time_text(run.start_time),
        "user": run.user or MISSING,
    }
    if experiment:
        out["experiment"] = experiment
    if run.backend:
        out["backend"] = run.backend
    return out


def run_subject(run: Run, experiment: str = "") -> Subject:
    return Subject(
        key=run.id,
        label=run.name or run.id[:8],
        params=dict(run.params),
        metrics=dict(run.metrics),
        tags=dict(run.tags),
        attributes=run_attributes(run, experiment),
        run_id=run.id,
        backend=run.backend,
    )


def version_subject(
    version: ModelVersion, run: Run | None, logged: LoggedModel | None = None, experiment: str = ""
) -> Subject:
    """A version's column: its source run's values, with its logged model's params and
    metrics over them where the version has one (MLflow 3). Alias holders are marked."""
    label = f"v{version.version}"
    if version.aliases:
        label += " " + " ".join(f"@{a}" for a in version.aliases)
    params = dict(run.params) if run else {}
    metrics = dict(run.metrics) if run else {}
    if logged is not None:
        params.update(logged.params)
        metrics.update(logged.metrics)
    from_run = run_attributes(run, experiment) if run else {}
    if run is not None:
        source = run.name or run.id
    else:  # unknown is not empty: say the run exists but is not loaded
        source = f"{version.run_id} (not loaded)" if version.run_id else MISSING
    attributes = {
        "version status": version.status,
        "aliases": ", ".join(version.aliases) or MISSING,
        "created": time_text(version.created),
        "source run": source,
        **({"logged model": logged.id} if logged is not None else {}),
        **{("run " + k if k in ("status", "start") else k): v for k, v in from_run.items()},
    }
    return Subject(
        key=f"{version.model}/{version.version}",
        label=label,
        params=params,
        metrics=metrics,
        tags=dict(run.tags) if run else {},
        attributes=attributes,
        run_id=run.id if run else version.run_id,
        backend=version.backend,
        order=version_number(version.version),
    )


# -- the comparison ---------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value)


def _same(values: Sequence[Any]) -> bool:
    first = values[0]
    for v in values[1:]:
        if v != first and not (
            isinstance(v, float) and isinstance(first, float) and math.isnan(v) and math.isnan(first)
        ):
            return False
    return True


def best_indices(values: Sequence[float | None], lower_is_better: bool) -> tuple[int, ...]:
    """Where the best value is; nothing when fewer than two values can be compared or all tie."""
    numbers = [(i, v) for i, v in enumerate(values) if v is not None and _is_number(v)]
    if len(numbers) < 2:
        return ()
    pick = min if lower_is_better else max
    best = pick(v for _, v in numbers)
    if all(v == best for _, v in numbers):
        return ()
    return tuple(i for i, v in numbers if v == best)


def _text_rows(group: str, subjects: Sequence[Subject], attr: str) -> list[Row]:
    maps = [getattr(s, attr) for s in subjects]
    keys = sorted(set().union(*maps)) if attr != "attributes" else _ordered_keys(maps)
    rows = []
    for key in keys:
        values = tuple(m.get(key) for m in maps)
        cells = tuple(MISSING if v is None else str(v) for v in values)
        rows.append(Row(group, key, values, cells, differs=not _same(values)))
    return rows


def _ordered_keys(maps: Sequence[Mapping[str, str]]) -> list[str]:
    """Attribute keys in the order the subjects give them (status, duration, start, ...)."""
    seen: dict[str, None] = {}
    for m in maps:
        for key in m:
            seen.setdefault(key, None)
    return list(seen)


def _metric_rows(subjects: Sequence[Subject], directions: MetricDirections) -> list[Row]:
    maps = [s.metrics for s in subjects]
    rows = []
    for key in sorted(set().union(*maps)):
        values = tuple(m.get(key) for m in maps)
        lower = directions.lower_is_better(key)
        best = best_indices(values, lower)
        cells = tuple(metric_text(v) + (f" {BEST}" if i in best else "") for i, v in enumerate(values))
        rows.append(Row("metrics", key, values, cells, not _same(values), best, lower))
    return rows


def compare(subjects: Sequence[Subject], directions: MetricDirections = MetricDirections()) -> Comparison:
    """Rows grouped params, metrics, tags, attributes; `differing` keeps only the rows where
    the subjects disagree (a value missing from one of them is a difference)."""
    subjects = distinct_labels(subjects)
    rows = [
        *_text_rows("params", subjects, "params"),
        *_metric_rows(subjects, directions),
        *_text_rows("tags", subjects, "tags"),
        *_text_rows("attributes", subjects, "attributes"),
    ]
    return Comparison(subjects, tuple(rows), tuple(r for r in rows if r.differs))


def distinct_labels(subjects: Sequence[Subject]) -> tuple[Subject, ...]:
    """Two runs of one name get the start of their key after it, so columns can be told apart."""
    counts: dict[str, int] = {}
    for s in subjects:
        counts[s.label] = counts.get(s.label, 0) + 1
    return tuple(replace(s, label=f"{s.label} ({s.key[:8]})") if counts[s.label] > 1 else s for s in subjects)


# -- export -----------------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return printable(text).replace("|", "\\|")


def to_markdown(comparison: Comparison, differences_only: bool = True) -> str:
    """The comparison as a GitHub Markdown table, one section row per group."""
    subjects = comparison.subjects
    header = ["", *(s.label for s in subjects)]
    lines = [
        "| " + " | ".join(_md_cell(h) for h in header) + " |",
        "|" + "---|" * len(header),
    ]
    group = ""
    for row in comparison.shown(differences_only):
        if row.group != group:
            group = row.group
            lines.append(f"| **{group}** |" + " |" * len(subjects))
        lines.append("| " + " | ".join(_md_cell(c) for c in (row.label, *row.cells)) + " |")
    note = "differences only" if differences_only else "all rows"
    return "\n".join(lines) + f"\n\n{BEST} best value; {HIGHER} higher is better, {LOWER} lower is better; {note}.\n"


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    return value


def to_json(comparison: Comparison, differences_only: bool = True) -> dict[str, Any]:
    """A plain structure for `--json`: the columns, then every shown row with its values."""
    subjects = comparison.subjects
    return {
        "columns": [{"key": s.key, "label": s.label, "run_id": s.run_id, "backend": s.backend} for s in subjects],
        "differences_only": differences_only,
        "rows": [
            {
                "group": r.group,
                "key": r.key,
                "values": {s.key: _json_value(v) for s, v in zip(subjects, r.values)},
                "differs": r.differs,
                **(
                    {
                        "better": "lower" if r.lower_is_better else "higher",
                        "best": [subjects[i].key for i in r.best],
                    }
                    if r.group == "metrics"
                    else {}
                ),
            }
            for r in comparison.shown(differences_only)
        ],
    }


# -- charts -----------------------------------------------------------------------------------
def downsample(xs: Sequence[float], ys: Sequence[float], width: int) -> tuple[list[float], list[float]]:
    """At most `width` points: `width // 2` buckets of x each keep their min and max (in x
    order), so spikes survive and the chart never gets more points than cells across."""
    n = len(xs)
    width = max(1, width)
    if n <= width:
        return list(xs), list(ys)
    ys = ys if isinstance(ys, list) else list(ys)
    buckets = max(1, width // 2)
    out_x: list[float] = []
    out_y: list[float] = []
    for b in range(buckets):
        lo, hi = b * n // buckets, (b + 1) * n // buckets
        if lo >= hi:
            continue
        seg = ys[lo:hi]  # min, max and index run in C: 8 x 10,000 points in a few ms
        i_min, i_max = lo + seg.index(min(seg)), lo + seg.index(max(seg))
        for i in (i_min, i_max) if i_min < i_max else (i_max, i_min) if i_max < i_min else (i_min,):
            out_x.append(xs[i])
            out_y.append(ys[i])
    return out_x[:width], out_y[:width]


def finite_points(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """The points whose value can be drawn (NaN and infinities cannot)."""
    xs, ys = list(xs), list(ys)
    if all(map(math.isfinite, ys)):
        return xs, ys
    keep = [i for i, y in enumerate(ys) if math.isfinite(y)]
    return [xs[i] for i in keep], [ys[i] for i in keep]


def across_versions(comparison: Comparison, metric: str) -> tuple[list[float], list[float], list[str]]:
    """One metric per version, in version order (mlflow#4806): x, y and the version labels."""
    row = comparison.metric_row(metric)
    if row is None:
        return [], [], []
    items = sorted(
        (s.order, v, s.label)
        for s, v in zip(comparison.subjects, row.values)
        if v is not None and _is_number(v) and not math.isinf(v)
    )
    return [i[0] for i in items], [i[1] for i in items], [i[2] for i in items]
