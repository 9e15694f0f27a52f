"""Demo drift: every feature's score is a pure function of (seed, feature, drift bucket), a
smooth wave plus bounded noise, compared against its method's threshold."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlops_tui.backends.demo import _rand
from mlops_tui.backends.demo.catalog import FEATURES, METHODS, MODELS, FeatureSpec
from mlops_tui.backends.demo.clock import HOUR
from mlops_tui.backends.demo.runs import ts_to_dt
from mlops_tui.domain import DriftScore

DRIFT_STEP = 300.0  # drift is evaluated every 5 simulated minutes
DRIFT_SAMPLES = 24


@dataclass(frozen=True, slots=True)
class Feature:
    model: str
    spec: FeatureSpec
    threshold: float
    higher_is_drift: bool
    level: float
    amp1: float
    amp2: float
    period1: float
    period2: float
    phase1: float
    phase2: float
    noise: float
    key: int

    def smooth(self, bucket: int) -> float:
        """The score's driver `z` in drift bucket `bucket` without its noise (|noise| < `noise`)."""
        bucket_ts = bucket * DRIFT_STEP
        return (
            self.level
            + self.amp1 * math.sin(math.tau * bucket_ts / self.period1 + self.phase1)
            + self.amp2 * math.sin(math.tau * bucket_ts / self.period2 + self.phase2)
        )

    def raw_score(self, driver: float) -> float:
        """The unrounded score for a driver `z`: drift once z > 1 (increasing in z when
        higher_is_drift, else a p-value that falls with z)."""
        driver = max(0.02, driver)
        return self.threshold * driver if self.higher_is_drift else min(1.0, self.threshold**driver)


class Drift:
    """Every feature of every model (by index into `features`), memoised per bucket."""

    def __init__(self, seed: int, backend: str) -> None:
        self.seed = seed
        self.backend = backend
        self.features = self._build_features()
        self._drift: dict[tuple[int, int], DriftScore] = {}
        self._scores: dict[tuple[int, int], float] = {}

    def _build_features(self) -> tuple[Feature, ...]:
        out = []
        for spec in MODELS:
            for feature in FEATURES[spec.name]:
                threshold, higher_is_drift = METHODS[feature.method]
                draw = _rand.rng(self.seed, "feature", spec.name, feature.name)
                if feature.susceptible:
                    level, amp1, amp2, noise = 0.58 + 0.06 * draw.random(), 0.42, 0.2, 0.03
                else:
                    level, amp1, amp2, noise = 0.25 + 0.25 * draw.random(), 0.12, 0.05, 0.04
                out.append(
                    Feature(
                        spec.name,
                        feature,
                        threshold,
                        higher_is_drift,
                        level,
                        amp1,
                        amp2,
                        (3.0 + 6.0 * draw.random()) * HOUR,
                        (1.0 + 1.5 * draw.random()) * HOUR,
                        draw.random() * math.tau,
                        draw.random() * math.tau,
                        noise,
                        _rand.derive(self.seed, "drift", spec.name, feature.name),
                    )
                )
        return tuple(out)

    def score(self, index: int, bucket: int) -> float:
        """Feature `index`'s raw score in drift bucket `bucket` (memoised)."""
        key = (index, bucket)
        hit = self._scores.get(key)
        if hit is not None:
            return hit
        feature = self.features[index]
        score = float(
            f"{feature.raw_score(feature.smooth(bucket) + feature.noise * _rand.mix(feature.key, bucket)):.3g}"
        )
        if len(self._scores) > 60000:
            self._scores = {held: value for held, value in self._scores.items() if held[1] > bucket - 400}
        self._scores[key] = score
        return score

    def drifted(self, index: int, bucket: int) -> bool:
        feature, score = self.features[index], self.score(index, bucket)
        return score > feature.threshold if feature.higher_is_drift else score < feature.threshold

    def drifted_range(self, index: int, first: int, last: int) -> list[bool]:
        """`drifted(index, bucket)` for every bucket from `first` to `last`, without memoising each.

        The first poll asks for a day of buckets per feature (~8,600 scores). Rounding to 3
        significant digits moves a score by under 1%, so only a score within 1% of the
        threshold is rounded (and memoised) by `score`; elsewhere the raw score decides.
        And since the noise term is bounded (|mix| < 1), most buckets are decided from the
        smooth part alone, without drawing their noise.
        """
        feature = self.features[index]
        threshold, higher_is_drift, noise = feature.threshold, feature.higher_is_drift, feature.noise
        zone_low, zone_high = 0.99 * threshold, threshold / 0.99  # where rounding can matter
        out = []
        for bucket in range(first, last + 1):
            score = self._scores.get((index, bucket))
            if score is None:
                smooth = feature.smooth(bucket)
                # the scores the noise can give lie between these two (increasing in z when higher_is_drift)
                low, high = feature.raw_score(smooth - noise), feature.raw_score(smooth + noise)
                low, high = (low, high) if higher_is_drift else (high, low)
                if low > zone_high or high < zone_low:
                    out.append((low > threshold) == higher_is_drift)
                    continue
                score = feature.raw_score(smooth + noise * _rand.mix(feature.key, bucket))
                if zone_low <= score <= zone_high:
                    score = self.score(index, bucket)
            out.append(score > threshold if higher_is_drift else score < threshold)
        return out

    def drift_score(self, index: int, bucket: int) -> DriftScore:
        """Feature `index`'s score in drift bucket `bucket`."""
        key = (index, bucket)
        hit = self._drift.get(key)
        if hit is not None:
            return hit
        feature = self.features[index]
        hit = DriftScore(
            model=feature.model,
            feature=feature.spec.name,
            score=self.score(index, bucket),
            threshold=feature.threshold,
            method=feature.spec.method,
            time=ts_to_dt(bucket * DRIFT_STEP),
            higher_is_drift=feature.higher_is_drift,
            source="evidently",
            backend=self.backend,
        )
        if len(self._drift) > 5000:
            self._drift = {held: value for held, value in self._drift.items() if held[1] > bucket - 2 * DRIFT_SAMPLES}
        self._drift[key] = hit
        return hit

    def latest(self, bucket: int) -> tuple[DriftScore, ...]:
        """The last `DRIFT_SAMPLES` scores up to `bucket` of every feature, oldest first per feature."""
        return tuple(
            self.drift_score(index, past)
            for index in range(len(self.features))
            for past in range(bucket - DRIFT_SAMPLES + 1, bucket + 1)
        )

    def streak_start(self, index: int, bucket: int) -> int:
        """First bucket of the drifted streak that includes `bucket` (looking back at most a day)."""
        start = bucket
        for past in range(bucket - 1, bucket - 289, -1):
            if not self.drifted(index, past):
                break
            start = past
        return start
