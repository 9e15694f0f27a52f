"""constraints.txt pins every dependency pyproject.toml declares, at a version pyproject allows.

A dependency added to pyproject.toml without running scripts/lock.sh would be installed by
scripts/test.sh at whatever version is newest that day; this test names it instead.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["test"]
    return [Requirement(line.split("#")[0]) for line in lines]


def pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            out[canonicalize_name(name)] = version.strip()
    return out


def test_every_declared_dependency_is_pinned_at_a_version_pyproject_allows():
    pinned = pins()
    missing = [str(r) for r in declared() if canonicalize_name(r.name) not in pinned]
    assert missing == [], f"run scripts/lock.sh: not in constraints.txt: {missing}"
    outside = [
        f"{r} (pinned {pinned[canonicalize_name(r.name)]})"
        for r in declared()
        if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    ]
    assert outside == [], f"run scripts/lock.sh: pins outside pyproject's ranges: {outside}"
