"""Who is at the keyboard: the name written to the audit log and used for approvals.

One person has one identity: names are compared (and shown, and written to the audit log) in
their normal form, Unicode NFKC with case folded, so ``Carol``, ``CAROL`` and a fullwidth
``ｃａｒｏｌ`` are all ``carol``. A name holding a control or format character (a zero-width
space, a bidi override) is refused outright: it would look like someone else's name.
"""

from __future__ import annotations

import getpass
import os
import unicodedata
from typing import TYPE_CHECKING

from mlops_tui.core.errors import ConfigError

if TYPE_CHECKING:
    from mlops_tui.config.settings import Settings

USER_ENV = "MLOPS_TUI_USER"

# Unicode categories a name must not hold: controls, format characters (zero-width, bidi),
# line/paragraph separators, surrogates, private use and unassigned code points.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_MAX_LENGTH = 64


class IdentityError(ConfigError):
    """The user name from the environment or the settings file cannot identify a person."""

    heading = "identity problem"


def normalise_identity(name: str) -> str:
    """The comparable form of `name`: NFKC, case folded, NFKC again, outer spaces removed.

    Characters that cannot appear in a valid identity are dropped first, so that a name read
    back from a server (a requester tag written by an older version) still compares equal to
    the person it looks like.
    """
    kept = "".join(c for c in name if unicodedata.category(c) not in _FORBIDDEN_CATEGORIES)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", kept).casefold())
    return " ".join(folded.split())


def same_identity(a: str | None, b: str | None) -> bool:
    """True when `a` and `b` name the same person (after `normalise_identity`)."""
    if not a or not b:
        return False
    return normalise_identity(a) == normalise_identity(b)


def check_identity(raw: str, *, source: str) -> str:
    """`raw` normalised, or IdentityError when it is empty or holds a control/format character.

    `source` says where the name came from (``$MLOPS_TUI_USER``, ``user = ...``, ``the OS``).
    """
    from mlops_tui.core.text import printable

    bad = sorted({c for c in raw if unicodedata.category(c) in _FORBIDDEN_CATEGORIES})
    if bad:
        shown = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in bad[:5])
        raise IdentityError(
            f"the user name {printable(raw, 80)!s} from {source} holds invisible or control "
            f"characters ({shown}); it could pass for someone else's name",
            where=source,
            fix=f'Set {USER_ENV} (or user = "..." in the settings file) to your name typed '
            "plainly, without zero-width or direction-changing characters.",
        )
    name = normalise_identity(raw)
    if not name:
        raise IdentityError(
            f"the user name from {source} is empty",
            where=source,
            fix=f'Set {USER_ENV} (or user = "..." in the settings file) to your name.',
        )
    if len(name) > _MAX_LENGTH:
        raise IdentityError(
            f"the user name from {source} is {len(name)} characters long "
            f"(at most {_MAX_LENGTH}): {printable(name, 40)}",
            where=source,
            fix=f'Set {USER_ENV} (or user = "..." in the settings file) to your name.',
        )
    return name


def current_user(settings: Settings | None = None) -> str:
    """The normalised identity of whoever runs the app: ``$MLOPS_TUI_USER``, else ``user`` from
    the settings file, else the OS login name. IdentityError (a ConfigError, exit code 2) when
    the chosen name is unusable."""
    env = os.environ.get(USER_ENV)
    if env is not None:  # set, even to nothing: an empty name is refused, never replaced
        return check_identity(env, source=f"${USER_ENV}")
    if settings is not None and settings.user is not None and settings.user != "":
        return check_identity(settings.user, source="user in the settings file")
    try:
        name = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (containers)
        return "unknown"
    try:
        return check_identity(name, source="the operating system's login name")
    except IdentityError:
        return "unknown"
