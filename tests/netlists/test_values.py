"""The one number formatter/parser and the identifier filter."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinspice.errors import NetlistError, ParameterError
from spinspice.netlists.values import (
    IDENTIFIER_RE,
    check_element_name,
    check_identifier,
    format_number,
    parse_number,
)

finite = st.floats(allow_nan=False, allow_infinity=False)


@given(finite)
def test_format_parse_round_trip(x: float) -> None:
    text = format_number(x)
    assert "e" in text  # always exponent form, never a scale suffix
    assert not any(c.isalpha() and c != "e" for c in text)
    back = parse_number(text)
    assert math.isclose(back, x, rel_tol=1e-11, abs_tol=0.0) or back == x


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1Meg", 1e6),
        ("1meg", 1e6),
        ("1MEG", 1e6),
        ("1M", 1e-3),  # M is milli in SPICE, not mega
        ("1m", 1e-3),
        ("2.5k", 2.5e3),
        ("10pF", 1e-11),
        ("3n", 3e-9),
        ("1mil", 25.4e-6),
        ("1e-9", 1e-9),
        ("-4.7u", -4.7e-6),
        (".5", 0.5),
        ("1.5e3ohm", 1.5e3),
    ],
)
def test_parse_spice_suffixes(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["", "abc", "1..2", "1e", "--1", "1 2", "nan", "1e999"])
def test_parse_rejects_non_numbers(text: str) -> None:
    with pytest.raises(ParameterError):
        parse_number(text)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "1Meg", "1e3", True, None])
def test_format_rejects_non_finite_and_strings(bad: object) -> None:
    with pytest.raises(NetlistError):
        format_number(bad)  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_identifier_filter_accepts_exactly_the_pattern(name: str) -> None:
    ok = bool(IDENTIFIER_RE.match(name)) and len(name) <= 64
    if ok:
        assert check_identifier(name) == name
    else:
        with pytest.raises(NetlistError):
            check_identifier(name)


@pytest.mark.parametrize(
    "name",
    ["a\nb", "x *# shell rm -rf /", "n1.n2", "1abc", "a b", "r=1", "", "x" * 65, "a\rb", "é"],
)
def test_identifier_rejects_injection(name: str) -> None:
    with pytest.raises(NetlistError):
        check_identifier(name)


def test_element_letter_prefix() -> None:
    assert check_element_name("Rload", "R") == "Rload"
    assert check_element_name("vin", "V") == "vin"
    with pytest.raises(NetlistError, match="must start with 'R'"):
        check_element_name("Cload", "R")
