"""Plain tables as kubectl prints them: upper-case headers, columns three spaces apart, no borders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from kubectl_mem.report.columns import Column

R = TypeVar("R")


def render(rows: Sequence[R], columns: Sequence[Column[R]], *, headers: bool = True) -> str:
    cells = [[c.text(r) for c in columns] for r in rows]
    if headers:
        cells.insert(0, [c.title for c in columns])
    if not cells:
        return ""
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    last = len(columns) - 1
    lines = []
    for row in cells:
        parts = []
        for i, (text, col) in enumerate(zip(row, columns, strict=True)):
            if col.align == "right":
                parts.append(text.rjust(widths[i]))
            elif i == last:
                parts.append(text)  # no trailing blanks
            else:
                parts.append(text.ljust(widths[i]))
        lines.append("   ".join(parts).rstrip())
    return "\n".join(lines) + "\n"
