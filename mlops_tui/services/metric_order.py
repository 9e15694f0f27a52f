"""Which metrics get a column, and in what order: the same in the Runs view, a version's
detail and `mlops-tui runs list`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from mlops_tui.domain import Run

SAMPLE = 500  # runs counted: a sample is enough to tell the common metrics, and 100k runs stay cheap


def metric_order(runs: Sequence[Run], shown: Iterable[Run] | None = None, count: int | None = 3) -> list[str]:
    """The metrics of `shown` (default: `runs`), the most common across `runs` first, ties by name.

    Ranking over every run, not only the ones shown, keeps one order: a version's one run lists
    its metrics in the order the Runs view gives them columns."""
    counter: Counter[str] = Counter()
    for run in runs[:: max(1, len(runs) // SAMPLE)]:
        counter.update(run.metrics.keys())
    if shown is None:
        present = set(counter)
    else:
        present = set()
        for n, run in enumerate(shown):
            if n >= SAMPLE:
                break
            present.update(run.metrics.keys())
    ordered = sorted(present, key=lambda k: (-counter[k], k))
    return ordered if count is None else ordered[:count]
