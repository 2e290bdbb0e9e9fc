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
from collections.abc import Callable
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
    GAMMA0,
    Direction,
    MTJParams,
    State,
    stt_resistance_dv,
    stt_resistance_ohm,
)
from spinspice.spintronic_cells.thermal_law import ThermalFit

FIT_FORMAT_VERSION = 2
#: Older format versions :meth:`BehaviouralFit.from_json` still reads (version 1 has no
#: thermal regime: its devices never hop below I_c).
READABLE_FIT_VERSIONS: Final = (1, 2)
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
    #: Sub-critical, thermally activated regime (:mod:`~spinspice.spintronic_cells.thermal_law`);
    #: None in version-1 fits (no thermal hops).
    thermal: ThermalFit | None = None

    def cdf(self, current_A: float, t_s: np.ndarray, tsw_s: float) -> np.ndarray:
        """P(midpoint time ≤ t) at a constant current, both regimes (module docstring)."""
        t = np.asarray(t_s, float)
        p = _cdf(t, current_A, self.c_As, self.ic_A, self.theta0_rad, tsw_s)
        if self.thermal is None:
            return p
        out: np.ndarray = 1.0 - (1.0 - p) * self.thermal.survival(
            current_A, t, MIDPOINT_DELAY * tsw_s
        )
        return out


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
            if data.get("version") not in READABLE_FIT_VERSIONS:
                raise ParameterError(
                    f"fit file has format version {data.get('version')!r}, "
                    f"this spinspice reads versions {', '.join(map(str, READABLE_FIT_VERSIONS))}"
                )
            for key in ("ap_to_p", "p_to_ap"):
                d = data[key]
                d["voltages_V"] = tuple(d["voltages_V"])
                th = d.get("thermal")
                if th is not None:
                    th["voltages_V"] = tuple(th["voltages_V"])
                    d["thermal"] = ThermalFit(**th)
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


#: Fewest thermal hops (summed over a direction's thermal runs) to fit the thermal regime; our
#: choice. With fewer, the regime comes from the preset (f0, I_c0 and Δ; a stable device).
MIN_THERMAL_EVENTS: Final = 30
#: Earliest width of the thermal runs' fit grid, s; our choice: the equilibrium ensemble's
#: near-barrier fraction crosses within ~0.2 ns (thermal_law module docstring), a transient
#: the hazard offset h0 summarises from 0.5 ns on.
THERMAL_GRID_START_S: Final = 0.5e-9
#: Points of the thermal runs' fit grid between THERMAL_GRID_START_S and the run's duration.
THERMAL_GRID_POINTS: Final = 10

#: Voltages of the thermal-regime Monte-Carlo runs, V; our choice: zero (retention) up to
#: 0.15 V, below the fitted precessional I_c of seed 001 device C in both directions.
THERMAL_VOLTAGES_V: Final = (0.0, 0.05, 0.1, 0.15)

Run = tuple[float, LLGResult]


def _binomial_sigma(emp: np.ndarray, n: int) -> np.ndarray:
    """Standard error of an empirical fraction, floored at one count (1/n) so p = 0 points count."""
    out: np.ndarray = np.sqrt((emp * (1.0 - emp) + 1.0 / n) / n)
    return out


def _grid(res: LLGResult) -> np.ndarray:
    times = res.switch_times_s[np.isfinite(res.switch_times_s)]
    q = (
        np.quantile(times, np.linspace(0.05, 0.95, 19))
        if times.size > MIN_TIMES_FOR_QUANTILES
        else np.array([])
    )
    out: np.ndarray = np.unique(np.concatenate([q, np.linspace(0.1, 1.0, 10) * res.duration_s]))
    return out


def _thermal_grid(res: LLGResult) -> np.ndarray:
    out: np.ndarray = np.linspace(THERMAL_GRID_START_S, res.duration_s, THERMAL_GRID_POINTS)
    return out


