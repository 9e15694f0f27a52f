"""Backend text made safe for a plain terminal (headless commands): no control characters."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(value: object) -> str:
    """`value` as text with every control character written as a visible \\xNN escape."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text).replace("\t", " ")
