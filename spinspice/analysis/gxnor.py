"""GXNOR check of one 4T2R synapse: simulate the 12 cases and judge them.

For every input ∈ {−1, 0, +1} (voltages −V_rd, 0, +V_rd) and weight ∈ {−1, 0s, 0w, +1}
the cell is simulated in ngspice (one DC deck holds all 12 cells) and the output current
is compared with GXNOR(input, weight) (seed 001 §4.5.1, Table 1, eq. 29):

* a nonzero case passes if sign(i_out) equals GXNOR(input, weight);
* a zero case (input 0 or weight 0s/0w) passes if |i_out| is at least ``zero_ratio``
  (default 10×) smaller than the smallest nonzero |i_out| (seed 001 §5.2.3).

Table columns: ``input, weight, u_V, r1_ohm, r2_ohm, i_out_A, i_ideal_A, expected,
sign_ok`` (+ ``abs_ratio_to_min_nonzero``). ``i_ideal_A`` is eq. 29 without transistors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spinspice.analysis.runner import Engine, SimResult, run_one
from spinspice.analysis.tables import write_atomic
from spinspice.array_builder.synapse_4t2r import (
    GxnorCase,
    Synapse4T2RDesign,
    all_gxnor_cases,
    gxnor_job,
    output_source_name,
)
from spinspice.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

#: Columns every GXNOR table has (public contract: users script against them).
GXNOR_COLUMNS = ("input", "weight", "i_out_A", "expected", "sign_ok")


@dataclass(frozen=True, slots=True)
class GxnorResult:
    """Simulated GXNOR currents: arrays in case order.

    Attributes
    ----------
    cases:
        The simulated cases.
    i_out_A:
        Output current of each case, A (positive out of the cell into the row).
    i_ideal_A:
        (G1 − G2)·u of seed 001 eq. 29 for the same case, A.
    u_V:
        Input voltage u of each case, V.
    v_rd_V:
        Read voltage, V.
    design:
        The simulated design.
    elapsed_s:
        Simulator wall time, s.
    """

    cases: tuple[GxnorCase, ...]
    i_out_A: np.ndarray
    i_ideal_A: np.ndarray
    u_V: np.ndarray
    v_rd_V: float
    design: Synapse4T2RDesign
    elapsed_s: float
    zero_ratio: float = 10.0

    @property
    def expected(self) -> np.ndarray:
        """GXNOR(input, weight) per case."""
        return np.array([c.expected for c in self.cases], dtype=int)

    @property
    def min_nonzero_A(self) -> float:
        """Smallest |i_out| over the nonzero cases, A."""
        nz = self.expected != 0
        return float(np.min(np.abs(self.i_out_A[nz]))) if nz.any() else float("nan")

    @property
    def sign_ok(self) -> np.ndarray:
        """Pass/fail per case (see module docstring)."""
        exp = self.expected
        ok_nonzero = np.sign(self.i_out_A) == exp
        ok_zero = np.abs(self.i_out_A) * self.zero_ratio <= self.min_nonzero_A
        ok: np.ndarray = np.where(exp != 0, ok_nonzero, ok_zero)
        return ok

    @property
    def passed(self) -> bool:
        """True if every case passes."""
        return bool(np.all(self.sign_ok))

    def table(self) -> pd.DataFrame:
        """One row per case, units in the column names."""
        import pandas as pd

        r = self.design
        return pd.DataFrame(
            {
                "input": [c.activation for c in self.cases],
                "weight": [c.weight.value for c in self.cases],
                "u_V": self.u_V,
                "r1_ohm": [r.resistance(c.weight.mtj_states[0]) for c in self.cases],
                "r2_ohm": [r.resistance(c.weight.mtj_states[1]) for c in self.cases],
                "i_out_A": self.i_out_A,
                "i_ideal_A": self.i_ideal_A,
                "expected": self.expected,
                "sign_ok": self.sign_ok,
                "abs_ratio_to_min_nonzero": np.abs(self.i_out_A) / self.min_nonzero_A,
            }
        )


def measure_gxnor(
    design: Synapse4T2RDesign,
    cases: tuple[GxnorCase, ...],
    v_rd_V: float,
    sim: SimResult,
    *,
    zero_ratio: float = 10.0,
) -> GxnorResult:
    """Read the result of :func:`~spinspice.array_builder.synapse_4t2r.gxnor_job`."""
    op = sim.plot("op")
    i_out = np.array(
        [float(op[f"i({output_source_name(k).lower()})"][0]) for k in range(len(cases))]
    )
    u = np.array([c.activation * v_rd_V for c in cases])
    ideal = np.array([design.ideal_current(c.activation * v_rd_V, c.weight) for c in cases])
    return GxnorResult(cases, i_out, ideal, u, v_rd_V, design, sim.elapsed_s, zero_ratio)


def run_gxnor(
    design: Synapse4T2RDesign,
    engine: Engine,
    *,
    v_rd_V: float = 0.1,
    cases: tuple[GxnorCase, ...] | None = None,
    zero_ratio: float = 10.0,
) -> GxnorResult:
    """Simulate the GXNOR cases of one cell on ``engine``.

    Parameters
    ----------
    design:
        Cell design (technology, R_on, R_off).
    engine:
        The engine that runs the job.
    v_rd_V:
        Read voltage, V (default 0.1 V, seed 001 Table 3).
    cases:
        Cases to simulate (default: all 12).
    zero_ratio:
        Required ratio between the smallest nonzero |i_out| and any zero-case |i_out|.
    """
    if not zero_ratio > 1:
        raise ParameterError(f"zero_ratio must be > 1, got {zero_ratio}")
    cases = cases if cases is not None else all_gxnor_cases()
    sim = run_one(engine, gxnor_job(design, cases, v_rd_V=v_rd_V))
    return measure_gxnor(design, cases, v_rd_V, sim, zero_ratio=zero_ratio)


def plot_gxnor(result: GxnorResult, target: Path | str) -> Path:
    """Bar chart of |i_out| per case (log scale), coloured by GXNOR value; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = Path(target)
    fmt = target.suffix.lstrip(".").lower() or "png"
    labels = [f"{c.activation:+d}·{c.weight.value}" for c in result.cases]
    colours = {1: "tab:blue", -1: "tab:red", 0: "tab:gray"}
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    try:
        floor = 1e-4  # µA; exact zeros (input 0) are drawn at the floor and labelled
        heights = np.maximum(np.abs(result.i_out_A) * 1e6, floor)
        bars = ax.bar(labels, heights, color=[colours[int(e)] for e in result.expected])
        for bar, i in zip(bars, result.i_out_A, strict=True):
            if abs(i) * 1e6 < floor:
                ax.annotate(
                    "< 1e-4",
                    (bar.get_x() + bar.get_width() / 2, floor),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
        ax.set_yscale("log")
        ax.set_ylim(bottom=floor / 2)
        ax.set_ylabel("|I_out| (µA)")
        ax.set_xlabel("input · weight")
        ax.axhline(result.min_nonzero_A * 1e6 / result.zero_ratio, ls="--", color="k", lw=0.8)
        ax.set_title(
            f"4T2R GXNOR, V_rd = {result.v_rd_V:g} V (blue +1, red −1, grey 0; "
            f"dashed: 1/{result.zero_ratio:g} of smallest nonzero)",
            fontsize=9,
        )
        ax.tick_params(axis="x", rotation=60)
        write_atomic(target, lambda p: fig.savefig(p, format=fmt, dpi=120))
    finally:
        plt.close(fig)
    return target
