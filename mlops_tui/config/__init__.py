"""Configuration: the settings file, contexts, paths, secret references and identity.

This package must never import textual or rich (enforced by import-linter).
"""

from mlops_tui.config.identity import current_user
from mlops_tui.config.loader import find_settings, load_settings, parse_settings
from mlops_tui.config.settings import BackendConfig, ContextConfig, Settings
from mlops_tui.core.errors import ConfigError, SecretError
from mlops_tui.core.paths import audit_log_path, cache_dir, config_path, data_dir
from mlops_tui.core.secrets import (
    delete_secret,
    is_secret_ref,
    list_secret_names,
    resolve_secret,
    store_secret,
)

__all__ = [
    "BackendConfig",
    "ConfigError",
    "ContextConfig",
    "SecretError",
    "Settings",
    "audit_log_path",
    "cache_dir",
    "config_path",
    "current_user",
    "data_dir",
    "delete_secret",
    "find_settings",
    "is_secret_ref",
    "list_secret_names",
    "load_settings",
    "parse_settings",
    "resolve_secret",
    "store_secret",
]
