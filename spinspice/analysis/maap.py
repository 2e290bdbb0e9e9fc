"""Measures of the MAAP sets (seed 003): cell transfer, max-pool(ReLU) check, energy.

Every function that simulates takes the caller's ``engine``. Values are in unit products
(see :mod:`spinspice.array_builder.maap`); voltages in V, currents in A, energies in J.

Output code
-----------
The MAAP output voltage is read by a B-bit ADC calibrated on the simulated transfer of the
nominal set with one active window (:func:`calibrate`): the voltage is mapped back to a
value v̂ in [0, FS] by monotone interpolation and quantised,
code = round(v̂ / FS · (2^B − 1)). The ideal output is the same code of
min(max_p ReLU(Σ_k w_k x_k), FS). One LSB is FS / (2^B − 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from spinspice.analysis.runner import Engine, SimResult, run_one
from spinspice.array_builder.maap import (
    TRIM_V_PER_CODE,
    MaapDesign,
    calibration_job,
    cell_transfer_job,
    draw_maap,
    maap_job,
    relu_transfer_job,
    sample_times,
    trim_job,
)
from spinspice.errors import ParameterError
from spinspice.spintronic_cells.she_mtj import SheMtjDraws, SheMtjVariation

if TYPE_CHECKING:
    import pandas as pd

#: Full scale of the output code, unit products (our choice: below the measured
#: saturation of the activation pair, 2.3 unit products for the default design).
S_FS = 2.0
#: Largest step down between sweep points that still counts as a monotone transfer, V; our
#: choice (0.1 mV of solver noise).
MONOTONE_TOL_V: Final = 1e-4
#: Upper bound of the HM sweep current of :func:`run_transfer`, A; our choice (a bound
#: against unit mistakes, ~80× the default 120 µA sweep).
MAX_SWEEP_CURRENT_A: Final = 1e-2
#: Widest ADC of the output code, bits; our choice (a bound for input validation).
MAX_ADC_BITS: Final = 16


# --------------------------------------------------------------------------- transfer


@dataclass(frozen=True, slots=True)
class CellTransfer:
    """Cell output vs HM input current, and what it says.

    Attributes
    ----------
    i_in_A, v_out_V:
        The DC sweep (A, V).
    gain_V_per_A:
        Slope at zero input, V/A.
    linear_min_A, linear_max_A:
        The input range where the output is within ``linear_tol`` of the straight line
        through the zero-input point with the zero-input slope (tolerance as a fraction of
        the full output swing), A.
    i_sat_pos_A, i_sat_neg_A:
        Inputs at which the output reaches 95 % of its swing above / below the zero-input
        output, A.
    relu_s, relu_v_V:
        The activation-pair sweep (unit products, V).
    """

    i_in_A: np.ndarray
    v_out_V: np.ndarray
    gain_V_per_A: float
    linear_min_A: float
    linear_max_A: float
    i_sat_pos_A: float
    i_sat_neg_A: float
    linear_tol: float
    relu_s: np.ndarray
    relu_v_V: np.ndarray

    def summary(self) -> dict[str, float]:
        """Gain, linear range and saturation currents (SI units)."""
        return {
            "gain_V_per_A": self.gain_V_per_A,
            "linear_min_A": self.linear_min_A,
            "linear_max_A": self.linear_max_A,
            "linear_tol": self.linear_tol,
            "i_sat_neg_A": self.i_sat_neg_A,
            "i_sat_pos_A": self.i_sat_pos_A,
            "v_out_min_V": float(self.v_out_V.min()),
            "v_out_max_V": float(self.v_out_V.max()),
        }

    def table(self) -> pd.DataFrame:
        """One row per sweep point: i_in_A, v_out_V, in_linear_range."""
        import pandas as pd

        lin = (self.i_in_A >= self.linear_min_A) & (self.i_in_A <= self.linear_max_A)
        return pd.DataFrame(
            {"i_in_A": self.i_in_A, "v_out_V": self.v_out_V, "in_linear_range": lin}
        )


def analyse_transfer(
    i: np.ndarray, v: np.ndarray, *, linear_tol: float = 0.02
) -> tuple[float, float, float, float, float]:
    """Gain at zero, linear range and the ±95 % saturation currents of a sweep (see
    :class:`CellTransfer`)."""
    k0 = int(np.argmin(np.abs(i)))
    g = np.gradient(v, i)
    gain = float(g[k0])
    v0 = float(np.interp(0.0, i, v))
    swing = float(v.max() - v.min())
    dev = np.abs(v - (v0 + gain * i)) <= linear_tol * swing
    lo = hi = k0
    while lo > 0 and dev[lo - 1]:
        lo -= 1
    while hi < len(i) - 1 and dev[hi + 1]:
        hi += 1
    top, bot = float(v.max()), float(v.min())
    pos = np.nonzero((i > 0) & (v >= v0 + 0.95 * (top - v0)))[0]
    neg = np.nonzero((i < 0) & (v <= v0 - 0.95 * (v0 - bot)))[0]
    i_pos = float(i[pos[0]]) if pos.size else float("nan")
    i_neg = float(i[neg[-1]]) if neg.size else float("nan")
    return gain, float(i[lo]), float(i[hi]), i_pos, i_neg


def run_transfer(
    engine: Engine,
    d: MaapDesign,
    *,
    i_max_A: float = 120e-6,
    n_points: int = 241,
    linear_tol: float = 0.02,
    osdi_path: Path | None = None,
) -> CellTransfer:
    """Simulate the cell's DC transfer and the activation pair's (seed 003 §2.2)."""
    if not 0 < i_max_A < MAX_SWEEP_CURRENT_A:
        raise ParameterError("i_max_A must be in (0, 10 mA)")
    res = run_one(
        engine, cell_transfer_job(d, i_max_A=i_max_A, n_points=n_points, osdi_path=osdi_path)
    )
    dc = res.plot("dc")
    i = dc["v(v-sweep)"] * (d.i_unit_A / d.v_unit_V)
    v = dc["v(o)"]
    gain, lo, hi, ip, ineg = analyse_transfer(i, v, linear_tol=linear_tol)
    rel = run_one(engine, relu_transfer_job(d, s_max=2 * S_FS, n_points=121, osdi_path=osdi_path))
    rdc = rel.plot("dc")
    return CellTransfer(
        i, v, gain, lo, hi, ip, ineg, linear_tol, rdc["v(v-sweep)"] / d.v_unit_V, rdc["v(o2)"]
    )


def plot_transfer(t: CellTransfer, path: Path) -> None:
    """Cell transfer (left) and activation pair (right), atomically written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    ax1.plot(t.i_in_A * 1e6, t.v_out_V, "k-")
    ax1.axvspan(
        t.linear_min_A * 1e6,
        t.linear_max_A * 1e6,
        color="tab:green",
        alpha=0.15,
        label=f"linear (±{100 * t.linear_tol:g} % of swing)",
    )
    for x in (t.i_sat_neg_A, t.i_sat_pos_A):
        ax1.axvline(x * 1e6, color="tab:red", ls=":", lw=1)
    ax1.set_xlabel("HM input current (µA)")
    ax1.set_ylabel("cell output (V)")
    ax1.set_title(f"cell: gain {t.gain_V_per_A * 1e-3:.2f} mV/µA")
    ax1.legend(fontsize=8, loc="upper left")
    ax2.plot(t.relu_s, t.relu_v_V, "b-")
    ax2.axvline(0, color="grey", lw=0.5)
    ax2.set_xlabel("window sum Σ w·x (unit products)")
    ax2.set_ylabel("activation-pair output (V)")
    ax2.set_title("ReLU pair")
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, format=path.suffix.lstrip(".") or "png", dpi=130))
    plt.close(fig)


