"""Kubernetes resource quantities, parsed exactly as apimachinery does.

Source: `k8s.io/apimachinery/pkg/api/resource` — `quantity.go` (`parseQuantityString`,
`ParseQuantity`) and `suffix.go` (`quantitySuffixer.interpret`). Values are exact
`fractions.Fraction`s, so comparisons never suffer from floating point.

Rules reproduced:
- optional sign, digits, optional `.` and digits (`1.`, `.5` and even `.` are accepted upstream),
  then a suffix: binary `Ki Mi Gi Ti Pi Ei`, decimal `n u m "" k M G T P E`, or an exponent
  `e<int>` / `E<int>` (`1E3` is 1000, `1E` is one exa).
- the magnitude is rounded *up* to the nearest nano (`inf.RoundUp`), so `1e-12` parses as `1n`.
- BinarySI magnitudes are capped at 2^63-1 (`maxAllowed`).
- `Value()` and `MilliValue()` round away from zero.

One deliberate deviation: exponents above 1000 are rejected (ValueError) instead of producing
numbers nobody can use; upstream would wrap the exponent to int32.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

# suffix.go: decimal and binary suffix tables
_DECIMAL: dict[str, int] = {
    "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
}  # fmt: skip
_BINARY: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_MAX_INT64 = (1 << 63) - 1
_NANO = 10**9
_MAX_EXPONENT = 1000

Q = str | int | Fraction
"""What the helpers accept: a quantity string, or a number already parsed."""


def _scan(s: str) -> tuple[bool, str, str, str]:
    """`parseQuantityString`: (positive, numerator digits, denominator digits, suffix)."""
    positive = True
    pos, end = 0, len(s)
    if pos < end and s[0] in "+-":
        positive = s[0] == "+"
        pos = 1
    # strip leading zeros; a string of only zeros is 0 with no suffix
    while pos < end and s[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    num = s[start:pos] or "0"
    denom = ""
    if pos < end and s[pos] == ".":
        pos += 1
        start = pos
        while pos < end and s[pos] in _DIGITS:
            pos += 1
        denom = s[start:pos]  # "1." and "1.G" parse upstream too (quantity.go accepts them)
    suffix_start = pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and s[pos] in "+-":
        pos += 1
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise ValueError(f"quantity {s!r} does not match '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    return positive, num, denom, s[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, bool]:
    """`quantitySuffixer.interpret`: (base, exponent, is_binary)."""
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], False
    if suffix in _BINARY:
        return 2, _BINARY[suffix], True
    if len(suffix) > 1 and suffix[0] in "eE":
        rest = suffix[1:]
        body = rest[1:] if rest[0] in "+-" else rest
        if body and all(c in _DIGITS for c in body):
            exponent = int(rest)
            if exponent > _MAX_EXPONENT:
                raise ValueError(f"quantity exponent {exponent} is out of range")
            return 10, exponent, False
    raise ValueError(f"unable to parse quantity's suffix {suffix!r}")


def parse_quantity(s: Q) -> Fraction:
    """The exact value of a quantity, as `resource.ParseQuantity` would hold it.

    Raises ValueError for malformed input (empty string, spaces, unknown suffix, ...).
    """
    if isinstance(s, Fraction):
        return s
    if isinstance(s, int) and not isinstance(s, bool):
        return Fraction(s)
    if not isinstance(s, str):
        raise ValueError(f"not a quantity: {s!r}")
    if not s:
        raise ValueError("empty quantity")
    positive, num, denom, suffix = _scan(s)
    base, exponent, binary = _interpret(suffix)
    digits = int(num + denom)
    if digits == 0:
        return Fraction(0)
    scale = -len(denom)
    if base == 10:
        scale += exponent
        if scale < -9 - len(num + denom):
            # smaller than one nano: upstream rounds the magnitude up to 1n
            value = Fraction(1, _NANO)
        else:
            value = Fraction(digits * 10**scale) if scale >= 0 else Fraction(digits, 10**-scale)
    else:
        value = Fraction(digits << exponent, 10**-scale)
    # round the magnitude up to a whole number of nanos (inf.RoundUp at scale 9)
    if (value * _NANO).denominator != 1:
        value = Fraction(-((-value.numerator * _NANO) // value.denominator), _NANO)
    if binary and value > _MAX_INT64:
        value = Fraction(_MAX_INT64)
    return value if positive else -value


def _round_away(x: Fraction) -> int:
    if x >= 0:
        return -((-x.numerator) // x.denominator)
    return x.numerator // x.denominator


@lru_cache(maxsize=4096, typed=True)  # a cluster's pods repeat a few dozen quantity strings
def memory_bytes(q: Q) -> int:
    """Whole bytes, rounded away from zero like `Quantity.Value()` (`0.5` -> 1, `100m` -> 1)."""
    return _round_away(parse_quantity(q))


@lru_cache(maxsize=4096, typed=True)
def cpu_millis(q: Q) -> int:
    """Millicores, rounded away from zero like `Quantity.MilliValue()` (`0.1m` -> 1, `1.5` -> 1500)."""
    return _round_away(parse_quantity(q) * 1000)


def compare_quantities(a: Q, b: Q) -> int:
    """-1, 0 or 1, exactly like `Quantity.Cmp` (`1Ki` == `1024`, `1k` < `1Ki`)."""
    x, y = parse_quantity(a), parse_quantity(b)
    return (x > y) - (x < y)


def canonical_binary(n: int) -> str:
    """An exact, canonical BinarySI string for a byte count: the largest binary suffix that divides
    it (`1536Mi`, `2Gi`, `1000`). `parse_quantity` gives `n` back exactly."""
    if n == 0:
        return "0"
    sign, m = ("-", -n) if n < 0 else ("", n)
    if m < 1024:
        return f"{sign}{m}"
    for suffix, exp in reversed(list(_BINARY.items())):
        unit = 1 << exp
        if m % unit == 0:
            return f"{sign}{m // unit}{suffix}"
    return f"{sign}{m}"


@lru_cache(maxsize=4096)  # the same requests, limits and node headrooms repeat across a snapshot
def format_bytes(n: int) -> str:
    """The one human form of a byte count, in tables, headers and sentences alike: binary units,
    one decimal below 10 of a unit (`1.5Gi`, `8.2Gi`), whole units from 10 up (`302Mi`, `12Gi`),
    no `.0` (`8Gi`), and a value that rounds to 1024 of a unit is 1 of the next (`1Gi`, never
    `1024Mi`). Below 1Ki: bytes (`900`). Not meant to be parsed back (see canonical_binary)."""
    sign, m = ("-", -n) if n < 0 else ("", n)
    if m < 1024:
        return f"{sign}{m}"
    units = (("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40), ("Pi", 50), ("Ei", 60))
    i = 0
    while i + 1 < len(units) and m >= 1 << units[i + 1][1]:
        i += 1
    suffix, exp = units[i]
    value = m / (1 << exp)
    text = f"{value:.1f}".removesuffix(".0") if value < 9.95 else str(round(value))
    if text == "1024" and i + 1 < len(units):
        text, suffix = "1", units[i + 1][0]
    return f"{sign}{text}{suffix}"
