"""Coverage of the measured-data fit's 95 % intervals and its cost (docs/device.md).

Draws ``--sets`` synthetic data sets (6 widths × 3 voltages × ``--trials`` trials, from AP)
from a known law, fits each by maximum likelihood (spinspice.analysis.device_fit) and
prints the fraction of data sets whose 95 % interval covers each true parameter, and the
time per fit.

    .venv/bin/python benchmarks/bench_measured_fit.py [--sets 1000] [--trials 500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from spinspice.analysis.device_fit import fit_measured, synthetic_data
from spinspice.spintronic_cells.fit import shipped_fit
from spinspice.spintronic_cells.presets import get_preset

TRUE = (2.3e-13, 70e-6, 0.66)
KEYS = ("c_As", "ic_A", "theta0_rad")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=500)
    args = ap.parse_args()
    base, dev = shipped_fit(), get_preset("seed001-device-c")
    widths = tuple(np.array([0.3, 0.6, 1.0, 1.5, 2.0, 3.0]) * 1e-9)
    cover = np.zeros(3)
    t0 = time.perf_counter()
    for k in range(args.sets):
        data = synthetic_data(TRUE, base, "AP", (0.8, 1.0, 1.2), widths, args.trials, seed=k)
        res = fit_measured(data, dev, base, preset="x")
        cover += [res.ci95[key][0] <= t <= res.ci95[key][1] for key, t in zip(KEYS, TRUE, strict=True)]
    dt = time.perf_counter() - t0
    se = np.sqrt(0.95 * 0.05 / args.sets)
    for key, c in zip(KEYS, cover / args.sets, strict=True):
        print(f"{key:>11}: coverage {c:.3f} (nominal 0.95 +- {se:.3f})")
    print(f"{args.sets} fits in {dt:.1f} s ({dt / args.sets * 1e3:.1f} ms per fit)")


if __name__ == "__main__":
    main()
