"""The `prometheus` backend: drift scores read from a gauge through Prometheus's HTTP API."""
