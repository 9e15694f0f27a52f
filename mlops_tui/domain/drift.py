"""Per-feature drift scores, from Evidently reports or a Prometheus gauge."""

from datetime import datetime

from mlops_tui.domain.base import DomainModel


class DriftScore(DomainModel):
    model: str
    feature: str
    score: float
    threshold: float
    method: str = ""
    time: datetime
    # p-value methods drift when the score falls below the threshold; distance methods above it.
    higher_is_drift: bool = True
    source: str = ""
    backend: str = ""

    @property
    def has_value(self) -> bool:
        """False for a NaN score (the source had no number); ±Inf are values, the extremes."""
        return self.score == self.score

    @property
    def drifted(self) -> bool:
        """Past the threshold; +Inf (or -Inf for p-values) is the worst drift, NaN never."""
        return self.score > self.threshold if self.higher_is_drift else self.score < self.threshold
