"""Run history of the demo estate: built once, compactly, and metric curves made on demand.

100k runs must stay cheap in both time and memory, so runs are made with
`Run.model_construct` (every value is built with its correct type here), param and tag
dicts are shared between runs with the same values (they are never mutated: the models
are frozen), and no metric history is stored: it is a pure function of (seed, run, key).
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from mlops_tui.backends.demo import _rand
from mlops_tui.backends.demo.catalog import (
    ADJECTIVES,
    ANIMALS,
    EXPERIMENTS,
    FAMILIES,
    HIGHER_IS_BETTER,
    USERS,
    ExperimentSpec,
)
from mlops_tui.domain import MetricPoint, Run, RunStatus

UTC = timezone.utc
DAY = 86400.0
HISTORY_DAYS = 90.0
RUNNING_AT_START = 4

# Every run sets every field, so they share one fields-set (pydantic never mutates it).
_RUN_FIELDS: set[str] = set(Run.model_fields)

# Typical training duration per family, in minutes (log-uniform between the two).
_DURATION_MIN: dict[str, tuple[float, float]] = {
    "xgboost": (3, 40),
    "lightgbm": (2, 30),
    "logistic_regression": (1, 5),
    "random_forest": (5, 30),
    "prophet": (2, 15),
    "arima": (1, 8),
    "bert-base": (40, 240),
    "lambdamart": (10, 60),
}
_FAMILY_WEIGHTS = (0.6, 0.25, 0.15)
_USER_WEIGHTS = (0.16, 0.14, 0.13, 0.12, 0.1, 0.09, 0.08, 0.07, 0.06, 0.05)


def ts_to_dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass(frozen=True, slots=True)
class ReservedRun:
    """A run the registry needs: it produced a registered model version."""

    experiment: ExperimentSpec
    family: str
    end_ts: float
    user: str


@dataclass(frozen=True, slots=True)
class PendingFinish:
    """A run RUNNING at the epoch, and how it will end."""

    position: int
    finish_ts: float
    status: RunStatus
    metrics: dict[str, float]


def run_ids(seed: int, count: int) -> list[str]:
    """The ids of the first `count` runs; the registry asks for the reserved ones only."""
    r = _rand.rng(seed, "run-ids")
    bits = r.getrandbits
    return ["%032x" % bits(128) for _ in range(count)]


def _metric_values(task: str, baseline: float, q: float, jitter: Sequence[float]) -> dict[str, float]:
    """Latest metric values of a run of quality q in [0, 1] (jitter: 4 values in [-1, 1])."""
    j0, j1, j2, j3 = jitter
    if task == "classification":
        auc = min(0.995, baseline + 0.08 * (q - 0.5) + 0.004 * j0)
        acc = min(0.999, 0.5 + 0.5 * auc + 0.01 * j1)
        f1 = max(0.05, min(0.99, auc - 0.22 + 0.03 * j2))
        logloss = max(0.02, 0.62 - 0.58 * auc + 0.01 * j3)
        return {"auc": round(auc, 4), "accuracy": round(acc, 4), "f1": round(f1, 4), "logloss": round(logloss, 4)}
    if task == "regression":
        r2 = max(0.05, min(0.97, baseline + 0.12 * (q - 0.5) + 0.01 * j0))
        rmse = 42.0 * (1.15 - r2) * (1 + 0.03 * j1)
        mae = rmse * (0.74 + 0.03 * j2)
        mape = 100.0 * (1.0 - r2) * (0.55 + 0.05 * j3)
        return {"rmse": round(rmse, 3), "mae": round(mae, 3), "mape": round(mape, 3), "r2": round(r2, 4)}
    ndcg = max(0.1, min(0.9, baseline + 0.06 * (q - 0.5) + 0.004 * j0))
    mrr = min(0.95, ndcg * (1.12 + 0.02 * j1))
    map_ = ndcg * (0.82 + 0.02 * j2)
    loss = max(0.05, 1.1 - ndcg * (1.2 + 0.03 * j3))
    return {"ndcg_at_10": round(ndcg, 4), "mrr": round(mrr, 4), "map": round(map_, 4), "loss": round(loss, 4)}


_object_setattr = object.__setattr__


def _make_run_construct(
    run_id: str,
    experiment_id: str,
    name: str,
    status: RunStatus,
    start: datetime,
    end: datetime | None,
    user: str,
    params: dict[str, str],
    metrics: dict[str, float],
    tags: dict[str, str],
    backend: str,
) -> Run:
    return Run.model_construct(
        _RUN_FIELDS,
        id=run_id,
        experiment_id=experiment_id,
        name=name,
        status=status,
        start_time=start,
        end_time=end,
        user=user,
        params=params,
        metrics=metrics,
        tags=tags,
        backend=backend,
    )


def _make_run_fast(
    run_id: str,
    experiment_id: str,
    name: str,
    status: RunStatus,
    start: datetime,
    end: datetime | None,
    user: str,
    params: dict[str, str],
    metrics: dict[str, float],
    tags: dict[str, str],
    backend: str,
) -> Run:
    """What `Run.model_construct` does, without its per-field Python loop.

    Setting the fields one by one lets CPython give the instance a key-sharing dict,
    which is 40% smaller than the dict model_construct assigns (184 bytes a run).
    """
    run = _run_new(Run)
    _object_setattr(run, "id", run_id)
    _object_setattr(run, "experiment_id", experiment_id)
    _object_setattr(run, "name", name)
    _object_setattr(run, "status", status)
    _object_setattr(run, "start_time", start)
    _object_setattr(run, "end_time", end)
    _object_setattr(run, "user", user)
    _object_setattr(run, "params", params)
    _object_setattr(run, "metrics", metrics)
    _object_setattr(run, "tags", tags)
    _object_setattr(run, "backend", backend)
    _object_setattr(run, "__pydantic_fields_set__", _RUN_FIELDS)
    _object_setattr(run, "__pydantic_extra__", None)
    _object_setattr(run, "__pydantic_private__", None)
    return run


_run_new = Run.__new__


def _pick_constructor():
    """Use the fast path only if it builds exactly what model_construct builds."""
    args = ("0" * 32, "1", "n", RunStatus.FINISHED, ts_to_dt(0.0), None, "u", {"a": "1"}, {"m": 1.0}, {}, "demo")
    try:
        fast, slow = _make_run_fast(*args), _make_run_construct(*args)
        same = (
            fast == slow
            and fast.__dict__ == slow.__dict__
            and list(fast.__dict__) == list(Run.model_fields)
            and fast.model_fields_set == slow.model_fields_set
            and not Run.__pydantic_post_init__
            and fast.__pydantic_extra__ == slow.__pydantic_extra__
            and fast.__pydantic_private__ == slow.__pydantic_private__
        )  # (not model_dump(): it would build Run's deferred serializer at import, ~4 ms)
    except Exception:  # pragma: no cover - a pydantic change; stay correct, just slower
        same = False
    return _make_run_fast if same else _make_run_construct


_make_run = _pick_constructor()


class RunBook:
    """Builds the run history once, then knows how every run's metrics evolved."""

    def __init__(
        self,
        seed: int,
        count: int,
        epoch_ts: float,
        backend: str,
        reserved: Sequence[ReservedRun],
    ) -> None:
        self.seed = seed
        self.count = count
        self.epoch_ts = epoch_ts
        self.backend = backend
        self.reserved = tuple(reserved)
        self.runs: list[Run] = []
        self._ids: list[str] = []  # run ids in the order of self.runs, for a fast find
        self.pending: list[PendingFinish] = []
        # run_id -> (planned end ts, progress at the epoch) for runs RUNNING at the epoch
        self._running_plan: dict[str, tuple[float, float]] = {}
        # run_id -> share of the curve done, for runs that failed after the epoch
        self._stopped_at: dict[str, float] = {}
        # family -> param -> value index -> quality effect
        self._effects = {
            fam: [
                [_rand.signed(seed, "effect", fam, key, i) for i in range(len(values))] for key, values in spec.params
            ]
            for fam, spec in FAMILIES.items()
        }

    # -- the build ----------------------------------------------------------------------
    def build(self) -> None:
        # Hundreds of thousands of new containers would trigger many full collections,
        # each walking every run built so far; none of them is garbage.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._build()
        finally:
            if was_enabled:
                gc.enable()
        if was_enabled:
            # Settle the new objects into the oldest generation now (in the builder's
            # thread, at start-up) rather than in a full collection during a later poll.
            gc.collect()

    def _build(self) -> None:
        seed, epoch = self.seed, self.epoch_ts
        r = _rand.rng(seed, "runs")
        rand = r.random
        ids = run_ids(seed, self.count)
        backend = self.backend
        exps = EXPERIMENTS
        exp_cum = _cumulative([e.weight for e in exps])
        fam_cum = {e.id: _cumulative(_FAMILY_WEIGHTS[: len(e.families)]) for e in exps}
        user_cum = _cumulative(_USER_WEIGHTS)
        commits = {e.id: [_rand.hex_id(seed, "commit", e.id, k, length=40) for k in range(64)] for e in exps}
        param_cache: dict[tuple, dict[str, str]] = {}
        tag_cache: dict[tuple, dict[str, str]] = {}
        empty: dict[str, float] = {}
        floats: dict[float, float] = {}
        sizes = {fam: [len(values) for _, values in spec.params] for fam, spec in FAMILIES.items()}
        statuses = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)
        n_adj, n_animal = len(ADJECTIVES), len(ANIMALS)
        runs: list[Run] = []
        plans: list[tuple[int, float, RunStatus, dict[str, float]]] = []
        n_reserved = min(len(self.reserved), self.count)
        n_running = min(RUNNING_AT_START, max(0, self.count - n_reserved))

        for i in range(self.count):
            run_id = ids[i]
            running = False
            if i < n_reserved:
                res = self.reserved[i]
                exp, family, user = res.experiment, res.family, res.user
                status = RunStatus.FINISHED
                lo, hi = _DURATION_MIN[family]
                duration = 60.0 * lo * (hi / lo) ** rand()
                end_ts = res.end_ts
                q = 0.75 + 0.2 * rand()
            else:
                x = rand()
                exp = exps[_pick(exp_cum, x)]
                family = exp.families[_pick(fam_cum[exp.id], rand())]
                user = USERS[_pick(user_cum, rand())]
                lo, hi = _DURATION_MIN[family]
                duration = 60.0 * lo * (hi / lo) ** rand()
                if i < n_reserved + n_running:
                    running = True
                    status = RunStatus.RUNNING
                    k = i - n_reserved
                    # the first finishes within minutes, so a viewer sees it happen
                    finish_ts = epoch + (180.0 + 300.0 * rand() if k == 0 else 600.0 + 4800.0 * rand())
                    elapsed = 0.3 + 0.5 * rand()  # share of the run done at the epoch
                    end_ts = finish_ts  # planned
                    duration = (finish_ts - epoch) / (1.0 - elapsed)
                    q = 0.3 + 0.6 * rand()
                else:
                    end_ts = epoch - 120.0 - HISTORY_DAYS * DAY * rand() ** 1.4
                    s = rand()
                    status = statuses[0] if s < 0.86 else statuses[1] if s < 0.95 else statuses[2]
                    q = rand()
            end_ts = float(int(end_ts))
            start_ts = float(int(end_ts - duration))

            spec = FAMILIES[family]
            effects = self._effects[family]
            idx = [int(rand() * n) for n in sizes[family]]
            pkey = (family, *idx)
            params = param_cache.get(pkey)
            if params is None:
                params = {"model_type": family}
                for (key, values), j in zip(spec.params, idx):
                    params[key] = values[j]
                param_cache[pkey] = params
            effect = 0.0
            for e, j in zip(effects, idx):
                effect += e[j]
            quality = min(1.0, max(0.0, 0.55 * q + 0.45 * (0.5 + 0.25 * effect)))
            jitter = (2 * rand() - 1, 2 * rand() - 1, 2 * rand() - 1, 2 * rand() - 1)
            final = _metric_values(exp.task, exp.baseline, quality, jitter)
            for key, value in final.items():  # share float objects: 100 bytes a run
                final[key] = floats.setdefault(value, value)

            age_days = (epoch - start_ts) / DAY
            commit_k = min(63, max(0, int(age_days / 1.5) + int(rand() * 3)))
            source_type = "JOB" if user == "ci-bot" or rand() < 0.4 else "LOCAL"
            tkey = (user, exp.id, commit_k, source_type)
            tags = tag_cache.get(tkey)
            if tags is None:
                tags = {
                    "mlflow.user": user,
                    "mlflow.source.name": exp.source,
                    "mlflow.source.type": source_type,
                    "mlflow.source.git.commit": commits[exp.id][commit_k],
                    "team": exp.team,
                }
                tag_cache[tkey] = tags

            name = f"{ADJECTIVES[int(rand() * n_adj)]}-{ANIMALS[int(rand() * n_animal)]}-{int(rand() * 1000)}"
            if running:
                progress = (epoch - start_ts) / (end_ts - start_ts)
                metrics = {k: _curve_value(seed, run_id, k, v, progress) for k, v in final.items()}
                k = i - n_reserved
                final_status = RunStatus.FAILED if k == 2 else RunStatus.FINISHED
                plans.append((i, end_ts, final_status, final if final_status == RunStatus.FINISHED else metrics))
                self._running_plan[run_id] = (end_ts, progress)
                end_dt = None
            else:
                if status == RunStatus.FAILED:
                    if rand() < 0.5:  # died before logging anything
                        metrics = empty
                    else:
                        metrics = {k: _curve_value(seed, run_id, k, v, 0.2) for k, v in final.items()}
                elif status == RunStatus.KILLED:
                    metrics = {k: _curve_value(seed, run_id, k, v, 0.5) for k, v in final.items()}
                else:
                    metrics = final
                end_dt = ts_to_dt(end_ts)
            runs.append(
                _make_run(
                    run_id, exp.id, name, status, ts_to_dt(start_ts), end_dt, user, params, metrics, tags, backend
                )
            )

        running_ids = {runs[i].id: (ts, st, m) for i, ts, st, m in plans}
        del ids, plans
        # newest first, the order MLflow lists runs in
        runs.sort(key=_start_key, reverse=True)
        self.runs = runs
        self._ids = [run.id for run in runs]
        pending = []
        for pos, run in enumerate(runs):
            if not running_ids:
                break
            plan = running_ids.pop(run.id, None)
            if plan is not None:
                pending.append(PendingFinish(pos, *plan))
        self.pending = sorted(pending, key=lambda p: p.finish_ts)

    # -- time passes ----------------------------------------------------------------------
    def finish_due(self, now_ts: float) -> bool:
        """Finish every RUNNING run whose planned end has passed; True if any did."""
        changed = False
        while self.pending and self.pending[0].finish_ts <= now_ts:
            p = self.pending.pop(0)
            old = self.runs[p.position]
            new = old.model_copy(update={"status": p.status, "end_time": ts_to_dt(p.finish_ts), "metrics": p.metrics})
            self.runs[p.position] = new
            plan = self._running_plan.pop(new.id, None)
            if plan is not None and p.status != RunStatus.FINISHED:
                self._stopped_at[new.id] = plan[1]
            changed = True
        return changed

    def find(self, run_id: str) -> Run | None:
        """The run with this id (a C-speed scan: ~5 ms at 100k, lighter than a dict index)."""
        try:
            return self.runs[self._ids.index(run_id)]
        except ValueError:
            return None

    # -- metric curves --------------------------------------------------------------------
    def metric_history(self, run: Run, key: str) -> tuple[MetricPoint, ...]:
        final_value = run.metrics.get(key)
        if final_value is None:
            return ()
        seed, run_id = self.seed, run.id
        n_full = 20 + int(_rand.unit(seed, run_id, key, "n") * 181)
        start_ts = run.start_time.timestamp()
        plan = self._running_plan.get(run_id)
        if plan is not None:  # still running: the curve so far
            end_ts, progress = plan
            target = _target_final(seed, run_id, key, final_value, progress)
            n = 20 + int(progress * (n_full - 20))
            x_end = progress
        else:
            end_ts = run.end_time.timestamp() if run.end_time else start_ts
            if run.status == RunStatus.FINISHED:
                target, x_end = final_value, 1.0
            else:  # FAILED / KILLED stopped part way; the curve ends at the logged value
                x_end = self._stopped_at.get(run_id, 0.2 if run.status == RunStatus.FAILED else 0.5)
                target = _target_final(seed, run_id, key, final_value, x_end)
            n = n_full if run.status == RunStatus.FINISHED else max(20, int(n_full * x_end))
        shape = _shape(seed, run_id, key, target)
        noise = _rand.rng(seed, run_id, key, "noise")
        span = end_ts - start_ts
        points = []
        last = n - 1
        amp = abs(shape[0] - target) * 0.04
        for i in range(n):
            x = x_end * i / last
            value = _shape_value(shape, target, x)
            if i < last:
                value += amp * (2 * noise.random() - 1) * (1 - x)
            else:
                value = final_value
            points.append(
                MetricPoint.model_construct(step=i, value=round(value, 5), timestamp=ts_to_dt(start_ts + span * x))
            )
        return tuple(points)


