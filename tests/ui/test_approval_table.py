"""The approval dialog's metric table: each row's values, signed delta and verdict, written by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from mlops_tui.domain import PromotionRequest
from mlops_tui.services.policy import MetricComparison
from mlops_tui.ui.dialogs.approval import comparison_table

REQUEST = PromotionRequest(model="fraud", version="7", requester="bob", requested_at=datetime(2025, 3, 3, tzinfo=UTC))


def rendered(holder: str | None, rows: list[MetricComparison]) -> list[str]:
    console = Console(width=100, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(comparison_table(REQUEST, holder, rows))
    return [" ".join(line.split()) for line in capture.get().splitlines()]


def test_each_metric_reads_candidate_champion_delta_and_which_side_is_better():
    lines = rendered(
        "6",
        [
            MetricComparison("auc", 0.875, 0.75),  # higher is better: the candidate
            MetricComparison("rmse", 3.5, 3.0),  # lower is better: the current holder
            MetricComparison("f1", 0.5, 0.5),
            MetricComparison("mae", None, 1.25),  # only the holder has it
        ],
    )
    assert lines == [
        "metric candidate v7 champion v6 delta better",
        "auc 0.875 0.75 +0.1250 ▲ candidate",
        "rmse 3.5 3 +0.5000 ▼ current",
        "f1 0.5 0.5 +0.0000 = equal",
        "mae - 1.25 -",
    ]


def test_without_a_holder_the_column_says_so():
    assert rendered(None, [MetricComparison("auc", 0.875, None)]) == [
        "metric candidate v7 no holder delta better",
        "auc 0.875 - -",
    ]