# --------------------------------------------------------------------------- check


@dataclass(frozen=True, slots=True)
class Calibration:
    """Nominal MAAP output voltage vs the active window's value (the ADC's lookup)."""

    s: np.ndarray
    v_out_V: np.ndarray
    s_fs: float

    def decode(self, v: np.ndarray) -> np.ndarray:
        """Value v̂ in [0, FS] for output voltages ``v`` (monotone inverse interpolation)."""
        m = (self.s >= 0) & (self.s <= self.s_fs)
        s, vv = self.s[m], self.v_out_V[m]
        vv = np.maximum.accumulate(vv)  # enforce monotone (it is, to solver noise)
        out: np.ndarray = np.clip(np.interp(np.asarray(v, dtype=float), vv, s), 0.0, self.s_fs)
        return out


def calibrate(
    engine: Engine, d: MaapDesign, *, windows: int, inputs: int, osdi_path: Path | None = None
) -> Calibration:
    """Simulate the nominal set with one active window (``calibration_job``)."""
    res = run_one(
        engine, calibration_job(d, windows=windows, inputs=inputs, s_max=S_FS, osdi_path=osdi_path)
    )
    dc = res.plot("dc")
    s = dc["v(v-sweep)"] / d.v_unit_V
    v = dc["v(out)"]
    if np.any(np.diff(v[s >= 0]) < -MONOTONE_TOL_V):
        raise ParameterError("the MAAP transfer is not monotone over [0, FS]; check the design")
    return Calibration(s, v, S_FS)


@dataclass(frozen=True, slots=True)
class TrimResult:
    """Floor-trim codes of one MAAP set, one per window.

    ``residual_V`` is the output at the chosen code minus the nominal floor (V);
    ``saturated`` marks a window whose best code is the end of the DAC's range.
    """

    codes: tuple[int, ...]
    residual_V: tuple[float, ...]
    saturated: tuple[bool, ...]


