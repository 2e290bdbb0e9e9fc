"""Fit the behavioural MTJ switching law to the stochastic LLG Monte Carlo.

The behavioural model (ngspice template ``mtj_stt_behavioural.j2`` and its Verilog-A
twin) switches direction d when ∫ max(|I| − I_c,d, 0)/C_d dt reaches a per-instance
threshold L = ln(π/(2|θ|)), θ ~ N(0, θ0,d) — seed 001 eq. 15 with *effective* constants —
and its resistance then crosses the midpoint 4.579·t_sw later (logistic transition with
time constant t_sw). For a constant current I the midpoint time is therefore

    t = C_d/(I − I_c,d) · L + 4.579·t_sw,

whose distribution is P(t ≤ T) = 1 − erf((π/2)·exp(−x)/(√2·θ0,d)),
x = (T − 4.579·t_sw)·(I − I_c,d)/C_d. The fit:

1. t_sw from the 10–90 % time of the Monte-Carlo mean resistance trace aligned at the
   (R_on + R_off)/2 crossing (seed 001 §5.2.2): 10–90 % = ln(81)/1.01 · t_sw;
2. (C_d, I_c,d, θ0,d) by least squares between that CDF and the Monte-Carlo empirical
   CDFs of the barrier-crossing times at several voltages, for each direction.

Results are a versioned JSON with provenance (preset, seed, trials, dt, voltages, fit
residuals).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
from scipy.optimize import least_squares
from scipy.special import erf

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.llg import LLGResult, run_llg
from spinspice.spintronic_cells.mtj import (
    Direction,
    MTJParams,
    State,
    stt_resistance_dv,
    stt_resistance_ohm,
)

FIT_FORMAT_VERSION = 1
#: Delay from threshold to resistance midpoint of the logistic transition, in units of t_sw.
MIDPOINT_DELAY = (math.log(1.0 / 0.01) - math.log(0.5 / 0.51)) / 1.01
#: Midpoint of the behavioural MTJ state node s (0 = P, 1 = AP), dimensionless: the resistance
#: is (R_on + R_off)/2 there, and a cell has switched once s crosses it (the switching time is
#: the (R_on + R_off)/2 crossing, seed 001 §5.2.2).
STATE_MIDPOINT: Final = 0.5
#: Fewest finite points of the Monte-Carlo mean resistance trace for a 10–90 % fit; our choice
#: (fewer leave the 10 % and 90 % crossings unresolved).
MIN_TRACE_POINTS: Final = 10
#: Lower and upper fraction of the resistance step of the 10–90 % transition time (step 1 of the
#: module docstring, seed 001 §5.2.2), dimensionless.
TRANSITION_LOW_FRACTION: Final = 0.1
TRANSITION_HIGH_FRACTION: Final = 0.9
#: Fewest finite switching times for which the fit grid adds their 5–95 % quantiles; our choice
#: (quantiles of a smaller sample are too noisy to place grid points).
MIN_TIMES_FOR_QUANTILES: Final = 20


@dataclass(frozen=True, slots=True)
class DirectionFit:
    """Fitted switching law of one direction (SI units)."""

    direction: str
    c_As: float
    ic_A: float
    theta0_rad: float
    voltages_V: tuple[float, ...]
    rms_cdf_error: float
    max_cdf_error: float

    def cdf(self, current_A: float, t_s: np.ndarray, tsw_s: float) -> np.ndarray:
        """P(midpoint time ≤ t) at a constant current (module docstring)."""
        return _cdf(np.asarray(t_s, float), current_A, self.c_As, self.ic_A, self.theta0_rad, tsw_s)


@dataclass(frozen=True, slots=True)
class BehaviouralFit:
    """Everything the behavioural ngspice/Verilog-A MTJ needs, with provenance."""

    version: int
    preset: str
    r_on_ohm: float
    r_off_ohm: float
    tmr0: float
    v_half_V: float
    tsw_s: float
    ap_to_p: DirectionFit
    p_to_ap: DirectionFit
    seed: int
    trials: int
    dt_s: float
    temperature_K: float

    def direction(self, d: Direction) -> DirectionFit:
        """The fit of direction ``d``."""
        return self.ap_to_p if d == "AP->P" else self.p_to_ap

    def resistance_ohm(self, s: Any, v_V: Any) -> Any:
        """R(s, V) of the behavioural model, Ω (s = 1 for AP, 0 for P; see
        :func:`~spinspice.spintronic_cells.mtj.stt_resistance_ohm`)."""
        return stt_resistance_ohm(self.r_on_ohm, self.tmr0, self.v_half_V, s, v_V)

    def resistance_dv(self, s: Any, v_V: Any) -> Any:
        """dR/dV of :meth:`resistance_ohm`, Ω/V."""
        return stt_resistance_dv(self.r_on_ohm, self.tmr0, self.v_half_V, s, v_V)

    def to_json(self) -> str:
        """Serialise (sorted keys, stable)."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> BehaviouralFit:
        """Read a fit written by :meth:`to_json`.

        Raises
        ------
        ParameterError
            Wrong format version or missing fields.
        """
        try:
            data = json.loads(text)
            if data.get("version") != FIT_FORMAT_VERSION:
                raise ParameterError(
                    f"fit file has format version {data.get('version')!r}, "
                    f"this spinspice reads version {FIT_FORMAT_VERSION}"
                )
            for key in ("ap_to_p", "p_to_ap"):
                d = data[key]
                d["voltages_V"] = tuple(d["voltages_V"])
                data[key] = DirectionFit(**d)
            return cls(**data)
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ParameterError(f"not a spinspice MTJ fit file: {exc}") from None


