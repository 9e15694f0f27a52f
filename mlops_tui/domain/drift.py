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
    def drifted(self) -> bool:
        return self.score > self.threshold if self.higher_is_drift else self.score < self.threshold
