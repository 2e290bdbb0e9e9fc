"""Conventions shared by every MTJ cell family.

A design's MTJ resistances must be those of the device law its netlists use: an array
whose R_on/R_off contradict the fit (a preset's or a user's) would report currents of one
device and switching of another. :func:`check_matches_fit` is the one check, used by every
builder that puts the fitted MTJ into a deck.
"""

from __future__ import annotations

import math

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.fit import BehaviouralFit

#: Relative tolerance between a design's resistances and its fit's (float round-off only).
FIT_MATCH_RTOL = 1e-6


def check_matches_fit(r_on_ohm: float, r_off_ohm: float, fit: BehaviouralFit) -> None:
    """Raise :class:`ParameterError` unless R_on/R_off equal the fit's (to :data:`FIT_MATCH_RTOL`).

    The fit's R_off is R_P·(1 + TMR0) at zero bias (Ω).
    """
    for name, a, b in (("R_on", r_on_ohm, fit.r_on_ohm), ("R_off", r_off_ohm, fit.r_off_ohm)):
        if not math.isclose(a, b, rel_tol=FIT_MATCH_RTOL):
            raise ParameterError(
                f"the design's {name} ({a} ohm) differs from its MTJ fit's ({b} ohm, "
                f"preset {fit.preset}); build the design from the fit's resistances"
            )