def _warmup_time_s(params: MTJParams) -> float:
    """Energy relaxation time of the free layer's well, 1/(α·γμ0·(H_k + M_s/2)), s
    (thermal_law module docstring: the warm-up of the current-lowered barrier)."""
    return 1.0 / (params.alpha * GAMMA0 * (params.hk_A_per_m + params.ms_A_per_m / 2.0))


def _preset_thermal(params: MTJParams, d: Direction, voltages: tuple[float, ...], duration: float,
                    points: int) -> ThermalFit:
    return ThermalFit(
        delta=params.delta,
        f0_Hz=params.f0_Hz,
        ith_A=params.ic0(d),
        ih_A=2.0 * params.ic0(d),
        h0=0.0,
        tau_w_s=_warmup_time_s(params),
        voltages_V=voltages,
        duration_s=duration,
        source="preset",
        points=points,
        rms_z=None,
        max_abs_z=None,
    )


def _fit_direction(
    runs: list[Run],
    params: MTJParams,
    d: Direction,
    tsw: float,
    thermal_runs: list[Run] | None = None,
) -> DirectionFit:
    """Fit one direction: the precessional law on the high-current runs, then both regimes
    jointly on all runs (binomial z-score residuals) when the thermal runs show hops."""
    grids = [(i, g, res.psw_at(g)[0], res.n_trials) for i, res in ((i, r) for i, r in runs)
             for g in (_grid(res),)]

    def residuals(z: np.ndarray) -> np.ndarray:
        c, ic, th0 = math.exp(z[0]), z[1] * 1e-6, math.exp(z[2])
        return np.concatenate([_cdf(g, i, c, ic, th0, tsw) - e for i, g, e, _ in grids])

    z0 = np.array(
        [math.log(params.charge_constant(d)), params.ic0(d) * 1e6, math.log(params.theta0_rad)]
    )
    # I_c is a current threshold: bounded below by 0 (a few hundred trials can pull it negative)
    lower = np.array([-np.inf, 0.0, -np.inf])
    z0[1] = max(z0[1], 1e-3)
    sol = least_squares(residuals, z0, method="trf", x_scale="jac", bounds=(lower, np.inf))
    voltages = tuple(float(abs(r.voltage_V)) for _, r in runs)
    thermal_runs = thermal_runs or []
    th_voltages = tuple(float(abs(r.voltage_V)) for _, r in thermal_runs)
    th_duration = max((r.duration_s for _, r in thermal_runs), default=0.0)
    th_grids = [(i, g, r.psw_at(g)[0], r.n_trials) for i, r in thermal_runs
                for g in (_thermal_grid(r),)]
    events = sum(int(np.isfinite(r.switch_times_s).sum()) for _, r in thermal_runs)
    n_th_points = sum(g.size for _, g, _, _ in th_grids)
    if events < MIN_THERMAL_EVENTS:
        resid = residuals(sol.x)
        return DirectionFit(
            direction=d,
            c_As=math.exp(sol.x[0]),
            ic_A=sol.x[1] * 1e-6,
            theta0_rad=math.exp(sol.x[2]),
            voltages_V=voltages,
            rms_cdf_error=float(np.sqrt(np.mean(resid**2))),
            max_cdf_error=float(np.max(np.abs(resid))),
            thermal=_preset_thermal(params, d, th_voltages, th_duration, n_th_points)
            if thermal_runs else None,
        )

    delta = params.delta
    delay = MIDPOINT_DELAY * tsw
    c, ic, th0 = math.exp(sol.x[0]), sol.x[1] * 1e-6, math.exp(sol.x[2])
    # The precessional part stays as fitted on the high-current runs; the thermal part is
    # fitted on every run with the precessional CDF included (so the ceiling r_max cannot
    # spoil the high-current runs, and the precessional switching at the top thermal
    # voltage is not counted twice).
    prec = {id(g): _cdf(g, i, c, ic, th0, tsw) for i, g, _, _ in (*grids, *th_grids)}

    def thermal_of(z: np.ndarray) -> ThermalFit:
        return ThermalFit(delta=delta, f0_Hz=math.exp(z[0] + delta), ith_A=math.exp(z[1]) * 1e-6,
                          ih_A=math.exp(z[2]) * 1e-6, h0=float(z[3]), tau_w_s=math.exp(z[4]),
                          voltages_V=(), duration_s=1.0, source="", points=0, rms_z=0.0,
                          max_abs_z=0.0)

    def model(z: np.ndarray, i: float, g: np.ndarray) -> np.ndarray:
        out: np.ndarray = 1.0 - (1.0 - prec[id(g)]) * thermal_of(z).survival(i, g, delay)
        return out

    def joint(z: np.ndarray) -> np.ndarray:
        return np.concatenate([(model(z, i, g) - e) / _binomial_sigma(e, n)
                               for i, g, e, n in (*grids, *th_grids)])

    # Start: zero-current hazard rate from the lowest-current run's slope
    _, g_lo, e_lo, _ = min(th_grids, key=lambda x: x[0])
    h = -np.log(np.clip(1.0 - e_lo, 1e-12, 1.0))
    r0 = max(float((h[-1] - h[0]) / (g_lo[-1] - g_lo[0])), 1.0)
    zj0 = np.array([math.log(r0), math.log(params.ic0(d) * 1.5e6), math.log(ic * 2e6), 0.005,
                    math.log(_warmup_time_s(params))])
    # bounds keep a sparse data set (few hops) from running the exponentials off to overflow:
    # r0 in [1e-30, 1e15] Hz, I_th and I_h in [1 nA, 1 A], h0 in [0, 1], τ_w in [1 ps, 1 µs]
    lo = np.array([math.log(1e-30), math.log(1e-3), math.log(1e-3), 0.0, math.log(1e-12)])
    hi = np.array([math.log(1e15), math.log(1e6), math.log(1e6), 1.0, math.log(1e-6)])
    zj0 = np.clip(zj0, lo + 1e-9, hi - 1e-9)
    solj = least_squares(joint, zj0, method="trf", x_scale="jac", bounds=(lo, hi))
    z = solj.x
    resid = np.concatenate([model(z, i, g) - e for i, g, e, _ in grids])
    zth = np.concatenate([(model(z, i, g) - e) / _binomial_sigma(e, n)
                          for i, g, e, n in th_grids])
    fitted = thermal_of(z)
    thermal = ThermalFit(
        delta=delta,
        f0_Hz=fitted.f0_Hz,
        ith_A=fitted.ith_A,
        ih_A=fitted.ih_A,
        h0=fitted.h0,
        tau_w_s=fitted.tau_w_s,
        voltages_V=th_voltages,
        duration_s=th_duration,
        source="monte-carlo",
        points=n_th_points,
        rms_z=float(np.sqrt(np.mean(zth**2))),
        max_abs_z=float(np.max(np.abs(zth))),
    )
    return DirectionFit(
        direction=d,
        c_As=c,
        ic_A=ic,
        theta0_rad=th0,
        voltages_V=voltages,
        rms_cdf_error=float(np.sqrt(np.mean(resid**2))),
        max_cdf_error=float(np.max(np.abs(resid))),
        thermal=thermal,
    )


