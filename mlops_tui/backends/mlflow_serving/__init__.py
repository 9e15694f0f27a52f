"""The `mlflow-serving` backend: health of models served by `mlflow models serve`."""
