"""The private names of Textual the app uses still exist on the pinned Textual, and are reached in one place.

An upgrade of Textual that renames or removes one of them fails here, by name, before any
user sees a blank footer or wrong colours.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from textual.reactive import Reactive

from mlops_tui.ui.textual_internals import PRIVATE_NAMES, PrivateName

ROOT = Path(__file__).resolve().parents[2]


def _label(entry: PrivateName) -> str:
    return f"{getattr(entry.owner, '__name__', entry.owner)}.{entry.name}"


def test_textual_is_pinned_exactly_and_the_pinned_version_is_installed():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["dependencies"] if re.match(r"textual\s*(\[|[=<>!~]|$)", d)]
    assert len(pins) == 1
    match = re.fullmatch(r"textual==(\d+\.\d+\.\d+)", pins[0].replace(" ", ""))
    assert match, f"Textual must be pinned exactly (the app uses its internals), not {pins[0]!r}"
    assert version("textual") == match.group(1)


@pytest.mark.parametrize("entry", PRIVATE_NAMES, ids=_label)
def test_each_private_name_exists_with_its_kind(entry: PrivateName):
    assert entry.name.startswith("_") or inspect.ismodule(entry.owner), "a public name needs no entry"
    assert entry.why and entry.used_by
    if entry.kind == "attribute":  # set on instances in the owner's __init__
        source = inspect.getsource(entry.owner.__init__)
        assert re.search(rf"self\.{entry.name}\s*[:=]", source), f"Textual {version('textual')} has no {_label(entry)}"
        return
    found = inspect.getattr_static(entry.owner, entry.name, None)
    assert found is not None, f"Textual {version('textual')} has no {_label(entry)}"
    if entry.kind == "method":
        assert inspect.isfunction(found), f"{_label(entry)} is no longer a method: {found!r}"
    elif entry.kind == "reactive":
        assert isinstance(found, Reactive), f"{_label(entry)} is no longer a reactive: {found!r}"
    elif entry.kind == "slot":
        assert inspect.ismemberdescriptor(found), f"{_label(entry)} is no longer a slot: {found!r}"
    else:
        assert inspect.isclass(found), f"{_label(entry)} is no longer a class: {found!r}"


@pytest.mark.parametrize("entry", PRIVATE_NAMES, ids=_label)
def test_the_app_reaches_each_private_name_only_through_the_internals_module(entry: PrivateName):
    door = ROOT / "mlops_tui" / "ui" / "textual_internals.py"
    pattern = re.compile(rf"\b{re.escape(entry.name)}\b")
    others = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "mlops_tui").rglob("*.py")
        if path != door and pattern.search(path.read_text())
    ]
    private_module = entry.owner.__name__ if inspect.ismodule(entry.owner) else ""  # e.g. textual.widgets._footer
    tests = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if private_module and private_module in path.read_text() and path != Path(__file__)
    ]
    assert others == [], f"{entry.name} is used outside textual_internals.py"
    assert tests == [], f"{private_module} is imported directly instead of through textual_internals.py"


def _app_classes_on_textual():
    """Every class of mlops_tui.ui that derives from a Textual class, with its Textual bases."""
    import mlops_tui.ui

    for info in pkgutil.walk_packages(mlops_tui.ui.__path__, "mlops_tui.ui."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__:
                bases = [b for b in cls.__mro__ if b.__module__.split(".")[0] == "textual"]
                if bases:
                    yield cls, bases


@functools.cache
def _private_names_of(textual_class: type) -> frozenset[str]:
    """The private names a Textual class defines: in its namespace, or set on `self` in its code."""
    names = {name for name in vars(textual_class) if name.startswith("_") and not name.startswith("__")}
    try:
        names |= set(re.findall(r"self\.(_[a-z]\w*)\s*[:=]", inspect.getsource(textual_class)))
    except (OSError, TypeError):
        pass
    return frozenset(names)


def test_every_private_textual_name_the_app_touches_is_in_the_table():
    """Calls like `app._x` in mlops_tui/ui, and `self._x` in subclasses of Textual classes, are
    listed if `_x` belongs to Textual: otherwise the app silently depends on, or overrides, an
    internal that the table does not name."""
    listed = {entry.name for entry in PRIVATE_NAMES}
    unlisted = set()
    textual_private: set[str] = set()
    for cls, bases in _app_classes_on_textual():
        theirs = set().union(*(_private_names_of(base) for base in bases))
        textual_private |= theirs
        ours = set(re.findall(r"(?:self\.|def )(_[a-z]\w*)", inspect.getsource(cls)))
        unlisted |= {f"{cls.__name__}.{name}" for name in (ours & theirs) - listed}
    for path in (ROOT / "mlops_tui" / "ui").rglob("*.py"):
        reached = set(re.findall(r"\b(?!self\b)[a-z]\w*\.(_[a-z]\w*)\b", path.read_text()))
        unlisted |= {f"{path.name}: .{name}" for name in (reached & textual_private) - listed}
    assert unlisted == set(), "private Textual names used but not in textual_internals.PRIVATE_NAMES"
