"""Stochastic LLG Monte Carlo throughput.

Prints trial-steps per second of :func:`spinspice.spintronic_cells.llg.run_llg`
(vectorised over trials, Heun, float32, worker processes) against a straightforward per-trial loop of the
same equations in plain Python, measured in the same run, and the ratio. Target
(docs/device.md "Throughput"): ≥ 5·10⁷ trial-steps/s on 2 cores.

    .venv/bin/python benchmarks/bench_llg.py [--trials 20000] [--steps 2000]
"""

from __future__ import annotations

import argparse
import math
import random
import time

from spinspice.spintronic_cells.llg import run_llg, thermal_sigma
from spinspice.spintronic_cells.mtj import GAMMA0
from spinspice.spintronic_cells.presets import get_preset


def per_trial_loop(n_trials: int, n_steps: int, dt: float, voltage_V: float) -> int:
    """The same macrospin equations, one trial at a time in plain Python; returns switches."""
    p = get_preset("seed001-device-c")
    a = p.alpha
    g = GAMMA0 / (1 + a * a)
    hk, ms, p2, r_on = p.hk_A_per_m, p.ms_A_per_m, p.polarization**2, p.r_on_ohm
    sigma = thermal_sigma(p, dt)
    rng = random.Random(1)
    switched = 0

    def deriv(mx: float, my: float, mz: float, hx: float, hy: float, hz: float) -> tuple[float, float, float]:
        i = voltage_V / (r_on * (1 + p2) / (1 + p2 * mx))
        aj = a * (hk + ms / 2) * i / p.ic0_ap_to_p_A
        bx, by, bz = hk * mx + hx, hy, -ms * mz + hz
        mh = mx * bx + my * by + mz * bz
        return (
            -g * (my * bz - mz * by) + g * a * (bx - mx * mh) + g * aj * (1 - mx * mx),
            -g * (mz * bx - mx * bz) + g * a * (by - my * mh) - g * aj * mx * my,
            -g * (mx * by - my * bx) + g * a * (bz - mz * mh) - g * aj * mx * mz,
        )

    for _ in range(n_trials):
        my, mz = rng.gauss(0, p.theta0_rad), rng.gauss(0, 0.01)
        mx = -math.sqrt(1 - my * my - mz * mz)
        for _ in range(n_steps):
            h = (rng.gauss(0, sigma), rng.gauss(0, sigma), rng.gauss(0, sigma))
            d1 = deriv(mx, my, mz, *h)
            q = (mx + dt * d1[0], my + dt * d1[1], mz + dt * d1[2])
            d2 = deriv(*q, *h)
            mx += 0.5 * dt * (d1[0] + d2[0])
            my += 0.5 * dt * (d1[1] + d2[1])
            mz += 0.5 * dt * (d1[2] + d2[2])
            nrm = math.sqrt(mx * mx + my * my + mz * mz)
            mx, my, mz = mx / nrm, my / nrm, mz / nrm
        switched += mx > 0
    return switched


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=20_000)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--loop-trials", type=int, default=10)
    args = ap.parse_args()
    dt = 0.5e-12
    dev = get_preset("seed001-device-c")

    t0 = time.perf_counter()
    per_trial_loop(args.loop_trials, args.steps, dt, 1.0)
    loop_s = time.perf_counter() - t0
    loop_rate = args.loop_trials * args.steps / loop_s

    rates = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        run_llg(dev, from_state="AP", voltage_V=1.0, duration_s=args.steps * dt, dt_s=dt,
                n_trials=args.trials, seed=1, n_trace=0, workers=workers)
        vec_s = time.perf_counter() - t0
        rates[workers] = args.trials * args.steps / vec_s
        print(f"run_llg        : {args.trials} trials x {args.steps} steps in {vec_s:.2f} s "
              f"= {rates[workers]:.3g} trial-steps/s ({workers} worker process(es))")

    print(f"per-trial loop : {args.loop_trials} trials x {args.steps} steps in {loop_s:.2f} s "
          f"= {loop_rate:.3g} trial-steps/s")
    print(f"ratio          : {rates[2] / loop_rate:.0f}x the per-trial loop, 2 workers "
          f"{rates[2] / rates[1]:.2f}x 1 worker; target 5e7 trial-steps/s on 2 cores -> "
          f"{rates[2] / 5e7:.2f} of target")

if __name__ == "__main__":
    main()
