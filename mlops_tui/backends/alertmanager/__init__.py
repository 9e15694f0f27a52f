"""The `alertmanager` backend: Prometheus Alertmanager's API v2 (alerts, silences, acks).

Kept free of imports so that `drift_rules` can be used without loading the HTTP client.
"""
