"""The fixed cast of the demo estate: experiments, models, deployments, features, people.

Everything here is static data; the seed only decides the details drawn from it.
"""

from __future__ import annotations

from dataclasses import dataclass

USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
APPROVERS = ("alice", "grace", "heidi")
CI_USER = "ci-bot"

ADJECTIVES = (
    "amazing",
    "bold",
    "brave",
    "calm",
    "clever",
    "crisp",
    "dapper",
    "eager",
    "fearless",
    "gentle",
    "glamorous",
    "honest",
    "jovial",
    "keen",
    "lucky",
    "merciful",
    "nimble",
    "polite",
    "quirky",
    "rare",
    "redolent",
    "sassy",
    "shiny",
    "silent",
    "spry",
    "stately",
    "sunny",
    "tasteful",
    "thundering",
    "upbeat",
    "valuable",
    "vaunted",
    "wise",
    "zealous",
)
ANIMALS = (
    "ant",
    "bat",
    "bear",
    "bee",
    "boar",
    "carp",
    "cat",
    "colt",
    "crab",
    "crane",
    "deer",
    "doe",
    "dove",
    "eel",
    "elk",
    "finch",
    "fox",
    "frog",
    "goat",
    "gull",
    "hare",
    "hawk",
    "hen",
    "hog",
    "jay",
    "koi",
    "lark",
    "lynx",
    "mink",
    "mole",
    "moth",
    "newt",
    "owl",
    "ox",
    "panda",
    "perch",
    "pig",
    "ram",
    "rat",
    "robin",
    "seal",
    "shrew",
    "slug",
    "snail",
    "squid",
    "stag",
    "swan",
    "toad",
    "trout",
    "wasp",
    "whale",
    "wolf",
    "worm",
    "wren",
    "yak",
)


@dataclass(frozen=True, slots=True)
class FamilySpec:
    """One model family: its hyper-parameter grid, as strings the way MLflow stores them."""

    name: str
    params: tuple[tuple[str, tuple[str, ...]], ...]


_GBM = (
    ("learning_rate", ("0.01", "0.03", "0.05", "0.1", "0.2", "0.3")),
    ("max_depth", ("3", "4", "5", "6", "7", "8", "10", "12")),
    ("n_estimators", ("100", "200", "300", "500", "800", "1000")),
    ("subsample", ("0.6", "0.7", "0.8", "0.9", "1.0")),
)

FAMILIES: dict[str, FamilySpec] = {
    f.name: f
    for f in (
        FamilySpec("xgboost", _GBM + (("colsample_bytree", ("0.5", "0.7", "0.9", "1.0")),)),
        FamilySpec("lightgbm", _GBM + (("num_leaves", ("15", "31", "63", "127")),)),
        FamilySpec(
            "logistic_regression",
            (
                ("C", ("0.01", "0.1", "1.0", "10.0")),
                ("penalty", ("l1", "l2", "elasticnet")),
                ("solver", ("saga", "liblinear")),
                ("max_iter", ("200", "500", "1000")),
            ),
        ),
        FamilySpec(
            "random_forest",
            (
                ("n_estimators", ("100", "200", "500", "1000")),
                ("max_depth", ("6", "8", "12", "16", "None")),
                ("min_samples_leaf", ("1", "2", "5", "10")),
                ("max_features", ("sqrt", "log2", "0.5")),
            ),
        ),
        FamilySpec(
            "prophet",
            (
                ("changepoint_prior_scale", ("0.001", "0.01", "0.05", "0.1", "0.5")),
                ("seasonality_mode", ("additive", "multiplicative")),
                ("seasonality_prior_scale", ("0.1", "1.0", "10.0")),
                ("horizon_days", ("14", "28")),
            ),
        ),
        FamilySpec(
            "arima",
            (
                ("p", ("1", "2", "3")),
                ("d", ("0", "1")),
                ("q", ("0", "1", "2")),
                ("seasonal", ("true", "false")),
            ),
        ),
        FamilySpec(
            "bert-base",
            (
                ("learning_rate", ("1e-5", "2e-5", "3e-5", "5e-5")),
                ("batch_size", ("16", "32", "64")),
                ("epochs", ("2", "3", "4")),
                ("warmup_steps", ("0", "500", "1000")),
                ("max_seq_length", ("128", "256")),
            ),
        ),
        FamilySpec(
            "lambdamart",
            (
                ("learning_rate", ("0.02", "0.05", "0.1")),
                ("n_estimators", ("300", "600", "1000")),
                ("num_leaves", ("31", "63", "127")),
                ("min_data_in_leaf", ("20", "50", "100")),
            ),
        ),
    )
}

