"""`mlops-tui backends [--json]`: the installed backend kinds, their capabilities and options."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("backends", parents=parents, help="list installed backend kinds")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_backends)


def _type_name(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    text = str(annotation)
    for prefix in ("typing.", "pathlib.", "datetime.", "pydantic.networks.", "pydantic.types."):
        text = text.replace(prefix, "")
    return text


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def describe_backends() -> list[dict[str, Any]]:
    """Every installed backend kind with its distribution, capabilities and options."""
    from pydantic_core import PydanticUndefined

    from mlops_tui.backends.registry import available_kinds

    out: list[dict[str, Any]] = []
    for name, kind in available_kinds().items():
        ep = kind.entry_point
        entry: dict[str, Any] = {
            "kind": name,
            "distribution": kind.distribution,
            "version": getattr(ep.dist, "version", None) if ep.dist is not None else None,
            "entry_point": ep.value,
        }
        try:
            cls = kind.load()
        except Exception as exc:
            entry["error"] = " ".join(str(exc).split())
            out.append(entry)
            continue
        entry["description"] = getattr(cls, "description", "") or ""
        entry["capabilities"] = sorted(str(c) for c in getattr(cls, "capabilities", ()))
        options = []
        model = getattr(cls, "Options", None)
        for opt_name, info in (getattr(model, "model_fields", None) or {}).items():
            option: dict[str, Any] = {
                "name": info.alias or opt_name,
                "type": _type_name(info.annotation),
                "required": info.is_required(),
            }
            if info.is_required():
                option["default"] = None
            elif info.default_factory is not None:
                option["default"] = "<computed>"
            elif info.default is PydanticUndefined:
                option["default"] = None
            else:
                option["default"] = _jsonable(info.default)
            if info.description:
                option["description"] = info.description
            options.append(option)
        entry["options"] = options
        out.append(entry)
    return out


def cmd_backends(args: argparse.Namespace) -> int:
    kinds = describe_backends()
    if args.json:
        print(json.dumps(kinds, indent=2, ensure_ascii=False))
        return 0
    if not kinds:
        print("no backend kinds installed")
        return 0
    for i, k in enumerate(kinds):
        if i:
            print()
        dist = k["distribution"] + (f" {k['version']}" if k.get("version") else "")
        print(f"{k['kind']}  (from {dist}, {k['entry_point']})")
        if "error" in k:
            print(f"  error: {k['error']}")
            continue
        if k["description"]:
            print(f"  {k['description']}")
        print(f"  capabilities: {', '.join(k['capabilities']) or 'none'}")
        if not k["options"]:
            print("  options: none")
            continue
        print("  options:")
        width = max(len(o["name"]) for o in k["options"])
        type_width = max(len(o["type"]) for o in k["options"])
        for o in k["options"]:
            if o["required"]:
                default = "required"
            elif o["default"] is None:
                default = "optional"
            else:
                default = f"default {json.dumps(o['default'])}"
            print(f"    {o['name']:<{width}}  {o['type']:<{type_width}}  {default}")
    return 0
