"""Every key of a JSON document, at any depth: schema-doc tests check each is documented.

Importable from every test directory (pytest puts tests/, the home of the root conftest.py, on
sys.path)."""

from __future__ import annotations

from typing import Any


def json_keys(o: Any) -> set[str]:
    out: set[str] = set()
    stack = [o]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            out.update(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return out