def run_fit_monte_carlo(
    params: MTJParams,
    *,
    voltages_ap_to_p: tuple[float, ...] = (0.8, 1.0, 1.2),
    voltages_p_to_ap: tuple[float, ...] = (0.6, 0.8, 1.0),
    thermal_voltages: tuple[float, ...] = THERMAL_VOLTAGES_V,
    duration_s: float = 4e-9,
    thermal_duration_s: float = 5e-9,
    n_trials: int = 4000,
    dt_s: float = 0.5e-12,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[Direction, list[Run]], dict[Direction, list[Run]]]:
    """The Monte-Carlo runs a fit uses: (high-current runs, thermal runs) per direction.

    The high-current runs use seeds seed, seed+1, … as in format version 1 (so their
    results are unchanged); the thermal runs follow with the next seeds. ``progress`` is
    called with (runs done, runs) after each Monte-Carlo run.
    """
    runs: dict[Direction, list[Run]] = {"AP->P": [], "P->AP": []}
    thermal: dict[Direction, list[Run]] = {"AP->P": [], "P->AP": []}
    plan: list[tuple[Direction, State, float, float, bool]] = [
        ("AP->P", "AP", v, duration_s, False) for v in voltages_ap_to_p
    ]
    plan += [("P->AP", "P", v, duration_s, False) for v in voltages_p_to_ap]
    plan += [("AP->P", "AP", v, thermal_duration_s, True) for v in thermal_voltages]
    plan += [("P->AP", "P", v, thermal_duration_s, True) for v in thermal_voltages]
    for k, (d, state, v, dur, is_thermal) in enumerate(plan):
        res = run_llg(
            params,
            from_state=state,
            voltage_V=v,
            duration_s=dur,
            n_trials=n_trials,
            dt_s=dt_s,
            seed=seed + k,
            n_trace=0 if is_thermal else min(n_trials, 1000),
        )
        (thermal if is_thermal else runs)[d].append((v / params.resistance(state, v), res))
        if progress is not None:
            progress(k + 1, len(plan))
    return runs, thermal


