"""The seed 002 crossbar MTJ (Mondal & Srivastava), defined once.

Seed 002 gives no device parameters beyond its write mapping (Table 3) and the write
voltages of §4.3; both the crossbar netlists (:func:`spinspice.array_builder.crossbar.seed002_fit`)
and the training model (:func:`spinspice.training.binary.seed002_device_params`) are
calibrated from the constants and the one calibration here.

Calibration (:func:`calibrate_direction`): with the switching law
P(switch) = erfc((π/(2√2θ0))·exp(−q)), q = Δt·(I − I_c0)/C (seed 001 eq. 15–16 form),
seed 002 eq. 8 (P(I0+I1, t0) = P0) and eq. 9 (P(I0, t0+t1) = P0) require
t0·(I0+I1−I_c0) = (t0+t1)·(I0−I_c0), so I_c0 = I0 − I1·t0/t1; P(I0+I1, t0+t1) = η fixes C
and P0 fixes θ0.
"""

from __future__ import annotations

import math
from typing import Final

from scipy.special import erfcinv

from spinspice.errors import ParameterError

#: Seed 002 Table 3: (t0 [s], t1 [s], I0 [A], I1 [A]) per switching direction.
SEED002_TABLE3: Final[dict[str, tuple[float, float, float, float]]] = {
    "AP->P": (1.5e-9, 1.0e-9, 60e-6, 30e-6),
    "P->AP": (1.5e-9, 1.0e-9, 140e-6, 60e-6),
}
#: Seed 002 §4.2: P_0 ≈ 0.05 (eq. 8–9) and η = 0.7 (Fig. 3).
SEED002_P0: Final = 0.05
SEED002_ETA: Final = 0.7
#: Seed 002 §4.3 quotes V_P ∈ [0.68, 0.98] V and V_AP ∈ [−0.81, −0.62] V for Table 3.
SEED002_VP_RANGE_V: Final = (0.68, 0.98)
SEED002_VAP_RANGE_V: Final = (-0.81, -0.62)
#: R_P, R_AP in Ω implied by seed 002 §4.3: V_P ∈ [0.68, 0.98] V at I ∈ [140, 200] µA gives
#: R_P ≈ 4.9 kΩ; V_AP ∈ [−0.81, −0.62] V at I ∈ [60, 90] µA gives 9.0–10.3 kΩ, mean 9.7 kΩ
#: (the bias-independent pair of the training model; the crossbar netlists fit a
#: bias-dependent TMR to the same voltages instead).
SEED002_R_P_OHM: Final = 4.9e3
SEED002_R_AP_OHM: Final = 9.7e3


def calibrate_direction(
    t0_s: float,
    t1_s: float,
    i0_A: float,
    i1_A: float,
    *,
    p0: float = SEED002_P0,
    p_max: float = SEED002_ETA,
) -> tuple[float, float, float]:
    """(I_c0 [A], C [A·s], θ0 [rad]) of the switching law meeting seed 002's design rules
    (module docstring)."""
    if not 0 < p0 < p_max < 1:
        raise ParameterError("need 0 < p0 < p_max < 1")
    ic = i0_A - i1_A * t0_s / t1_s
    if ic <= 0:
        raise ParameterError("the write mapping gives I_c0 <= 0 (need I0 > I1·t0/t1)")
    q_lo = (t0_s + t1_s) * (i0_A - ic)
    q_hi = (t0_s + t1_s) * (i0_A + i1_A - ic)
    z_lo = float(erfcinv(p0))
    z_hi = float(erfcinv(p_max))
    c = (q_hi - q_lo) / math.log(z_lo / z_hi)
    theta0 = math.pi / (2.0 * math.sqrt(2.0)) * math.exp(-q_lo / c) / z_lo
    return ic, c, theta0
