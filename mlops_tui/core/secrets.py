"""Secret references: ``keyring:NAME`` (the OS keyring) and ``env:VAR`` (an environment variable).

Config files never hold secrets themselves; they hold one of these references. Values live in
the keyring under the service ``mlops-tui``. Because keyring cannot list what it holds, the
names we stored are kept in an index entry in the keyring itself (names only, never values).

keyring is imported lazily: it is slow to import and most commands never touch it.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import os
import re
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, TypeVar, cast

from mlops_tui.core.errors import SecretError

T = TypeVar("T")

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
def _keyring() -> ModuleType:
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


def _call(action: str, fn: Callable[..., T], *args: object) -> T:
    from keyring.errors import KeyringError

    try:
        return fn(*args)
    except KeyringError as exc:
        raise _failure(action, exc) from None


def _read_index(kr: ModuleType) -> list[str]:
    raw: str | None = _call("read the list of secret names", kr.get_password, SERVICE, INDEX_ENTRY)
    if not raw:
        return []
    try:
        names = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(names, list):
        return []
    return sorted({n for n in names if isinstance(n, str)})


def _write_index(kr: ModuleType, names: list[str]) -> None:
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
# Every secret this process resolved: a server that echoes a token back in an error body or in
# its data must not get it onto a screen, into a notification, the audit log or a log file.
# Each secret is kept with the forms it takes once encoded (JSON, repr, URL), so a text that
# was already escaped by someone else is masked too; callers should still mask first.
_RESOLVED: dict[str, tuple[str, ...]] = {}
_PATTERN: re.Pattern[str] | None = None  # every form of every secret, longest first
MASK = "••••••"
# A cut text may end in the first characters of a secret; from this many on they are masked.
PREFIX_MIN = 6
_CUT_MARKS = ("…", "...")  # how this app (and most servers) mark a cut


def _base64_forms(secret: str) -> set[str]:
    """The base64 text that encodes `secret` wherever it sits in the encoded bytes (as the
    password does in a basic-auth header, ``base64(user:password)``): one per alignment,
    without the characters that also carry bits of what comes before or after it."""
    raw = secret.encode("utf-8")
    if len(raw) < 9:  # shorter needles (under 8 characters) would match ordinary text
        return set()
    forms = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw + b"\0\0").decode("ascii")
        first = -(-8 * offset // 6)  # characters carrying bits of the bytes before it
        last = 8 * (offset + len(raw)) // 6  # characters carrying only its own bits end here
        forms.add(encoded[first:last])
    return forms


def _forms(secret: str) -> tuple[str, ...]:
    from urllib.parse import quote, quote_plus

    forms = {
        secret,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        *_base64_forms(secret),
    }
    # longest first: a form that contains another must be replaced before it
    return tuple(sorted(forms, key=len, reverse=True))


def _mask_cut_end(text: str) -> str:
    """Mask a secret's prefix (≥ PREFIX_MIN characters) that ends where a cut marker starts:
    the rest of that secret was cut away, its start must not stay behind."""
    for mark in _CUT_MARKS:
        if text.endswith(mark):
            body = text[: -len(mark)]
            break
    else:
        return text
    for forms in tuple(_RESOLVED.values()):  # another thread may resolve a secret meanwhile
        for form in forms:
            head = form[:PREFIX_MIN]
            tail = body[-(len(form) - 1) :] if len(form) > 1 else ""
            i = tail.find(head)
            while i != -1:
                if form.startswith(tail[i:]):
                    return body[: len(body) - len(tail) + i] + MASK + mark
                i = tail.find(head, i + 1)
    return text


def _mask(text: str) -> str:
    """`text` with every whole secret (in any of its encoded forms) replaced by the mask."""
    pattern = _PATTERN
    if pattern is None or pattern.search(text) is None:
        return text
    return pattern.sub(MASK, text)


def redact(text: str, limit: int | None = None, marker: str = "…") -> str:
    """`text` with every secret this process resolved replaced by a mask.

    With `limit`, the masked text is then cut to at most `limit` characters (ending in
    `marker`). A secret's first characters left just before a cut marker (``…`` or ``...``),
    as a cut made elsewhere leaves them, are masked too. Masking happens on the whole text,
    before the cut, so a cut made here never leaves part of a secret.
    """
    text = _mask(text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - len(marker), 0)] + marker
    if _RESOLVED and text.endswith(_CUT_MARKS):
        text = _mask_cut_end(text)
    return text


def redact_data(value: T) -> T:
    """`value` (str, mapping, sequence, pydantic model, dataclass, nested) with every resolved
    secret masked in every string, keys included; the same object when nothing changed."""
    pattern = _PATTERN
    if pattern is None:
        return value
    # One C-speed search over every string first: data that holds no secret (nearly always)
    # costs one pass that collects strings, not a rebuild of every model.
    joined = "\x00".join(_strings(value))
    if not any(form in joined for forms in tuple(_RESOLVED.values()) for form in forms):
        return value  # `in` is a fast substring search; one regex over it all is not
    return cast(T, _redact_deep(value))  # the same shape, rebuilt with masked strings


def _strings(value: Any) -> list[str]:
    """Every string inside `value` (keys included), in no particular order."""
    out: list[str] = []
    append, stack = out.append, [value]
    push = stack.append
    while stack:
        v = stack.pop()
        t = type(v)
        if t is str:
            append(v)
        elif t in _MODEL_TYPES or (t not in _PLAIN and hasattr(v, "__pydantic_fields__")):
            _MODEL_TYPES.add(t)
            stack.extend(v.__dict__.values())
        elif t is dict:
            for k, x in v.items():
                append(k) if type(k) is str else push(k)
                append(x) if type(x) is str else push(x)
        elif t is tuple or t is list:
            stack.extend(v)
        elif t in _PLAIN or v is None:
            continue
        elif isinstance(v, str):  # str enums
            append(v)
        elif isinstance(v, Mapping):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            stack.extend(getattr(v, f.name) for f in dataclasses.fields(v))
    return out


_MODEL_TYPES: set[type] = set()  # pydantic model classes met so far (a set lookup, not hasattr)
_PLAIN = frozenset({int, float, bool, type(None), datetime.datetime, datetime.date})


def _redact_deep(value: Any) -> Any:
    if isinstance(value, str):
        return _mask(value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, Mapping):
        out = {}
        changed = False
        for k, v in value.items():
            nk, nv = _redact_deep(k), _redact_deep(v)
            changed = changed or nk is not k or nv is not v
            out[nk] = nv
        return out if changed else value
    if isinstance(value, (list, tuple)):
        items = [_redact_deep(v) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return tuple(items) if isinstance(value, tuple) else items
    fields = getattr(type(value), "model_fields", None)  # a pydantic model
    if fields is not None:
        update = {}
        for name in fields:
            old = getattr(value, name, None)
            new = _redact_deep(old)
            if new is not old:
                update[name] = new
        return value.model_copy(update=update) if update else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        update = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            new = _redact_deep(old)
            if new is not old:
                update[f.name] = new
        return dataclasses.replace(value, **update) if update else value
    return value


def _remember(value: str) -> str:
    global _PATTERN
    if len(value) >= 4:  # shorter values would mask ordinary words
        _RESOLVED[value] = _forms(value)
        forms = sorted({f for fs in _RESOLVED.values() for f in fs}, key=len, reverse=True)
        _PATTERN = re.compile("|".join(map(re.escape, forms)))
    return value


# -- resolving references ----------------------------------------------------------------------
def resolve_secret(ref: str) -> str:
    """The secret a ``keyring:NAME`` or ``env:VAR`` reference points at (masked from now on)."""
    return _remember(_resolve(ref))


def resolve_reference(ref: str) -> str:
    """What a reference points at when it is no secret (a user name): not masked."""
    return _resolve(ref)


def forget_resolved() -> None:
    """Forget every secret resolved so far (between test cases; a process never needs it)."""
    global _PATTERN
    _RESOLVED.clear()
    _PATTERN = None


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
        stored: str | None = _call(f"read {name!r}", kr.get_password, SERVICE, name)
        if stored is None:
            raise SecretError(
                f"there is no secret named {name!r} in the keyring",
                fix=f"Run `mlops-tui auth set {name}` to store it.",
            )
        return stored
    # Never echo the value: it may well be a pasted secret.
    raise SecretError(
        "a secret must be given as a reference, not written out",
        fix='Write "keyring:NAME" (after `mlops-tui auth set NAME`) or "env:VAR".',
    )
