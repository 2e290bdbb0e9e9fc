"""MOSFET characterisation through the toolkit's own pipeline (used by tests and docs).

For one technology (library + corner + model names) it measures, with ngspice DC sweeps of a
W = 1 µm device at the technology's L:

* ``ion_A_per_m``: |Id| at |Vgs| = |Vds| = V_DD, per metre of width (1 mA/µm = 1000 A/m);
* ``ioff_A_per_m``: |Id| at Vgs = 0, |Vds| = V_DD;
* ``vth_lin_V``/``vth_sat_V``: constant-current threshold (|Id| = 100 nA·W/L) at |Vds| = 50 mV
  and V_DD; ``dibl_mV_per_V`` from the two;
* ``ss_mV_per_dec``: subthreshold swing, the smallest dVgs/dlog10(Id) below threshold;
* ``rlin_ohm_m``: linear on-resistance Vds/Id at |Vds| = 50 mV, |Vgs| = V_DD, times W (Ω·m).

Body tied to source. Signs: PMOS figures are reported as magnitudes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinspice.analysis.runner import Engine, run_one
from spinspice.netlists.circuit import GROUND, Circuit, Dc, DcSweep, Mosfet, Save, VoltageSource
from spinspice.netlists.job import make_job
from spinspice.netlists.technology import MosfetTechnology, technology_tag

_W_M = 1e-6


@dataclass(frozen=True, slots=True)
class MosfetFigures:
    """Measured figures of one device type at one corner (see module docstring)."""

    device: str
    corner: str
    ion_A_per_m: float
    ioff_A_per_m: float
    vth_lin_V: float
    vth_sat_V: float
    dibl_mV_per_V: float
    ss_mV_per_dec: float
    rlin_ohm_m: float


def _sweep(
    tech: MosfetTechnology, device: str, vds: float, engine: Engine
) -> tuple[np.ndarray, np.ndarray]:
    sign = 1.0 if device == "nmos" else -1.0
    model = tech.nmos_model if device == "nmos" else tech.pmos_model
    prefix = "X" if tech.element == "X" else "M"
    circuit = Circuit(
        title=f"spinspice {device} characterisation",
        elements=(
            VoltageSource("Vd", "d", GROUND, Dc(sign * vds)),
            VoltageSource("Vg", "g", GROUND, Dc(0.0)),
            Mosfet(f"{prefix}1", "d", "g", GROUND, GROUND, model, _W_M, tech.l_m, tech.element),
        ),
        libraries=(tech.library_ref(),),
        analyses=(DcSweep("Vg", 0.0, sign * tech.vdd_V, sign * 0.005),),
        saves=(Save("i", ("vd",)),),
    )
    tag = technology_tag(tech)
    job = make_job(
        circuit,
        key=f"mosfet/{device}-idvg/{tag}/vds{vds:.3g}V",
        meta={"family": "mosfet", "operation": f"{device}-idvg", "corner": tag, "vds_V": vds},
    )
    dc = run_one(engine, job).plot("dc")
    return np.abs(dc.scale), np.abs(dc["i(vd)"])


def characterise(tech: MosfetTechnology, device: str, engine: Engine) -> MosfetFigures:
    """Measure one device type (``"nmos"`` or ``"pmos"``) of ``tech`` on ``engine``."""
    vg, i_lin = _sweep(tech, device, 0.05, engine)
    vg_s, i_sat = _sweep(tech, device, tech.vdd_V, engine)
    i_crit = 100e-9 * _W_M / tech.l_m

    def vth(v: np.ndarray, i: np.ndarray) -> float:
        return float(np.interp(np.log10(i_crit), np.log10(np.maximum(i, 1e-30)), v))

    vt_lin, vt_sat = vth(vg, i_lin), vth(vg_s, i_sat)
    below = vg_s < vt_sat
    slope = np.diff(np.log10(np.maximum(i_sat[below], 1e-30))) / np.diff(vg_s[below])
    ss = 1e3 / float(np.max(slope)) if slope.size else float("nan")
    return MosfetFigures(
        device=device,
        corner=tech.corner or "",
        ion_A_per_m=float(i_sat[-1]) / _W_M,
        ioff_A_per_m=float(i_sat[0]) / _W_M,
        vth_lin_V=vt_lin,
        vth_sat_V=vt_sat,
        dibl_mV_per_V=1e3 * (vt_lin - vt_sat) / (tech.vdd_V - 0.05),
        ss_mV_per_dec=ss,
        rlin_ohm_m=0.05 / float(i_lin[-1]) * _W_M,
    )
