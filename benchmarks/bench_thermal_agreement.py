"""Thermal regime of the fitted SPICE MTJ against the Monte Carlo, full size.

For seed 001 device C, from AP and from P, at V_rd = 0.1 V (read disturb) and 0 V
(retention), the switching probability after 0.5 ns and 5 ns of ``--instances`` OSDI
instances (each its own recorded draw) against ``--trials`` stochastic-LLG trials, with the
two-sample binomial z. Prints a table and exits 1 if any |z| >= 3 (:data:`Z_MAX`).

    .venv/bin/python benchmarks/bench_thermal_agreement.py [--instances 2000] [--trials 100000]

Also collected by pytest as a ``slow`` test (deselected by default; ``-m slow`` runs it).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Final

import numpy as np
import pytest

from spinspice.analysis.device import spice_switching
from spinspice.analysis.runner import NgspiceSubprocess
from spinspice.spintronic_cells.fit import shipped_fit
from spinspice.spintronic_cells.llg import run_llg
from spinspice.spintronic_cells.presets import get_preset

WIDTHS = np.array([0.5e-9, 5e-9])
CASES = (("AP", 0.1), ("P", 0.1), ("AP", 0.0), ("P", 0.0))
#: |z| of the two-sample binomial test from which SPICE and the Monte Carlo disagree,
#: standard deviations; our choice: binomial 3σ, as in docs/device.md and docs/arrays.md.
Z_MAX: Final = 3


def agreement(instances: int, trials: int) -> list[dict[str, float | str]]:
    """One row per (start state, voltage, width): p_spice, p_mc, z."""
    dev, fit, engine = get_preset("seed001-device-c"), shipped_fit(), NgspiceSubprocess()
    rows: list[dict[str, float | str]] = []
    for k, (state, v) in enumerate(CASES):
        t0 = time.perf_counter()
        mc = run_llg(dev, from_state=state, voltage_V=v, duration_s=5e-9,  # type: ignore[arg-type]
                     n_trials=trials, seed=900 + k, n_trace=0)
        t1 = time.perf_counter()
        sp = spice_switching(fit, from_state=state, voltage_V=v, duration_s=5e-9,  # type: ignore[arg-type]
                             n=instances, seed=700 + k, kind="osdi", engine=engine)
        t2 = time.perf_counter()
        p_mc, p_sp = mc.psw_at(WIDTHS)[0], sp.psw_at(WIDTHS)
        pool = (p_mc * trials + p_sp * instances) / (trials + instances)
        z = (p_sp - p_mc) / np.sqrt(pool * (1 - pool) * (1 / trials + 1 / instances))
        for j, w in enumerate(WIDTHS):
            rows.append({"from": state, "voltage_V": v, "width_s": float(w),
                         "p_spice": float(p_sp[j]), "p_mc": float(p_mc[j]), "z": float(z[j]),
                         "mc_s": t1 - t0, "spice_s": t2 - t1})
    return rows


def _print(rows: list[dict[str, float | str]], instances: int, trials: int) -> None:
    print(f"seed001-device-c, {instances} SPICE (OSDI) instances vs {trials} LLG trials")
    print("from  V_rd[V]  width[ns]  p_spice   p_mc      z      (mc s, spice s)")
    for r in rows:
        print(f"{r['from']:>4}  {r['voltage_V']:7.2f}  {float(r['width_s']) * 1e9:9.1f}  "
              f"{r['p_spice']:.4f}   {r['p_mc']:.4f}  {r['z']:+6.2f}   "
              f"({r['mc_s']:.0f}, {r['spice_s']:.0f})")


@pytest.mark.slow
@pytest.mark.ngspice
def test_thermal_regime_agrees_at_full_size() -> None:
    rows = agreement(2000, 100_000)
    _print(rows, 2000, 100_000)
    assert all(abs(float(r["z"])) < Z_MAX for r in rows), rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=2000)
    ap.add_argument("--trials", type=int, default=100_000)
    args = ap.parse_args()
    rows = agreement(args.instances, args.trials)
    _print(rows, args.instances, args.trials)
    return 0 if all(abs(float(r["z"])) < Z_MAX for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
