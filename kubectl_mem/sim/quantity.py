"""Just enough resource.Quantity handling for the simulator: parse to numbers, print like the apiserver."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

__all__ = [
    "Ki",
    "Mi",
    "Gi",
    "cpu_nanos",
    "fmt_cpu_nanos",
    "fmt_ki",
    "fmt_mi",
    "parse_bytes",
    "parse_cpu_milli",
]

Ki = 1024
Mi = 1024**2
Gi = 1024**3

_SUFFIX = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "m": Decimal("0.001"),
    "u": Decimal("0.000001"),
    "n": Decimal("0.000000001"),
}
_QTY_RE = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def _parse(q: str | int | float) -> Decimal:
    if isinstance(q, int | float):
        return Decimal(q)
    m = _QTY_RE.match(q.strip())
    if not m or m.group(2) not in _SUFFIX:
        raise ValueError(f"invalid quantity {q!r}")
    return Decimal(m.group(1)) * _SUFFIX[m.group(2)]


@lru_cache(maxsize=4096)
def parse_bytes(q: str | int | float) -> int:
    """Bytes of a memory quantity, rounded up like Quantity.Value()."""
    d = _parse(q)
    return int(d) if d == int(d) else int(d) + 1


@lru_cache(maxsize=4096)
def parse_cpu_milli(q: str | int | float) -> int:
    """Millicores of a cpu quantity, rounded up like Quantity.MilliValue()."""
    d = _parse(q) * 1000
    return int(d) if d == int(d) else int(d) + 1


def cpu_nanos(q: str | int | float) -> int:
    return int(_parse(q) * 10**9)


def fmt_ki(n: int) -> str:
    """metrics-server and the kubelet print memory in Ki; round up to whole Ki."""
    return f"{(n + 1023) // 1024}Ki"


def fmt_mi(n: int) -> str:
    return f"{n // Mi}Mi" if n % Mi == 0 else fmt_ki(n)


def fmt_cpu_nanos(n: int) -> str:
    return f"{n}n"
