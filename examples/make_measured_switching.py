"""Write examples/measured_switching.csv: Monte-Carlo "measurements" of seed 001 device C.

The file stands in for a user's measured data (``spinspice device fit --data``): switching
counts of 2000 trials per point, AP -> P, three pulse amplitudes, eight widths.

    .venv/bin/python examples/make_measured_switching.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spinspice.spintronic_cells.llg import run_llg
from spinspice.spintronic_cells.presets import get_preset

VOLTAGES_V = (0.8, 1.0, 1.2)
WIDTHS_S = (0.3e-9, 0.5e-9, 0.75e-9, 1e-9, 1.5e-9, 2e-9, 2.5e-9, 3e-9)
TRIALS = 2000


def main() -> None:
    dev = get_preset("seed001-device-c")
    lines = [
        "# switching counts of seed 001 device C from AP (stochastic LLG Monte Carlo, "
        f"{TRIALS} trials per point, seeds 11-13), written by examples/make_measured_switching.py",
        "voltage_V,width_s,trials,switched",
    ]
    for k, v in enumerate(VOLTAGES_V):
        res = run_llg(dev, from_state="AP", voltage_V=v, duration_s=max(WIDTHS_S),
                      n_trials=TRIALS, seed=11 + k, n_trace=0)
        p = res.psw_at(np.array(WIDTHS_S))[0]
        lines += [f"{v:g},{w:g},{TRIALS},{round(x * TRIALS)}"
                  for w, x in zip(WIDTHS_S, p, strict=True)]
    out = Path(__file__).with_name("measured_switching.csv")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
