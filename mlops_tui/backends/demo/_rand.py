"""Stable, process-independent randomness for the demo world.

Python's `hash()` of a string changes from process to process, so every seed here comes
from blake2b over the `repr` of plain values (ints, strs, floats), which is stable.
"""

from __future__ import annotations

import hashlib
import random

_SCALE = 1.0 / 2**64


def derive(*parts: object) -> int:
    """A 64-bit integer determined by `parts` alone."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def unit(*parts: object) -> float:
    """A float in [0, 1) determined by `parts` alone."""
    return derive(*parts) * _SCALE


def signed(*parts: object) -> float:
    """A float in [-1, 1) determined by `parts` alone."""
    return derive(*parts) * _SCALE * 2.0 - 1.0


def rng(*parts: object) -> random.Random:
    """A private `random.Random` seeded from `parts` (never the global generator)."""
    return random.Random(derive(*parts))


def hex_id(*parts: object, length: int = 32) -> str:
    """A hex identifier of `length` characters determined by `parts`."""
    size = (length + 1) // 2
    return hashlib.blake2b(repr(parts).encode(), digest_size=size).hexdigest()[:length]


_MASK = (1 << 64) - 1


def mix(key: int, n: int) -> float:
    """A cheap float in [-1, 1) from a derived `key` and an integer `n` (splitmix64).

    Used in the hot paths (a noise value per entity per time bucket), where hashing a
    repr with blake2b would cost several times more.
    """
    z = (key + (n + 1) * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z ^= z >> 31
    return z * _SCALE * 2.0 - 1.0
