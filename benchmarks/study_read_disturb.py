"""Monte Carlo read disturb against the free layer's thermal stability.

The criterion (docs/device.md) is a read-disturb probability < 1e-3 (V_rd = 0.1 V,
T_rd = 0.5 ns, seed 001 Table 3) in the LLG Monte Carlo. Table 3's θ0 = 0.345 rad means
Δ = 1/(2·θ0²) = 4.2, and such a free layer hops the barrier thermally with or without
current. This study sweeps θ0 (hence H_k and Δ; every other parameter of
``seed001-device-c`` kept) and prints the fraction of trials that end the pulse switched,
under the read voltage and at 0 V, from both states: the data for choosing a preset that
meets the criterion.

    .venv/bin/python benchmarks/study_read_disturb.py [--trials 100000]   # ~45 s
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from spinspice.spintronic_cells.llg import run_llg
from spinspice.spintronic_cells.presets import get_preset


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument(
        "--theta0", type=float, nargs="+", default=[0.345, 0.30, 0.27, 0.25, 0.23, 0.21, 0.20]
    )
    ap.add_argument("--seed", type=int, default=12)
    a = ap.parse_args()
    dev = get_preset("seed001-device-c")
    t0 = time.perf_counter()
    print(f"P(switched after 0.5 ns), {a.trials} trials per entry")
    print("theta0 [rad]  Delta | 0.1 V from AP | 0.1 V from P | 0 V from AP | 0 V from P")
    for th in a.theta0:
        d = replace(dev, theta0_rad=th)
        row = []
        for v in (0.1, 0.0):
            for state in ("AP", "P"):
                r = run_llg(d, from_state=state, voltage_V=v, duration_s=0.5e-9,  # type: ignore[arg-type]
                            n_trials=a.trials, seed=a.seed, n_trace=0)
                row.append(float(r.final_switched.mean()))
        print(f"{th:12.3f} {1 / (2 * th * th):6.1f} | " + " | ".join(f"{x:.2e}" for x in row), flush=True)
    print(f"elapsed {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
