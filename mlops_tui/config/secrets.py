"""Secret references: ``keyring:NAME`` (the OS keyring) and ``env:VAR`` (an environment variable).

Config files never hold secrets themselves; they hold one of these references. Values live in
the keyring under the service ``mlops-tui``. Because keyring cannot list what it holds, the
names we stored are kept in an index entry in the keyring itself (names only, never values).

keyring is imported lazily: it is slow to import and most commands never touch it.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from mlops_tui.config.errors import SecretError

SERVICE = "mlops-tui"
INDEX_ENTRY = "__mlops_tui_secret_index__"
KEYRING_PREFIX = "keyring:"
ENV_PREFIX = "env:"

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

NO_KEYRING_FIX = (
    "No usable keyring backend was found on this machine. Two ways out:\n"
    '  1. reference an environment variable instead: token = "env:MY_TOKEN" and export MY_TOKEN\n'
    "  2. pip install keyrings.alt  (note: it stores secrets in a plain-text file)"
)

# Option keys whose values are secrets; matched on the whole key or its last _-separated words.
_SECRET_WORDS = (
    "token",
    "password",
    "passwd",
    "secret",
    "api_key",
    "apikey",
    "secret_key",
    "private_key",
    "access_key",
)


def is_secret_key(key: str) -> bool:
    """True for option keys that hold secrets (token, password, client_secret, api-key, ...)."""
    k = key.strip().lower().replace("-", "_")
    return any(k == w or k.endswith("_" + w) for w in _SECRET_WORDS)


def is_secret_ref(value: Any) -> bool:
    """True when `value` is a well-formed ``keyring:NAME`` or ``env:VAR`` reference."""
    if not isinstance(value, str):
        return False
    if value.startswith(KEYRING_PREFIX):
        return _NAME_RE.fullmatch(value[len(KEYRING_PREFIX) :]) is not None
    if value.startswith(ENV_PREFIX):
        return _ENV_RE.fullmatch(value[len(ENV_PREFIX) :]) is not None
    return False


def check_secret_name(name: str) -> str:
    """Validate a keyring entry name as used in ``keyring:NAME`` and ``auth set NAME``."""
    if not isinstance(name, str) or _NAME_RE.fullmatch(name) is None:
        raise SecretError(
            f"{name!r} is not a usable secret name",
            fix="Use letters, digits, '.', '_', '-' or '@', starting with a letter or digit (for example prod-mlflow).",
        )
    return name


# -- keyring access ----------------------------------------------------------------------------
def _keyring():
    """The keyring module, after checking that a real backend is available."""
    import keyring
    from keyring.backends import chainer, fail, null

    backend = keyring.get_keyring()
    unusable = isinstance(backend, (fail.Keyring, null.Keyring)) or (
        isinstance(backend, chainer.ChainerBackend) and not backend.backends
    )
    if unusable:
        raise SecretError("there is no keyring to keep secrets in", fix=NO_KEYRING_FIX)
    return keyring


def _failure(action: str, exc: Exception) -> SecretError:
    from keyring.errors import NoKeyringError

    if isinstance(exc, NoKeyringError):
        return SecretError("there is no keyring to keep secrets in", fix=NO_KEYRING_FIX)
    return SecretError(
        f"the keyring refused to {action}: {type(exc).__name__}: {exc}",
        fix="Unlock your keyring (or log in to the desktop session) and try again; "
        'or use an "env:VAR" reference instead.',
    )


def _call(action: str, fn, *args):
    from keyring.errors import KeyringError

    try:
        return fn(*args)
    except KeyringError as exc:
        raise _failure(action, exc) from None


def _read_index(kr) -> list[str]:
    raw = _call("read the list of secret names", kr.get_password, SERVICE, INDEX_ENTRY)
    if not raw:
        return []
    try:
        names = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(names, list):
        return []
    return sorted({n for n in names if isinstance(n, str)})


def _write_index(kr, names: list[str]) -> None:
    _call(
        "update the list of secret names",
        kr.set_password,
        SERVICE,
        INDEX_ENTRY,
        json.dumps(sorted(set(names))),
    )


def store_secret(name: str, value: str) -> None:
    """Store `value` in the keyring under ``mlops-tui``/`name`."""
    check_secret_name(name)
    if not value:
        raise SecretError(f"refusing to store an empty secret for {name!r}", fix="Enter a value.")
    kr = _keyring()
    _call(f"store {name!r}", kr.set_password, SERVICE, name, value)
    names = _read_index(kr)
    if name not in names:
        _write_index(kr, [*names, name])


def delete_secret(name: str) -> None:
    """Remove `name` from the keyring; SecretError if there is no such secret."""
    from keyring.errors import KeyringError, PasswordDeleteError

    check_secret_name(name)
    kr = _keyring()
    names = _read_index(kr)
    try:
        kr.delete_password(SERVICE, name)
    except PasswordDeleteError:
        if name in names:  # index out of step with the keyring: heal it
            _write_index(kr, [n for n in names if n != name])
        raise SecretError(
            f"there is no secret named {name!r} in the keyring",
            fix="See the stored names with `mlops-tui auth list`.",
        ) from None
    except KeyringError as exc:
        raise _failure(f"delete {name!r}", exc) from None
    if name in names:
        _write_index(kr, [n for n in names if n != name])


def list_secret_names() -> list[str]:
    """Names stored through mlops-tui (never the values), sorted."""
    return _read_index(_keyring())


# -- redaction ---------------------------------------------------------------------------------
# Every secret this process resolved: a server that echoes a token back in an error body must
# not get it into a status message, a notification, the audit log or a log file.
_RESOLVED: set[str] = set()
MASK = "••••••"


def redact(text: str) -> str:
    """`text` with every secret this process has resolved replaced by a mask."""
    for secret in _RESOLVED:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _remember(value: str) -> str:
    if len(value) >= 4:  # shorter values would mask ordinary words
        _RESOLVED.add(value)
    return value


# -- resolving references ----------------------------------------------------------------------
def resolve_secret(ref: str) -> str:
    """The secret a ``keyring:NAME`` or ``env:VAR`` reference points at."""
    return _remember(_resolve(ref))


def _resolve(ref: str) -> str:
    if isinstance(ref, str) and ref.startswith(ENV_PREFIX):
        var = ref[len(ENV_PREFIX) :]
        if _ENV_RE.fullmatch(var) is None:
            raise SecretError(
                "an env: reference does not name an environment variable",
                fix='Write "env:VAR" where VAR is letters, digits and underscores.',
            )
        value = os.environ.get(var)
        if value is None:
            raise SecretError(
                f"environment variable {var} is not set",
                fix=f"export {var}=... before starting mlops-tui, or store the secret with "
                f"`mlops-tui auth set NAME` and write keyring:NAME.",
            )
        if value == "":
            raise SecretError(
                f"environment variable {var} is empty",
                fix=f"Give {var} the secret's value, or use a keyring:NAME reference.",
            )
        return value
    if isinstance(ref, str) and ref.startswith(KEYRING_PREFIX):
        name = ref[len(KEYRING_PREFIX) :]
        if _NAME_RE.fullmatch(name) is None:
            raise SecretError(
                "a keyring: reference does not name a keyring entry",
                fix='Write "keyring:NAME", e.g. keyring:prod-mlflow.',
            )
        kr = _keyring()
        value = _call(f"read {name!r}", kr.get_password, SERVICE, name)
        if value is None:
            raise SecretError(
                f"there is no secret named {name!r} in the keyring",
                fix=f"Run `mlops-tui auth set {name}` to store it.",
            )
        return value
    # Never echo the value: it may well be a pasted secret.
    raise SecretError(
        "a secret must be given as a reference, not written out",
        fix='Write "keyring:NAME" (after `mlops-tui auth set NAME`) or "env:VAR".',
    )
