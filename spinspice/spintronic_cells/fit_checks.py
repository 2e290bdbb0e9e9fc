"""Checks of a behavioural MTJ fit read from a file: types and signs of every number.

A fit JSON is user input: :func:`load_checked_fit` refuses strings, booleans, NaN/inf,
non-positive resistances, times, charges, currents and angles, negative errors, and
R_off <= R_on, naming the field (issue 12).
"""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path
from typing import Any, Final

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.fit import BehaviouralFit, load_fit

#: (field, lower bound, bound excluded) of the numbers a fit file must hold.
_FIT_BOUNDS: Final = {
    "r_on_ohm": (0.0, True),
    "r_off_ohm": (0.0, True),
    "tmr0": (0.0, False),
    "v_half_V": (0.0, True),
    "tsw_s": (0.0, True),
    "dt_s": (0.0, True),
    "temperature_K": (0.0, True),
}
_DIRECTION_BOUNDS: Final = {
    "c_As": (0.0, True),
    "ic_A": (0.0, True),
    "theta0_rad": (0.0, True),
    "rms_cdf_error": (0.0, False),
    "max_cdf_error": (0.0, False),
}


def _real(value: Any, where: str, lo: float | None = None, strict: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"fit file: {where} must be a finite number, got {value!r}")
    if lo is not None and (value <= lo if strict else value < lo):
        sign = ">" if strict else ">="
        raise ParameterError(f"fit file: {where} must be {sign} {lo:g}, got {value!r}")


def validate_fit(fit: BehaviouralFit) -> BehaviouralFit:
    """Types and signs of every number of a fit read from a file (issue 12)."""
    for name, (lo, strict) in _FIT_BOUNDS.items():
        _real(getattr(fit, name), name, lo, strict)
    if fit.r_off_ohm <= fit.r_on_ohm:
        raise ParameterError("fit file: r_off_ohm must exceed r_on_ohm")
    for name in ("seed", "trials", "version"):
        v = getattr(fit, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ParameterError(f"fit file: {name} must be a non-negative integer, got {v!r}")
    if not isinstance(fit.preset, str):
        raise ParameterError("fit file: preset must be a string")
    for d in (fit.ap_to_p, fit.p_to_ap):
        for name, (lo, strict) in _DIRECTION_BOUNDS.items():
            _real(getattr(d, name), f"{d.direction}.{name}", lo, strict)
        for v in d.voltages_V:
            _real(v, f"{d.direction}.voltages_V")
        thermal = getattr(d, "thermal", None)  # format version 2 only
        if thermal is not None:
            for f in fields(thermal):
                v = getattr(thermal, f.name)
                for item in v if isinstance(v, tuple | list) else (v,):
                    if item is not None and not isinstance(item, str):
                        _real(item, f"{d.direction}.thermal.{f.name}")
    return fit


def load_checked_fit(path: Path) -> BehaviouralFit:
    """:func:`~spinspice.spintronic_cells.fit.load_fit` plus :func:`validate_fit`.

    Raises
    ------
    ParameterError
        Unreadable file, wrong structure, or a number of the wrong type or sign.
    """
    try:
        fit = load_fit(path)
    except UnicodeDecodeError:
        raise ParameterError(f"fit file {path} is not text") from None
    except (AttributeError, ValueError) as exc:
        raise ParameterError(f"not a spinspice MTJ fit file: {exc}") from None
    return validate_fit(fit)
