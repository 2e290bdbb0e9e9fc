"""require_positive: the one check behind every "must be > 0" parameter of the array builders."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinspice.array_builder.array_4t2r import ReadPulse
from spinspice.array_builder.update_4t2r import UpdatePulse
from spinspice.errors import ParameterError, require_positive


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**6), 10**6), st.booleans(), st.text()))
def test_require_positive_accepts_exactly_finite_positive_numbers(value: object) -> None:
    good = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
    if good:
        require_positive("x", value)
    else:
        with pytest.raises(ParameterError, match="x must be"):
            require_positive("x", value)


def test_require_positive_refuses_an_int_beyond_the_float_range() -> None:
    with pytest.raises(ParameterError, match="finite number"):
        require_positive("x", 10**400)


def test_pulses_name_the_bad_field() -> None:
    with pytest.raises(ParameterError, match="t_rd_s must be > 0"):
        ReadPulse(t_rd_s=0.0)
    with pytest.raises(ParameterError, match="v_up_V must be a finite number"):
        UpdatePulse(v_up_V=float("nan"))
    with pytest.raises(ParameterError, match="gap_s must be a finite number"):
        UpdatePulse(gap_s=True)  # type: ignore[arg-type]
