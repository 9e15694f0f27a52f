"""mlops-tui: one keyboard-driven view of runs, registry, deployments, drift and alerts."""

# The only place the version is written: pyproject.toml reads it at build time
# ([tool.setuptools.dynamic]), and `mlops-tui --version` prints it without a metadata lookup.
__version__ = "0.1.0"