def trim_sets(
    engine: Engine,
    d: MaapDesign,
    *,
    inputs: int,
    windows: int,
    draws: Sequence[SheMtjDraws],
    osdi_path: Path | None = None,
) -> list[TrimResult]:
    """Set the floor trim of every pair of the sets ``draws`` (the one-time test step).

    For each window of each set, :func:`~spinspice.array_builder.maap.trim_job` sweeps the
    trim code with the window sum on the ReLU floor; the code whose output is nearest the
    nominal set's output at code 0 (the same sweep of the nominal devices) is kept, as an
    exhaustive search against a comparator would. All sweeps run in one engine batch.
    """
    jobs = [trim_job(d, inputs=inputs, osdi_path=osdi_path)]
    jobs += [
        trim_job(d, inputs=inputs, draws=dr, window=p, osdi_path=osdi_path)
        for dr in draws
        for p in range(windows)
    ]
    res = engine.run(jobs)

    def curve(r: SimResult) -> tuple[np.ndarray, np.ndarray]:
        dc = r.plot("dc")
        return np.rint(dc["v(v-sweep)"] / TRIM_V_PER_CODE).astype(int), dc["v(out)"]

    c0, v0 = curve(res[0])
    target = float(v0[np.flatnonzero(c0 == 0)[0]])
    out: list[TrimResult] = []
    for i in range(len(draws)):
        codes, resid, sat = [], [], []
        for p in range(windows):
            c, v = curve(res[1 + i * windows + p])
            j = int(np.argmin(np.abs(v - target)))
            codes.append(int(c[j]))
            resid.append(float(v[j] - target))
            sat.append(abs(int(c[j])) == d.trim_max_code)
        out.append(TrimResult(tuple(codes), tuple(resid), tuple(sat)))
    return out


def random_products(rng: np.random.Generator, n: int, windows: int, inputs: int) -> np.ndarray:
    """Random products w·x, w ~ U(−1, 1), x ~ U(0, 1), scaled by 3/√K so that each window
    sum has σ = 1 unit product whatever K (shape (n, windows, inputs))."""
    w = rng.uniform(-1.0, 1.0, (n, windows, inputs))
    x = rng.uniform(0.0, 1.0, (n, windows, inputs))
    out: np.ndarray = w * x * (3.0 / np.sqrt(inputs))
    return out


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One row per vector and the summary of a ``maap check``."""

    table: pd.DataFrame
    bits: int
    s_fs: float
    e_op_J: float
    seed: int
    elapsed_s: float
    trim: TrimResult | None = None

    def summary(self) -> dict[str, float | int]:
        """Mean/max |error| in LSB, fraction correct after the ADC, winner statistics."""
        df = self.table
        counted = df["counted"].to_numpy(bool)
        return {
            "vectors": len(df),
            "bits": self.bits,
            "mean_abs_error_lsb": float(df["error_lsb"].abs().mean()),
            "max_abs_error_lsb": float(df["error_lsb"].abs().max()),
            "mean_error_lsb": float(df["error_lsb"].mean()),
            "fraction_code_correct": float((df["expected"] == df["output"]).mean()),
            "fraction_within_1_lsb": float(((df["expected"] - df["output"]).abs() <= 1).mean()),
            "winner_vectors_counted": int(counted.sum()),
            "fraction_winner_correct": float(df.loc[counted, "winner_correct"].mean())
            if counted.any()
            else float("nan"),
            "e_maap_op_J": self.e_op_J,
        }


def _energy_J(
    res: SimResult, d: MaapDesign, windows: int, inputs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Time and cumulative energy (J) delivered by every supply and DAC source."""
    tr = res.plot("tran")
    t = tr["time"]
    p = -d.vdd_V * tr["i(vdd)"] - d.vss_V * tr["i(vss)"]
    for w in range(windows):
        for k in range(inputs):
            # DAC power: its voltage times the current it delivers (charging c_in)
            p = p - tr[f"v(i{w}_{k}in)"] * tr[f"i(vi{w}_{k})"]
    e = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(t))])
    return t, e