# task -> metric keys, and whether a larger value is better for each.
TASK_METRICS: dict[str, tuple[tuple[str, bool], ...]] = {
    "classification": (("auc", True), ("accuracy", True), ("f1", True), ("logloss", False)),
    "regression": (("rmse", False), ("mae", False), ("mape", False), ("r2", True)),
    "ranking": (("ndcg_at_10", True), ("mrr", True), ("map", True), ("loss", False)),
}
HIGHER_IS_BETTER: dict[str, bool] = {k: hib for ms in TASK_METRICS.values() for k, hib in ms}


@dataclass(frozen=True, slots=True)
class ExperimentSpec:
    id: str
    name: str
    task: str
    team: str
    weight: float
    families: tuple[str, ...]
    source: str
    description: str
    baseline: float  # how good a middling run is (auc / r2-ish / ndcg scale)


EXPERIMENTS: tuple[ExperimentSpec, ...] = (
    ExperimentSpec(
        "1",
        "fraud-detection",
        "classification",
        "risk-ml",
        0.35,
        ("xgboost", "lightgbm", "logistic_regression"),
        "pipelines/fraud/train.py",
        "Card-not-present fraud scoring on authorisation events.",
        0.935,
    ),
    ExperimentSpec(
        "2",
        "churn-prediction",
        "classification",
        "growth-ml",
        0.25,
        ("lightgbm", "xgboost", "random_forest"),
        "pipelines/churn/train.py",
        "30-day subscriber churn propensity.",
        0.845,
    ),
    ExperimentSpec(
        "3",
        "demand-forecast",
        "regression",
        "supply-ml",
        0.20,
        ("prophet", "lightgbm", "arima"),
        "pipelines/demand/train.py",
        "Daily per-store demand forecast, 28-day horizon.",
        0.82,
    ),
    ExperimentSpec(
        "4",
        "search-ranking",
        "ranking",
        "search-ml",
        0.20,
        ("bert-base", "lambdamart"),
        "pipelines/ranking/train.py",
        "Second-stage re-ranker for product search.",
        0.46,
    ),
)
EXPERIMENT_BY_NAME = {e.name: e for e in EXPERIMENTS}


@dataclass(frozen=True, slots=True)
class Timing:
    """Hand-written history of one recent version, in hours before the epoch."""

    created_h: float
    requested_h: float | None = None
    decided_h: float | None = None
    requester: str = ""
    note: str = ""
    decider: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    experiment: str
    family: str
    description: str
    # Outcome of versions 2..n: A approved to champion, R rejected, N never requested,
    # P still pending at the epoch. Version 1 starts as champion.
    plan: str
    # Timings of the last len(recent) versions; older ones are spread over the 90 days before.
    recent: tuple[Timing, ...]
    stale_days: float = 30.0

    @property
    def version_count(self) -> int:
        return len(self.plan) + 1


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "fraud-xgb",
        "fraud-detection",
        "xgboost",
        "Gradient-boosted fraud scorer behind the authorisation API.",
        "ARANARAP",
        (
            Timing(96.0, 70.0, 50.0, "carol", "Retrained on last month's chargebacks.", "alice"),
            Timing(7.0, 3.0, None, "bob", "AUC +0.8pt on the holdout, p95 latency unchanged in shadow."),
        ),
    ),
    ModelSpec(
        "churn-lgbm",
        "churn-prediction",
        "lightgbm",
        "Weekly churn propensity scores for the retention team.",
        "ANARAN",
        (
            Timing(72.0, 26.0, 20.0, "dave", "Adds support-ticket features; lift@10% 3.1 -> 3.4.", "alice"),
            Timing(4.0),
        ),
    ),
    ModelSpec(
        "demand-prophet",
        "demand-forecast",
        "prophet",
        "Store-level demand forecast feeding replenishment.",
        "RANR",
        (
            Timing(47 * 24.0, 46 * 24.0, 45 * 24.0, "erin", "Multiplicative seasonality; MAPE -0.6pt.", "grace"),
            Timing(20 * 24.0),
            Timing(
                48.0,
                30.0,
                10.0,
                "erin",
                "Holiday regressors from the new calendar.",
                "alice",
                "MAPE regresses on holiday weeks (+3.1%); retrain with the 2024 calendar.",
            ),
        ),
    ),
    ModelSpec(
        "ranker-bert",
        "search-ranking",
        "bert-base",
        "Cross-encoder re-ranker for the top 50 search results.",
        "AARANP",
        (
            Timing(144.0),
            Timing(30.0, 20.0, None, "carol", "NDCG@10 +1.2% offline; shadow traffic clean for 18 h."),
        ),
    ),
)

