"""Comparing what two servers answered: value differences by path, and the shape (keys and JSON types)
of API objects, where maps with free keys (labels, capacity, ...) count as one `*` key."""

from __future__ import annotations

from typing import Any

# Map-valued fields whose keys are data, not schema.
FREE_KEYS = {
    "labels", "annotations", "capacity", "allocatable", "requests", "limits", "nodeSelector", "usage",
    "fieldsV1", "data", "hard", "used", "matchLabels",
}  # fmt: skip


def differences(a: Any, b: Any, path: str = "", limit: int = 30) -> list[str]:
    """'path: a != b' for every leaf that differs (lists compared item by item), at most `limit`."""
    out: list[str] = []
    _diff(a, b, path, out, limit)
    return out


def _diff(a: Any, b: Any, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: {'missing' if k not in a else repr(a[k])[:80]} != "
                           f"{'missing' if k not in b else repr(b[k])[:80]}")  # fmt: skip
            else:
                _diff(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items != {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            name = x.get("name", i) if isinstance(x, dict) else i
            _diff(x, y, f"{path}[{name}]", out, limit)
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: {a!r} != {b!r}"[:300])


def json_type(v: Any) -> str:
    return {
        bool: "bool",
        int: "int",
        float: "float",
        str: "str",
        type(None): "null",
        dict: "object",
        list: "array",
    }[type(v)]


def shape(obj: Any, path: str = "", out: set[tuple[str, str]] | None = None) -> set[tuple[str, str]]:
    """Every (path, JSON type) in `obj`; list items share `[]`, free-key maps share `*`."""
    out = set() if out is None else out
    out.add((path, json_type(obj)))
    if isinstance(obj, dict):
        free = path.rsplit(".", 1)[-1] in FREE_KEYS
        for k, v in obj.items():
            shape(v, f"{path}.{'*' if free else k}", out)
    elif isinstance(obj, list):
        for v in obj:
            shape(v, f"{path}[]", out)
    return out