def _cdf(t: np.ndarray, i: float, c: float, ic: float, th0: float, tsw: float) -> np.ndarray:
    x = (t - MIDPOINT_DELAY * tsw) * max(i - ic, 0.0) / c
    p = 1.0 - erf((np.pi / 2.0) * np.exp(-np.maximum(x, 0.0)) / (np.sqrt(2.0) * th0))
    # Without overdrive (I <= I_c) the integrated progress never grows: no switching.
    out: np.ndarray = np.where((t > MIDPOINT_DELAY * tsw) & (i > ic), p, 0.0)
    return out


def transition_time(result: LLGResult) -> float:
    """t_sw from the aligned mean resistance trace (step 1 of the module docstring), s."""
    r = result.mean_trace_ohm
    t = result.trace_time_s
    ok = np.isfinite(r)
    if ok.sum() < MIN_TRACE_POINTS:
        raise ParameterError("too few switching traces to fit the transition")
    r, t = r[ok], t[ok]
    n = max(len(r) // 5, 1)
    r0, r1 = float(np.median(r[:n])), float(np.median(r[-n:]))
    frac = (r - r0) / (r1 - r0)
    t10 = float(t[np.argmax(frac >= TRANSITION_LOW_FRACTION)])
    t90 = float(t[np.argmax(frac >= TRANSITION_HIGH_FRACTION)])
    return max(t90 - t10, 1e-13) * 1.01 / math.log(81.0)


def _fit_direction(
    runs: list[tuple[float, LLGResult]], params: MTJParams, d: Direction, tsw: float
) -> DirectionFit:
    grids = []
    for current, res in runs:
        times = res.switch_times_s[np.isfinite(res.switch_times_s)]
        q = (
            np.quantile(times, np.linspace(0.05, 0.95, 19))
            if times.size > MIN_TIMES_FOR_QUANTILES
            else np.array([])
        )
        grid = np.unique(np.concatenate([q, np.linspace(0.1, 1.0, 10) * res.duration_s]))
        emp = res.psw_at(grid)[0]
        grids.append((current, grid, emp))

    def residuals(z: np.ndarray) -> np.ndarray:
        c, ic, th0 = math.exp(z[0]), z[1] * 1e-6, math.exp(z[2])
        return np.concatenate([_cdf(g, i, c, ic, th0, tsw) - e for i, g, e in grids])

    z0 = np.array(
        [math.log(params.charge_constant(d)), params.ic0(d) * 1e6, math.log(params.theta0_rad)]
    )
    # I_c is a current threshold: bounded below by 0 (a few hundred trials can pull it negative)
    lower = np.array([-np.inf, 0.0, -np.inf])
    z0[1] = max(z0[1], 1e-3)
    sol = least_squares(residuals, z0, method="trf", x_scale="jac", bounds=(lower, np.inf))
    resid = residuals(sol.x)
    return DirectionFit(
        direction=d,
        c_As=math.exp(sol.x[0]),
        ic_A=sol.x[1] * 1e-6,
        theta0_rad=math.exp(sol.x[2]),
        voltages_V=tuple(float(abs(r.voltage_V)) for _, r in runs),
        rms_cdf_error=float(np.sqrt(np.mean(resid**2))),
        max_cdf_error=float(np.max(np.abs(resid))),
    )


def fit_behavioural(
    params: MTJParams,
    *,
    preset: str = "",
    voltages_ap_to_p: tuple[float, ...] = (0.8, 1.0, 1.2),
    voltages_p_to_ap: tuple[float, ...] = (0.6, 0.8, 1.0),
    duration_s: float = 4e-9,
    n_trials: int = 4000,
    dt_s: float = 0.5e-12,
    seed: int = 2026,
) -> BehaviouralFit:
    """Run the Monte Carlo in both directions and fit the behavioural law (module doc)."""
    runs: dict[Direction, list[tuple[float, LLGResult]]] = {"AP->P": [], "P->AP": []}
    plan: list[tuple[Direction, State, float]] = [("AP->P", "AP", v) for v in voltages_ap_to_p]
    plan += [("P->AP", "P", v) for v in voltages_p_to_ap]
    for k, (d, state, v) in enumerate(plan):
        res = run_llg(
            params,
            from_state=state,
            voltage_V=v,
            duration_s=duration_s,
            n_trials=n_trials,
            dt_s=dt_s,
            seed=seed + k,
            n_trace=min(n_trials, 1000),
        )
        runs[d].append((v / params.resistance(state, v), res))
    tsw = float(np.median([transition_time(r) for rs in runs.values() for _, r in rs]))
    return BehaviouralFit(
        version=FIT_FORMAT_VERSION,
        preset=preset,
        r_on_ohm=params.r_on_ohm,
        r_off_ohm=params.r_off_ohm,
        tmr0=params.tmr0,
        v_half_V=params.v_half_V,
        tsw_s=tsw,
        ap_to_p=_fit_direction(runs["AP->P"], params, "AP->P", tsw),
        p_to_ap=_fit_direction(runs["P->AP"], params, "P->AP", tsw),
        seed=seed,
        trials=n_trials,
        dt_s=dt_s,
        temperature_K=params.temperature_K,
    )


def shipped_fit(preset: str = "seed001-device-c") -> BehaviouralFit:
    """The fit shipped with the package for ``preset``.

    Raises
    ------
    ParameterError
        If no fit is shipped for that preset (run ``spinspice device fit``).
    """
    name = f"{preset}.fit.json"
    path = resources.files("spinspice.spintronic_cells") / "data" / name
    if not path.is_file():
        raise ParameterError(f"no shipped fit for preset {preset!r}; run 'spinspice device fit'")
    return BehaviouralFit.from_json(path.read_text())


def load_fit(path: Path) -> BehaviouralFit:
    """Read a fit JSON file."""
    try:
        return BehaviouralFit.from_json(Path(path).read_text())
    except OSError as exc:
        raise ParameterError(f"cannot read fit file {path}: {exc.strerror}") from None