def run_check(
    engine: Engine,
    d: MaapDesign,
    *,
    inputs: int,
    windows: int,
    vectors: int,
    seed: int,
    bits: int = 4,
    variation: SheMtjVariation | None = None,
    trim: bool = True,
    batch: int = 50,
    osdi_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CheckResult:
    """Simulate ``vectors`` random weight/input vectors on one MAAP set in ngspice.

    The set (``windows`` activation pairs of ``inputs`` OTAs each) runs the vectors as
    consecutive operations of ``d.t_op_s`` in transients of ``batch`` vectors; each output
    is read at the end of its operation and compared with the ideal
    min(max_p ReLU(Σ w·x), FS) after the ADC (module docstring). With ``variation`` the
    devices are drawn once with ``seed`` (one physical set) and, with ``trim``, every
    pair's floor trim is set first (:func:`trim_sets`); nominal devices need no trim.

    winner_correct: the follower carrying the largest drain current at the read time is
    the window of the largest ideal ReLU value; it is *counted* in the summary when the
    top two ideal values differ by at least 1 LSB.
    """
    import time

    import pandas as pd

    if not 1 <= bits <= MAX_ADC_BITS:
        raise ParameterError("bits must be in 1..16")
    if vectors < 1:
        raise ParameterError("vectors must be >= 1")
    if batch < 1:
        raise ParameterError("batch must be >= 1")
    t_start = time.perf_counter()
    cal = calibrate(engine, d, windows=windows, inputs=inputs, osdi_path=osdi_path)
    rng = np.random.default_rng(seed)
    prods = random_products(rng, vectors, windows, inputs)
    draws = draw_maap(variation, windows, seed) if variation is not None else None
    trimmed = None
    if draws is not None and trim:
        trimmed = trim_sets(
            engine, d, inputs=inputs, windows=windows, draws=[draws], osdi_path=osdi_path
        )[0]
    lsb = cal.s_fs / (2**bits - 1)
    v_out = np.empty(vectors)
    winner = np.empty(vectors, dtype=int)
    e_total = 0.0
    n_batches = -(-vectors // batch)
    for b in range(n_batches):
        part = prods[b * batch : (b + 1) * batch]
        job = maap_job(
            d,
            part,
            key=f"maap/check/{windows}x{inputs}/b{b}",
            draws=draws,
            trim=None if trimmed is None else trimmed.codes,
            osdi_path=osdi_path,
        )
        res = run_one(engine, job)
        tr = res.plot("tran")
        ts = sample_times(d, len(part))
        t = tr["time"]
        v_out[b * batch : b * batch + len(part)] = np.interp(ts, t, tr["v(out)"])
        cur = np.stack([np.interp(ts, t, np.abs(tr[f"i(vwd{p})"])) for p in range(windows)], axis=1)
        winner[b * batch : b * batch + len(part)] = np.argmax(cur, axis=1)
        _, e = _energy_J(res, d, windows, inputs)
        e_total += float(e[-1])
        if progress is not None:
            progress(b + 1, n_batches)
    sums = prods.sum(axis=2)
    relu = np.clip(sums, 0.0, cal.s_fs)
    ideal = relu.max(axis=1)
    order = np.sort(relu, axis=1)
    gap = (order[:, -1] - order[:, -2]) / lsb if windows > 1 else np.full(vectors, np.inf)
    v_hat = cal.decode(v_out)
    levels = 2**bits - 1
    expected = np.rint(ideal / cal.s_fs * levels).astype(int)
    output = np.rint(v_hat / cal.s_fs * levels).astype(int)
    df = pd.DataFrame(
        {
            "vector": np.arange(vectors),
            "expected": expected,
            "output": output,
            "error_lsb": (v_hat - ideal) / lsb,
            "winner_correct": winner == np.argmax(relu, axis=1),
            "ideal_value": ideal,
            "output_value": v_hat,
            "v_out_V": v_out,
            "winner_ideal": np.argmax(relu, axis=1),
            "winner_sim": winner,
            "top2_gap_lsb": gap,
            "counted": gap >= 1.0,
        }
    )
    return CheckResult(
        df, bits, cal.s_fs, e_total / vectors, seed, time.perf_counter() - t_start, trimmed
    )


def plot_check(res: CheckResult, path: Path) -> None:
    """Decoded output vs ideal max-pool(ReLU) (left) and the error histogram (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    df = res.table
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    ok = df["winner_correct"].to_numpy(bool)
    ax1.plot(df["ideal_value"][ok], df["output_value"][ok], "k.", ms=4, label="winner right")
    ax1.plot(df["ideal_value"][~ok], df["output_value"][~ok], "rx", ms=5, label="winner wrong")
    ax1.plot([0, res.s_fs], [0, res.s_fs], color="grey", lw=0.8)
    ax1.set_xlabel("ideal min(max_p ReLU(Σ w·x), FS)")
    ax1.set_ylabel("MAAP output, decoded")
    ax1.legend(fontsize=8)
    ax2.hist(df["error_lsb"], bins=30, color="tab:blue")
    s = res.summary()
    ax2.set_xlabel(f"error ({res.bits}-bit LSB)")
    ax2.set_title(
        f"mean |err| {s['mean_abs_error_lsb']:.2f}, max {s['max_abs_error_lsb']:.2f} LSB; "
        f"winner {100 * s['fraction_winner_correct']:.1f} %",
        fontsize=9,
    )
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, format=path.suffix.lstrip(".") or "png", dpi=130))
    plt.close(fig)
