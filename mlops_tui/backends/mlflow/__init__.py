"""The `mlflow` backend: an MLflow tracking server and model registry over its REST API."""

from mlops_tui.backends.mlflow.cache import clear_cache

__all__ = ["clear_cache"]
