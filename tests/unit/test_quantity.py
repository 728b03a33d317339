"""Quantities parse exactly like apimachinery's resource.ParseQuantity."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_mem.model.quantity import (
    canonical_binary,
    compare_quantities,
    cpu_millis,
    format_bytes,
    memory_bytes,
    parse_quantity,
)

Ki, Mi, Gi = 1 << 10, 1 << 20, 1 << 30


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("1Gi", Gi),
        ("1G", 10**9),
        ("500M", 500 * 10**6),
        ("1e3", 1000),
        ("1E3", 1000),  # an exponent, not exa
        ("1E", 10**18),  # exa
        ("1e+3", 1000),
        ("100m", Fraction(1, 10)),
        ("0.5Gi", Gi // 2),
        ("+1Ki", Ki),
        ("-1Ki", -Ki),
        ("1.5", Fraction(3, 2)),
        ("12e-3", Fraction(12, 1000)),
        ("1.", 1),  # quantity.go accepts a bare trailing dot, and "1.G"
        ("1.G", 10**9),
        (".5", Fraction(1, 2)),
        ("0000123", 123),
        ("1n", Fraction(1, 10**9)),
        ("5u", Fraction(5, 10**6)),
        ("1k", 1000),
        ("1T", 10**12),
        ("1P", 10**15),
        ("1Ti", 1 << 40),
        ("1Pi", 1 << 50),
        ("1Ei", 1 << 60),
        ("1.5Mi", 3 * Mi // 2),
        ("128974848", 128974848),
        ("129e6", 129 * 10**6),
        ("123Mi", 123 * Mi),
    ],
)
def test_parses_like_apimachinery(text: str, value: Fraction | int) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 1Gi",
        "1Gi ",
        "1 Gi",
        "1e",
        "1K",
        "1KI",
        "1gi",
        "1.1.1",
        "1Gi1",
        "1ee3",
        "1e3.5",
        "abc",
        "1i",
        "1+1",
        "--1",
        "1Mi-",
        "0x10",
        "1,5",
    ],
)
def test_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_values_below_a_nano_round_up_to_one_nano() -> None:
    # ParseQuantity rounds the magnitude up at scale 9 (inf.RoundUp): asking for a little gets a little.
    assert parse_quantity("1e-12") == Fraction(1, 10**9)
    assert parse_quantity("-1e-12") == -Fraction(1, 10**9)
    assert parse_quantity("1.0000000001") == 1 + Fraction(1, 10**9)


def test_binary_quantities_are_capped_at_max_int64() -> None:
    assert parse_quantity("100000Ei") == (1 << 63) - 1
    assert parse_quantity("100000E") == 10**23  # decimal ones are not capped


@pytest.mark.parametrize(
    ("text", "byte_value", "milli_value"),
    [
        ("100m", 1, 100),  # Value() rounds up: a 100m memory request is 1 byte
        ("0.1m", 1, 1),  # MilliValue() rounds up too
        ("1.5", 2, 1500),
        ("1500m", 2, 1500),
        ("-1.5", -2, -1500),  # away from zero
        ("1Ki", 1024, 1024000),
        ("250m", 1, 250),
        ("2", 2, 2000),
    ],
)
def test_value_and_milli_value_round_away_from_zero(text: str, byte_value: int, milli_value: int) -> None:
    assert memory_bytes(text) == byte_value
    assert cpu_millis(text) == milli_value


def test_compare_is_exact() -> None:
    assert compare_quantities("1Ki", "1024") == 0
    assert compare_quantities("1k", "1Ki") == -1
    assert compare_quantities("1Gi", "1G") == 1
    assert compare_quantities("0.1", "100m") == 0
    assert compare_quantities("1e3", "1k") == 0


# -- properties -------------------------------------------------------------------------------------

SUFFIX_EXP = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40}
DEC_EXP = {"": 0, "k": 3, "M": 6, "G": 9, "T": 12}


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_canonical_binary_round_trips(n: int) -> None:
    assert parse_quantity(canonical_binary(n)) == n


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(SUFFIX_EXP)))
def test_binary_suffix_is_a_power_of_two(n: int, suffix: str) -> None:
    assert memory_bytes(f"{n}{suffix}") == n << SUFFIX_EXP[suffix]


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(DEC_EXP)))
def test_decimal_suffix_and_exponent_agree(n: int, suffix: str) -> None:
    exp = DEC_EXP[suffix]
    assert parse_quantity(f"{n}{suffix}") == parse_quantity(f"{n}e{exp}") == n * 10**exp


@given(st.integers(min_value=1, max_value=10**9))
def test_ki_is_larger_than_k_by_exactly_24_per_unit(n: int) -> None:
    assert memory_bytes(f"{n}Ki") - memory_bytes(f"{n}k") == 24 * n
    assert compare_quantities(f"{n}k", f"{n}Ki") == -1


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=9999),
    st.sampled_from(["", "k", "M", "m", "u", "n"]),
)
def test_decimal_strings_parse_to_their_exact_value(whole: int, frac: int, suffix: str) -> None:
    text = f"{whole}.{frac:04d}{suffix}"
    exponent = {"": 0, "k": 3, "M": 6, "m": -3, "u": -6, "n": -9}[suffix]
    exact = (whole + Fraction(frac, 10**4)) * Fraction(10) ** exponent
    nanos = exact * 10**9
    expected = Fraction(-((-nanos.numerator) // nanos.denominator), 10**9)  # rounded up to a nano
    assert parse_quantity(text) == expected


@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=-(10**15), max_value=10**15))
def test_ordering_matches_integers(a: int, b: int) -> None:
    assert compare_quantities(canonical_binary(a), str(b)) == (a > b) - (a < b)


@given(st.integers(min_value=0, max_value=2**62))
def test_memory_bytes_of_a_byte_count_is_itself(n: int) -> None:
    assert memory_bytes(str(n)) == n
    assert memory_bytes(n) == n


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (900, "900"),
        (512 * Mi, "512Mi"),
        (3 * Gi // 2, "1.5Gi"),
        (80 * Mi, "80Mi"),
        (Gi - 1, "1Gi"),
        (-100 * Mi, "-100Mi"),
        (1532464 * Ki, "1.5Gi"),
    ],
)
def test_format_bytes_is_short(n: int, text: str) -> None:
    assert format_bytes(n) == text