# -- the learning curve of one metric ------------------------------------------------------
def _shape(seed: int, run_id: str, key: str, final: float) -> tuple[float, float]:
    """(start value, steepness) of the curve ending at `final` when x = 1."""
    u = _rand.unit(seed, run_id, key, "shape")
    k = 3.0 + 3.0 * _rand.unit(seed, run_id, key, "k")
    if HIGHER_IS_BETTER.get(key, True):
        start = final * (0.55 + 0.25 * u)
    else:
        start = final * (2.0 + 2.0 * u)
    return start, k


def _shape_value(shape: tuple[float, float], final: float, x: float) -> float:
    start, k = shape
    c = (math.exp(-k * x) - math.exp(-k)) / (1.0 - math.exp(-k))
    return final + (start - final) * c


def _curve_value(seed: int, run_id: str, key: str, final: float, x: float) -> float:
    """The metric's value part way (x in [0, 1]) along a curve that would end at `final`."""
    decimals = 3 if key in ("rmse", "mae", "mape") else 4
    return round(_shape_value(_shape(seed, run_id, key, final), final, x), decimals)


def _target_final(seed: int, run_id: str, key: str, value: float, x: float) -> float:
    """Inverse of `_curve_value` for the history of a run stopped at x: the curve's end."""
    # The shape depends on the final value only through proportional start, so solve
    # value = final * (1 + (ratio - 1) * c(x)) for final.
    u = _rand.unit(seed, run_id, key, "shape")
    k = 3.0 + 3.0 * _rand.unit(seed, run_id, key, "k")
    ratio = (0.55 + 0.25 * u) if HIGHER_IS_BETTER.get(key, True) else (2.0 + 2.0 * u)
    c = (math.exp(-k * x) - math.exp(-k)) / (1.0 - math.exp(-k))
    return value / (1.0 + (ratio - 1.0) * c)


def _start_key(run: Run) -> datetime:
    return run.start_time


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    acc, out = 0.0, []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return out


def _pick(cumulative: list[float], x: float) -> int:
    return min(bisect_right(cumulative, x), len(cumulative) - 1)
