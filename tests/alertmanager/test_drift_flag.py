"""Each Alertmanager's own drift rules mark the alerts the Drift view shows."""

from __future__ import annotations


async def test_default_rules_mark_kind_drift_and_drift_in_the_name(alertmanager_case):
    case = alertmanager_case
    case.post(
        case.alert("ModelDown", "critical", "churn", "churn-canary"),
        case.alert("FeatureSkew", "info", "fraud", "fraud-prod", kind="drift"),
        case.alert("PredictionDriftHigh", "warning", "fraud", "fraud-prod"),
    )
    backend = case.backend()
    try:
        alerts = {a.name: a for a in await backend.list_alerts()}
    finally:
        await backend.close()
    assert {n for n, a in alerts.items() if a.is_drift} == {"FeatureSkew", "PredictionDriftHigh"}


async def test_configured_rules_replace_the_defaults(alertmanager_case):
    case = alertmanager_case
    case.post(
        case.alert("PredictionDriftHigh", "warning", "fraud", "fraud-prod"),
        case.alert("DistributionShift", "warning", "fraud", "fraud-prod", team="drift-watch"),
    )
    backend = case.backend(drift_label='team="drift-watch"', drift_alertname_contains="")
    try:
        alerts = {a.name: a for a in await backend.list_alerts()}
    finally:
        await backend.close()
    assert alerts["DistributionShift"].is_drift
    assert not alerts["PredictionDriftHigh"].is_drift  # the name rule is switched off
