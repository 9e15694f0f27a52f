"""Backends: one module per kind, the contract in base.py, discovery in registry.py."""
