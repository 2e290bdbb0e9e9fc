"""Input-referred shift of one MAAP cell per device deviation (docs/maap.md §5).

    .venv/bin/python benchmarks/maap_sensitivity.py

Sweeps the nominal cell and cells with one deviation each (inverter NMOS or PMOS V_th
+20 mV, R_P +5 %, I_sat +5 %) in ngspice and prints how far the transfer moves along the
input axis at mid-swing, in µA and as a fraction of the cell's full input range 2·I_sat.
"""

from __future__ import annotations

import numpy as np

from spinspice.analysis.runner import NgspiceSubprocess, run_one
from spinspice.array_builder import maap as mb
from spinspice.netlists.circuit import Dc, DcSweep, Save
from spinspice.netlists.job import make_job

D = mb.MaapDesign()
I_MAX_A = 120e-6


def sweep(engine: NgspiceSubprocess, **deviation: float) -> tuple[np.ndarray, np.ndarray]:
    els = mb._supplies(D) + mb.ota_elements("in", "a", Dc(0.0))
    els += mb.cell_elements(D, "c", "a", "o", **deviation)
    gm = D.i_unit_A / D.v_unit_V
    v = I_MAX_A / gm
    c = mb._circuit(D, "cell sensitivity", els, DcSweep("Vin", -v, v, v / 120), [Save("v", ("o",))])
    dc = run_one(engine, make_job(c, key="maap/sensitivity")).plot("dc")
    return dc["v(v-sweep)"] * gm, dc["v(o)"]


def main() -> None:
    eng = NgspiceSubprocess()
    i, v0 = sweep(eng)
    mid = 0.5 * (v0.max() + v0.min())
    c0 = float(np.interp(mid, v0, i))
    for dev in ({"dvth_n_V": 0.02}, {"dvth_p_V": 0.02}, {"rp_factor": 1.05}, {"isat_factor": 1.05}):
        _, v1 = sweep(eng, **dev)
        shift = float(np.interp(mid, v1, i)) - c0
        print(
            f"{dev}: {shift * 1e6:+.2f} uA = {100 * shift / (2 * D.she.i_sat_A):+.1f} % of 2*I_sat"
        )


if __name__ == "__main__":
    main()
