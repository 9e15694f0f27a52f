"""mlops-tui: one keyboard-driven view of runs, registry, deployments, drift and alerts."""

__version__ = "0.1.0"