def fit_from_runs(
    params: MTJParams,
    runs: dict[Direction, list[Run]],
    thermal: dict[Direction, list[Run]],
    *,
    preset: str,
    seed: int,
    n_trials: int,
    dt_s: float,
) -> BehaviouralFit:
    """Fit both directions and both regimes to Monte-Carlo runs (:func:`run_fit_monte_carlo`)."""
    tsw = float(np.median([transition_time(r) for rs in runs.values() for _, r in rs]))
    return BehaviouralFit(
        version=FIT_FORMAT_VERSION,
        preset=preset,
        r_on_ohm=params.r_on_ohm,
        r_off_ohm=params.r_off_ohm,
        tmr0=params.tmr0,
        v_half_V=params.v_half_V,
        tsw_s=tsw,
        ap_to_p=_fit_direction(runs["AP->P"], params, "AP->P", tsw, thermal["AP->P"]),
        p_to_ap=_fit_direction(runs["P->AP"], params, "P->AP", tsw, thermal["P->AP"]),
        seed=seed,
        trials=n_trials,
        dt_s=dt_s,
        temperature_K=params.temperature_K,
    )


def fit_behavioural(
    params: MTJParams,
    *,
    preset: str = "",
    voltages_ap_to_p: tuple[float, ...] = (0.8, 1.0, 1.2),
    voltages_p_to_ap: tuple[float, ...] = (0.6, 0.8, 1.0),
    thermal_voltages: tuple[float, ...] = THERMAL_VOLTAGES_V,
    duration_s: float = 4e-9,
    thermal_duration_s: float = 5e-9,
    n_trials: int = 4000,
    dt_s: float = 0.5e-12,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> BehaviouralFit:
    """Run the Monte Carlo in both directions, at high currents and in the thermal regime
    (``thermal_voltages`` for ``thermal_duration_s``), and fit the behavioural law
    (``progress``: see :func:`run_fit_monte_carlo`)."""
    runs, thermal = run_fit_monte_carlo(
        params,
        voltages_ap_to_p=voltages_ap_to_p,
        voltages_p_to_ap=voltages_p_to_ap,
        thermal_voltages=thermal_voltages,
        duration_s=duration_s,
        thermal_duration_s=thermal_duration_s,
        n_trials=n_trials,
        dt_s=dt_s,
        seed=seed,
        progress=progress,
    )
    return fit_from_runs(params, runs, thermal, preset=preset, seed=seed, n_trials=n_trials,
                         dt_s=dt_s)


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
