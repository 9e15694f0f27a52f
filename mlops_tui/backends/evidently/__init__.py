"""The `evidently` backend: per-feature drift history from the snapshots of an Evidently UI."""