PROMOTION_NOTES = (
    "Beats champion on the weekly backtest.",
    "Retrained with fresh labels.",
    "Fixes the leakage found in the last postmortem.",
    "Smaller model, same quality, half the latency.",
    "Calibration improved (ECE 0.031 -> 0.018).",
    "New features from the streaming pipeline.",
)
REJECT_REASONS = (
    "Regresses on the small-merchant slice.",
    "Latency p95 +40% in shadow; not worth it.",
    "Offline gain within noise; rerun with more seeds.",
    "Training data window includes the outage week.",
    "MAPE regresses on holiday weeks; retrain with the new calendar.",
)


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    name: str
    model: str
    alias: str
    environment: str
    replicas: int
    base_latency_ms: float
    slo_latency_ms: float
    base_rps: float
    base_error_rate: float
    incident_rate: float  # probability of an incident in each incident window

    @property
    def endpoint(self) -> str:
        return f"https://{self.name}.ml.example.com/v1/predict"


DEPLOYMENTS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec("fraud-api-prod", "fraud-xgb", "champion", "prod", 6, 42.0, 120.0, 850.0, 0.0015, 0.50),
    DeploymentSpec("fraud-api-canary", "fraud-xgb", "challenger", "canary", 2, 47.0, 120.0, 90.0, 0.0025, 0.60),
    DeploymentSpec("churn-batch-scorer", "churn-lgbm", "champion", "prod", 3, 950.0, 2500.0, 14.0, 0.0010, 0.45),
    DeploymentSpec("demand-api", "demand-prophet", "champion", "prod", 4, 160.0, 400.0, 140.0, 0.0020, 0.50),
    DeploymentSpec("ranker-online", "ranker-bert", "champion", "prod", 8, 58.0, 150.0, 2300.0, 0.0008, 0.50),
    DeploymentSpec("ranker-shadow", "ranker-bert", "challenger", "staging", 2, 66.0, 150.0, 230.0, 0.0030, 0.55),
)

ERROR_WARN = 0.02  # error rate above which a deployment is degraded / alerts (warning)
ERROR_CRIT = 0.05  # critical error-rate alert threshold


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    method: str
    susceptible: bool  # drifts across its threshold from time to time


# method -> (threshold, higher_is_drift)
METHODS: dict[str, tuple[float, bool]] = {
    "psi": (0.2, True),
    "ks": (0.05, False),  # a p-value: drift when it falls below the threshold
    "wasserstein": (0.1, True),
    "jensenshannon": (0.1, True),
}

PREDICTION_FEATURE = "prediction"

FEATURES: dict[str, tuple[FeatureSpec, ...]] = {
    "fraud-xgb": (
        FeatureSpec("transaction_amount", "psi", True),
        FeatureSpec("merchant_category", "jensenshannon", False),
        FeatureSpec("hour_of_day", "psi", False),
        FeatureSpec("card_age_days", "ks", True),
        FeatureSpec("distance_from_home_km", "wasserstein", False),
        FeatureSpec("txn_count_24h", "psi", False),
        FeatureSpec(PREDICTION_FEATURE, "psi", True),
    ),
    "churn-lgbm": (
        FeatureSpec("tenure_months", "ks", False),
        FeatureSpec("monthly_charges", "wasserstein", True),
        FeatureSpec("support_tickets_30d", "psi", True),
        FeatureSpec("contract_type", "jensenshannon", False),
        FeatureSpec("days_since_login", "ks", False),
        FeatureSpec(PREDICTION_FEATURE, "psi", False),
    ),
    "demand-prophet": (
        FeatureSpec("price", "wasserstein", False),
        FeatureSpec("promo_flag", "psi", True),
        FeatureSpec("temperature_c", "ks", True),
        FeatureSpec("day_of_week", "psi", False),
        FeatureSpec("store_traffic", "wasserstein", False),
        FeatureSpec(PREDICTION_FEATURE, "ks", False),
    ),
    "ranker-bert": (
        FeatureSpec("query_length", "psi", False),
        FeatureSpec("click_through_rate", "wasserstein", True),
        FeatureSpec("doc_freshness_days", "ks", False),
        FeatureSpec("user_segment", "jensenshannon", False),
        FeatureSpec("results_count", "psi", False),
        FeatureSpec("session_depth", "ks", True),
        FeatureSpec("embedding_norm", "wasserstein", False),
        FeatureSpec(PREDICTION_FEATURE, "psi", True),
    ),
}

TEAM_BY_MODEL = {m.name: EXPERIMENT_BY_NAME[m.experiment].team for m in MODELS}

RUNBOOK_BASE = "https://runbooks.example.com/ml"
PROMETHEUS_BASE = "https://prometheus.example.com"
