"""Fit the behavioural MTJ law to measured switching data (``spinspice device fit --data``).

Input: a CSV of one switching direction (``--from AP`` or ``P``), one row per
(pulse amplitude, pulse width), in one of three forms (units in the names):

* ``voltage_V,width_s,trials,switched``: switching counts;
* ``voltage_V,width_s,psw,trials``: switching fractions and their trial counts;
* ``voltage_V,width_s,wer`` (+ ``trials``, or ``--trials N`` for the whole file): write
  error rates, WER = 1 − P_sw.

``voltage_V`` is the pulse amplitude straight across the MTJ (magnitude; its polarity is
the one that switches the start state), the current I = V/R(start state, V) follows from
the preset's resistance law. Rows are checked and refused with the row number (1-based data
rows, as a spreadsheet shows them after the header): switched > trials, switched or trials
not whole non-negative numbers, psw/wer outside [0, 1], a width or voltage ≤ 0 or not
finite, a repeated (voltage, width) pair, and a P_sw that *falls* with width at one voltage
by more than 3 binomial σ (switching probability cannot decrease with a longer pulse).

Model: the precessional law of :mod:`spinspice.spintronic_cells.fit` for the measured
direction, P(t) = 1 − erf((π/2)·exp(−x)/(√2·θ0)), x = (t − D)·(I − I_c)/C, with the
preset's shipped-fit transition time t_sw (D = 4.579·t_sw) and its thermal regime kept as
it is (a measured data set rarely resolves both; the report says so). The other direction
is the preset's shipped fit unchanged.

Estimation: maximum likelihood, binomial likelihood Σ k·ln p + (n − k)·ln(1 − p), in the
parameters z = (ln C, I_c [µA], ln θ0); 95 % Wald intervals from the observed information
(numerical Hessian of the negative log-likelihood at the optimum), mapped back through the
log transforms. Diagnostics: per-point residual z = (k − n·p)/√(n·p·(1 − p)), the
deviance, and a plot of data (Wilson 95 % bars) against the fitted curves with a 95 %
band (parameter draws from the asymptotic normal).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from scipy.optimize import minimize
from scipy.special import erf

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.fit import BehaviouralFit
from spinspice.spintronic_cells.mtj import MTJParams, State, direction_from

if TYPE_CHECKING:
    import pandas as pd

_Z95: Final = 1.959963984540054
#: Largest |decrease| of P_sw with width at one voltage accepted as noise, in binomial σ.
MONOTONE_SIGMA: Final = 3.0
#: Probability clip of the likelihood (keeps ln p finite at fitted 0 or 1), dimensionless.
P_CLIP: Final = 1e-12
#: Relative step of the numerical Hessian, dimensionless; our choice.
HESSIAN_STEP: Final = 1e-4
#: Parameter draws for the plot's 95 % band.
BAND_DRAWS: Final = 200


@dataclass(frozen=True, slots=True)
class SwitchingData:
    """Validated measured switching data of one direction (arrays of equal length)."""

    voltage_V: np.ndarray
    width_s: np.ndarray
    trials: np.ndarray
    switched: np.ndarray
    from_state: State

    @property
    def psw(self) -> np.ndarray:
        """Fraction switched per point."""
        out: np.ndarray = self.switched / self.trials
        return out


def _fail(row: int, message: str) -> None:
    raise ParameterError(f"data row {row}: {message}")


def parse_switching_csv(
    table: pd.DataFrame, from_state: State, trials_default: int | None = None
) -> SwitchingData:
    """Check a measured-data table (module docstring) and convert it to counts."""
    direction_from(from_state)
    cols = set(table.columns)
    for need in ("voltage_V", "width_s"):
        if need not in cols:
            raise ParameterError(f"data needs a {need} column; got columns {sorted(cols)}")
    n = len(table)
    if n == 0:
        raise ParameterError("data file has no rows")
    if "switched" in cols:
        kind = "counts"
        if "trials" not in cols:
            raise ParameterError("switching counts need a trials column next to switched")
    elif "psw" in cols:
        kind = "psw"
        if "trials" not in cols:
            raise ParameterError("psw data need a trials column (the binomial likelihood)")
    elif "wer" in cols:
        kind = "wer"
        if "trials" not in cols and trials_default is None:
            raise ParameterError("wer data need a trials column or --trials N")
    else:
        raise ParameterError("data needs switched+trials, psw+trials or wer columns")

    def number(value: Any, row: int, name: str) -> float:
        try:
            x = float(value)
        except (TypeError, ValueError):
            _fail(row, f"{name} = {value!r} is not a number")
        if not math.isfinite(x):
            _fail(row, f"{name} = {value!r} is not finite")
        return x

    v = np.empty(n)
    w = np.empty(n)
    t = np.empty(n)
    k = np.empty(n)
    for j, rec in enumerate(table.to_dict("records")):
        row = j + 1
        v[j] = number(rec["voltage_V"], row, "voltage_V")
        w[j] = number(rec["width_s"], row, "width_s")
        if v[j] <= 0:
            _fail(row, f"voltage_V = {v[j]:g} must be > 0 (the amplitude; --from sets polarity)")
        if w[j] <= 0:
            _fail(row, f"width_s = {w[j]:g} must be > 0")
        if w[j] >= 1:
            _fail(row, f"width_s = {w[j]:g} s is not a pulse width (units are seconds)")
        if "trials" in rec:
            t[j] = number(rec["trials"], row, "trials")
        else:
            assert trials_default is not None
            t[j] = trials_default
        if t[j] < 1 or t[j] != round(t[j]):
            _fail(row, f"trials = {t[j]:g} must be a whole number >= 1")
        if kind == "counts":
            k[j] = number(rec["switched"], row, "switched")
            if k[j] < 0 or k[j] != round(k[j]):
                _fail(row, f"switched = {k[j]:g} must be a whole number >= 0")
            if k[j] > t[j]:
                _fail(row, f"switched = {k[j]:g} exceeds trials = {t[j]:g}")
        else:
            name = "psw" if kind == "psw" else "wer"
            p = number(rec[name], row, name)
            if not 0 <= p <= 1:
                _fail(row, f"{name} = {p:g} is outside [0, 1]")
            k[j] = round((p if kind == "psw" else 1.0 - p) * t[j])
    seen: dict[tuple[float, float], int] = {}
    for j in range(n):
        key = (float(v[j]), float(w[j]))
        if key in seen:
            _fail(j + 1, f"repeats voltage_V = {key[0]:g}, width_s = {key[1]:g} of row {seen[key]}")
        seen[key] = j + 1
    for volt in np.unique(v):
        idx = np.flatnonzero(v == volt)
        idx = idx[np.argsort(w[idx])]
        for a, b in itertools.pairwise(idx):
            pa, pb = k[a] / t[a], k[b] / t[b]
            pool = (k[a] + k[b]) / (t[a] + t[b])
            sigma = math.sqrt(max(pool * (1 - pool), 1e-12) * (1 / t[a] + 1 / t[b]))
            if pa - pb > MONOTONE_SIGMA * sigma:
                _fail(int(b) + 1, f"P_sw = {pb:.4g} at width {w[b]:g} s is below {pa:.4g} at the "
                      f"shorter width {w[a]:g} s (row {int(a) + 1}) by more than "
                      f"{MONOTONE_SIGMA:g} sigma: P_sw cannot fall with the pulse width")
    return SwitchingData(v, w, t, k, from_state)


@dataclass(frozen=True, slots=True)
class MeasuredFit:
    """Result of :func:`fit_measured`: estimates, intervals, diagnostics and the fit."""

    fit: BehaviouralFit
    direction: str
    estimates: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    covariance_z: np.ndarray
    z_opt: np.ndarray
    residual_z: np.ndarray
    deviance: float
    neg_log_likelihood: float
    data: SwitchingData
    current_A: np.ndarray

    def report(self) -> dict[str, Any]:
        """JSON-ready diagnostics."""
        d = self.data
        return {
            "direction": self.direction,
            "estimates": self.estimates,
            "ci95": {k: list(v) for k, v in self.ci95.items()},
            "neg_log_likelihood": self.neg_log_likelihood,
            "deviance": self.deviance,
            "points": [
                {"voltage_V": float(d.voltage_V[j]), "width_s": float(d.width_s[j]),
                 "current_A": float(self.current_A[j]), "trials": int(d.trials[j]),
                 "switched": int(d.switched[j]), "psw": float(d.psw[j]),
                 "residual_z": float(self.residual_z[j])}
                for j in range(d.voltage_V.size)
            ],
            "max_abs_residual_z": float(np.max(np.abs(self.residual_z))),
            "thermal_regime": "kept from the preset's shipped fit (not fitted to these data)",
        }


def _unpack(z: np.ndarray) -> tuple[float, float, float]:
    return math.exp(z[0]), z[1] * 1e-6, math.exp(z[2])


def _model(z: np.ndarray, cur: np.ndarray, width: np.ndarray, tsw: float) -> np.ndarray:
    """P_sw of pulses of ``width`` at currents ``cur``: :func:`~spinspice.spintronic_cells.fit._cdf`
    at midpoint time width + D, vectorised over points (x = width·(I − I_c)/C)."""
    del tsw  # a switch triggered within the pulse completes (the latch): P(trigger <= width)
    c, ic, th0 = _unpack(z)
    x = width * np.maximum(cur - ic, 0.0) / c
    p = 1.0 - erf((np.pi / 2.0) * np.exp(-x) / (np.sqrt(2.0) * th0))
    out: np.ndarray = np.where(cur > ic, p, 0.0)
    return out


def _nll(z: np.ndarray, cur: np.ndarray, data: SwitchingData, tsw: float) -> float:
    p = np.clip(_model(z, cur, data.width_s, tsw), P_CLIP, 1 - P_CLIP)
    k, n = data.switched, data.trials
    return float(-np.sum(k * np.log(p) + (n - k) * np.log1p(-p)))


def _hessian(f: Any, z: np.ndarray) -> np.ndarray:
    m = z.size
    h = np.maximum(np.abs(z), 1.0) * HESSIAN_STEP
    out = np.empty((m, m))
    f0 = f(z)
    for a in range(m):
        for b in range(a, m):
            if a == b:
                e = np.zeros(m)
                e[a] = h[a]
                val = (f(z + e) - 2 * f0 + f(z - e)) / h[a] ** 2
            else:
                ea, eb = np.zeros(m), np.zeros(m)
                ea[a], eb[b] = h[a], h[b]
                val = (f(z + ea + eb) - f(z + ea - eb) - f(z - ea + eb) + f(z - ea - eb)) / (
                    4 * h[a] * h[b])
            out[a, b] = out[b, a] = val
    return out


def fit_measured(
    data: SwitchingData, params: MTJParams, base: BehaviouralFit, *, preset: str
) -> MeasuredFit:
    """Maximum-likelihood fit of the measured direction (module docstring)."""
    d = direction_from(data.from_state)
    s = 1.0 if data.from_state == "AP" else 0.0
    cur = np.array([v / float(base.resistance_ohm(s, v)) for v in data.voltage_V])
    tsw = base.tsw_s
    start = base.direction(d)
    if cur.max() <= 0:
        raise ParameterError("no positive current in the data")

    def f(z: np.ndarray) -> float:
        return _nll(z, cur, data, tsw)

    # I_c below the smallest current that switched anything
    z0 = np.array([math.log(start.c_As), min(start.ic_A, 0.9 * cur.min()) * 1e6,
                   math.log(start.theta0_rad)])
    best = None
    for shift in (0.0, -0.5, 0.5):
        trial = z0 + np.array([shift, 0.0, 0.0])
        sol = minimize(f, trial, method="Nelder-Mead",
                       options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000, "maxfev": 8000})
        if best is None or sol.fun < best.fun:
            best = sol
    assert best is not None
    sol = minimize(f, best.x, method="L-BFGS-B", bounds=[(None, None), (0.0, None), (None, None)])
    z = sol.x if sol.fun <= best.fun else best.x
    hess = _hessian(f, z)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        raise ParameterError("the data do not determine the law's three parameters "
                             "(singular information matrix): add voltages or widths") from None
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        raise ParameterError("the data do not determine the law's three parameters "
                             "(information matrix not positive definite): add voltages or widths")
    se = np.sqrt(np.diag(cov))
    c, ic, th0 = _unpack(z)
    ci = {
        "c_As": (math.exp(z[0] - _Z95 * se[0]), math.exp(z[0] + _Z95 * se[0])),
        "ic_A": ((z[1] - _Z95 * se[1]) * 1e-6, (z[1] + _Z95 * se[1]) * 1e-6),
        "theta0_rad": (math.exp(z[2] - _Z95 * se[2]), math.exp(z[2] + _Z95 * se[2])),
    }
    p = np.clip(_model(z, cur, data.width_s, tsw), P_CLIP, 1 - P_CLIP)
    k, n = data.switched, data.trials
    resid = (k - n * p) / np.sqrt(n * p * (1 - p))
    with np.errstate(divide="ignore", invalid="ignore"):
        phat = k / n
        dev_terms = np.where(k > 0, k * np.log(np.where(k > 0, phat / p, 1.0)), 0.0) + np.where(
            n - k > 0, (n - k) * np.log(np.where(n - k > 0, (1 - phat) / (1 - p), 1.0)), 0.0)
    fitted_dir = replace(start, c_As=c, ic_A=ic, theta0_rad=th0,
                         voltages_V=tuple(float(x) for x in np.unique(data.voltage_V)),
                         rms_cdf_error=float(np.sqrt(np.mean((phat - p) ** 2))),
                         max_cdf_error=float(np.max(np.abs(phat - p))))
    fit = replace(base, preset=preset, seed=0, trials=int(n.sum()),
                  ap_to_p=fitted_dir if d == "AP->P" else base.ap_to_p,
                  p_to_ap=fitted_dir if d == "P->AP" else base.p_to_ap)
    del params
    return MeasuredFit(fit=fit, direction=d, estimates={"c_As": c, "ic_A": ic, "theta0_rad": th0},
                       ci95=ci, covariance_z=cov, z_opt=z, residual_z=resid,
                       deviance=float(2 * dev_terms.sum()), neg_log_likelihood=float(sol.fun),
                       data=data, current_A=cur)


def synthetic_data(
    z_true: tuple[float, float, float], base: BehaviouralFit, from_state: State,
    voltages_V: tuple[float, ...], widths_s: tuple[float, ...], trials: int, seed: int,
) -> SwitchingData:
    """Binomial switching counts drawn from a known law (z = (C, I_c, θ0), SI), for tests."""
    rng = np.random.default_rng(seed)
    s = 1.0 if from_state == "AP" else 0.0
    v = np.repeat(np.asarray(voltages_V, float), len(widths_s))
    w = np.tile(np.asarray(widths_s, float), len(voltages_V))
    cur = np.array([x / float(base.resistance_ohm(s, x)) for x in v])
    zz = np.array([math.log(z_true[0]), z_true[1] * 1e6, math.log(z_true[2])])
    p = _model(zz, cur, w, base.tsw_s)
    k = rng.binomial(trials, p).astype(float)
    return SwitchingData(v, w, np.full(v.size, float(trials)), k, from_state)


def plot_measured_fit(result: MeasuredFit, path: Path) -> None:
    """Data (Wilson 95 % bars) against the fitted curves with a 95 % parameter band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    d = result.data
    tsw = result.fit.tsw_s
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(result.z_opt, result.covariance_z, BAND_DRAWS)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for volt in np.unique(d.voltage_V):
        idx = np.flatnonzero(d.voltage_V == volt)
        cur = float(result.current_A[idx[0]])
        wgrid = np.linspace(0.0, float(d.width_s[idx].max()) * 1.2, 120)
        cg = np.full(wgrid.size, cur)
        fitted = _model(result.z_opt, cg, wgrid, tsw)
        band = np.array([_model(z, cg, wgrid, tsw) for z in draws])
        lo, hi = np.quantile(band, [0.025, 0.975], axis=0)
        (line,) = ax.plot(wgrid * 1e9, fitted, label=f"{volt:g} V ({cur * 1e6:.0f} uA)")
        ax.fill_between(wgrid * 1e9, lo, hi, color=line.get_color(), alpha=0.2)
        k, n = d.switched[idx], d.trials[idx]
        p = k / n
        denom = 1 + _Z95**2 / n
        centre = (p + _Z95**2 / (2 * n)) / denom
        half = _Z95 * np.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / denom
        ax.errorbar(d.width_s[idx] * 1e9, p, yerr=[p - (centre - half), centre + half - p],
                    fmt="o", color=line.get_color(), ms=4, capsize=2)
    ax.set_xlabel("pulse width [ns]")
    ax.set_ylabel("P_sw")
    ax.set_title(f"measured {result.direction}: ML fit, 95 % band")
    ax.legend(fontsize=8)
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, format="png", dpi=120))
    plt.close(fig)
