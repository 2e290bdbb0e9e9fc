"""Stochastic LLG Monte Carlo of an in-plane STT-MTJ free layer (macrospin).

Equation (Landau–Lifshitz form of the LLG equation with Slonczewski spin torque, unit
vector m, fields in A/m, γ' = γ·μ0/(1 + α²), γ·μ0 = 2.21e5 m/(A·s))::

    dm/dt = −γ'·m×H + γ'·α·(H − m·(m·H)) + γ'·a_J·(p − m·(m·p))

* H = H_k·m_x·x̂ − M_s·m_z·ẑ + H_th: in-plane uniaxial anisotropy along the easy axis x
  (H_k from θ0, :class:`~spinspice.spintronic_cells.mtj.MTJParams`) and the thin-film
  demagnetising field along z;
* H_th: Brown's thermal field, each component N(0, σ²) per step with
  σ = sqrt(2·α·k_B·T/(γ·μ0·μ0·M_s·V·Δt)) (γ·μ0 in m/(A·s): ENGINEERING_NOTES §5);
* p = x̂ (the fixed layer; m_x = +1 is P). a_J = α·(H_k + M_s/2)·I/I_c0 with I_c0 of the
  direction the current pushes: the torque is calibrated so that the macrospin's
  critical current equals the parameter set's I_c0 (efficiency conventions differ by 2×
  between papers, ENGINEERING_NOTES §5, so we pin the measurable quantity instead);
* I = V/(R(θ) + R_s) is recomputed every step with R(θ) = R_on·(1+P²)/(1+P²·cos θ).

Integration: Heun (predictor–corrector) with the thermal field held over the step, which
converges to the Stratonovich solution; m is renormalised after every step. Trials are
vectorised in chunks and the chunks run on a thread pool (numpy releases the GIL).

Start state: thermal equilibrium around P or AP (m_y ~ N(0, θ0), m_z ~ N(0, θ_z),
seed 001 eq. 15). A trial's *switching time* is its first crossing of the energy barrier
(m_x = 0); whether it *ends* the pulse switched is recorded too (``final_switched``).
The mean resistance trace is aligned, as in seed 001 §5.2.2, at each trial's first
crossing of (R_on + R_off)/2.

Note on seed 001 Table 3: θ0 = 0.345 rad means Δ = 1/(2·θ0²) = 4.2, a nearly
superparamagnetic free layer. Thermal excursions then cross the barrier within
nanoseconds even without current; the read-disturb figures reflect that.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.mtj import GAMMA0, KB, MU0, MTJParams, State, direction_from

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LLGResult:
    """Outcome of a Monte Carlo run.

    Attributes
    ----------
    switch_times_s:
        First barrier crossing (m_x = 0) per trial, s; NaN if the trial never crossed.
    final_switched:
        True where the trial ends the pulse on the other side of the barrier.
    m_final:
        Magnetisation (3, trials) at the end of the pulse.
    duration_s, dt_s:
        Simulated pulse duration and time step, s.
    voltage_V:
        Applied voltage (signed: positive drives AP→P), V.
    from_state:
        Start state.
    seed:
        Seed of the random generator.
    trace_time_s, mean_trace_ohm:
        Mean resistance of switching trials aligned at their crossing time (t = 0), Ω.
    params:
        Device parameters used.
    """

    switch_times_s: FloatArray
    final_switched: NDArray[np.bool_]
    m_final: FloatArray
    duration_s: float
    dt_s: float
    voltage_V: float
    from_state: State
    seed: int
    trace_time_s: FloatArray
    mean_trace_ohm: FloatArray
    params: MTJParams

    @property
    def n_trials(self) -> int:
        """Number of trials."""
        return int(self.switch_times_s.size)

    def psw_at(
        self, widths_s: FloatArray | list[float]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """P_sw(Δt) = fraction switched by Δt, with Wilson 95 % bounds (p, low, high)."""
        w = np.asarray(widths_s, dtype=float)
        if np.any(w > self.duration_s * (1 + 1e-9)):
            raise ParameterError(
                f"widths up to {w.max():g} s exceed the simulated duration {self.duration_s:g} s"
            )
        t = np.sort(np.nan_to_num(self.switch_times_s, nan=np.inf))
        k = np.searchsorted(t, w, side="right").astype(float)
        n = float(self.n_trials)
        p = k / n
        z = 1.959963984540054
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        return p, np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def thermal_sigma(params: MTJParams, dt_s: float) -> float:
    """Standard deviation of each thermal-field component, A/m."""
    return math.sqrt(
        2.0
        * params.alpha
        * KB
        * params.temperature_K
        / (GAMMA0 * MU0 * params.ms_A_per_m * params.volume_m3 * dt_s)
    )


def _chunk(
    params: MTJParams,
    voltage_V: float,
    from_state: State,
    n: int,
    n_steps: int,
    dt: float,
    rng: np.random.Generator,
    series_r: float,
    n_trace: int,
) -> tuple[FloatArray, NDArray[np.float32], FloatArray, NDArray[np.bool_], FloatArray]:
    a = params.alpha
    g = GAMMA0 / (1.0 + a * a)
    hk = params.hk_A_per_m
    ms = params.ms_A_per_m
    p2 = params.polarization**2
    r_on = params.r_on_ohm
    aj_scale = a * (hk + ms / 2.0)
    ic_pos, ic_neg = params.ic0_ap_to_p_A, params.ic0_p_to_ap_A
    sigma = thermal_sigma(params, dt)
    r_mid = 0.5 * (params.r_on_ohm + params.r_off_ohm)
    mx_mid = ((1.0 + p2) * r_on / r_mid - 1.0) / p2
    sign0 = -1.0 if from_state == "AP" else 1.0
    theta_z = math.sqrt(KB * params.temperature_K / (MU0 * ms * params.volume_m3 * (hk + ms)))
    my = rng.normal(0.0, params.theta0_rad, n)
    mz = rng.normal(0.0, theta_z, n)
    mx = sign0 * np.sqrt(np.clip(1.0 - my * my - mz * mz, 0.0, 1.0))
    times = np.full(n, np.nan)
    mid_times = np.full(n, np.nan)
    traces = np.empty((min(n_trace, n), n_steps), dtype=np.float32)
    switched = np.zeros(n, dtype=bool)
    mid = np.zeros(n, dtype=bool)

    # The current's sign is fixed by the pulse polarity, so one I_c applies; with no series
    # resistance I = V·(1 + P²·m_x)/(R_on·(1 + P²)) is linear in m_x.
    ic = ic_pos if voltage_V >= 0 else ic_neg
    ga = g * a
    k_aj = g * aj_scale * voltage_V / ic  # γ'·a_J = k_aj / (R(m_x) + R_s)

    def deriv(
        mx: FloatArray,
        my: FloatArray,
        mz: FloatArray,
        hx: FloatArray,
        hy: FloatArray,
        hz: FloatArray,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        if series_r == 0.0:
            gaj = (k_aj / (r_on * (1.0 + p2))) * (1.0 + p2 * mx)
        else:
            gaj = k_aj / (r_on * (1.0 + p2) / (1.0 + p2 * mx) + series_r)
        bx = hk * mx + hx
        bz = hz - ms * mz
        # LL form regrouped: damping and torque share the factor (γ'α·m·H + γ'a_J·m_x)
        w = ga * (mx * bx + my * hy + mz * bz) + gaj * mx
        dx = g * (mz * hy - my * bz) + ga * bx + gaj - mx * w
        dy = g * (mx * bz - mz * bx) + ga * hy - my * w
        dz = g * (my * bx - mx * hy) + ga * bz - mz * w
        return dx, dy, dz

    for step in range(n_steps):
        h = rng.standard_normal((3, n))
        h *= sigma
        d1 = deriv(mx, my, mz, h[0], h[1], h[2])
        px, py, pz = mx + dt * d1[0], my + dt * d1[1], mz + dt * d1[2]
        d2 = deriv(px, py, pz, h[0], h[1], h[2])
        mx = mx + 0.5 * dt * (d1[0] + d2[0])
        my = my + 0.5 * dt * (d1[1] + d2[1])
        mz = mz + 0.5 * dt * (d1[2] + d2[2])
        norm = np.sqrt(mx * mx + my * my + mz * mz)
        mx /= norm
        my /= norm
        mz /= norm
        now = (mx > 0.0) if from_state == "AP" else (mx < 0.0)
        new = now & ~switched
        if new.any():
            times[new] = (step + 1) * dt
            switched |= new
        now = (mx > mx_mid) if from_state == "AP" else (mx < mx_mid)
        new = now & ~mid
        if new.any():
            mid_times[new] = (step + 1) * dt
            mid |= new
        if traces.shape[0]:
            mxt = mx[: traces.shape[0]]
            traces[:, step] = r_on * (1.0 + p2) / (1.0 + p2 * mxt)
    final = (mx > 0.0) if from_state == "AP" else (mx < 0.0)
    return times, traces, mid_times, final, np.stack([mx, my, mz])


def run_llg(
    params: MTJParams,
    *,
    from_state: State,
    voltage_V: float,
    duration_s: float,
    n_trials: int = 10_000,
    dt_s: float = 0.5e-12,
    seed: int = 0,
    series_resistance_ohm: float = 0.0,
    chunk: int = 16384,
    threads: int = 2,
    n_trace: int = 1000,
    trace_window_s: tuple[float, float] = (-0.2e-9, 0.2e-9),
) -> LLGResult:
    """Monte Carlo of ``n_trials`` devices under a voltage pulse straight across the MTJ.

    Parameters
    ----------
    params:
        Device.
    from_state:
        Start state; the pulse polarity is the one that switches it (``voltage_V`` is a
        magnitude).
    voltage_V:
        Pulse amplitude, V (≥ 0).
    duration_s:
        Pulse width simulated, s.
    n_trials, dt_s, seed:
        Number of trials, time step (s), seed of :func:`numpy.random.default_rng`. Heun
        needs dt ≤ 0.5 ps for device C: equipartition is off by ~1 % at 0.5 ps, 14 % at
        1 ps and ×2.9 at 2 ps (the 0.1 ps⁻¹ demagnetising precession).
    series_resistance_ohm:
        Resistance in series with the MTJ (access transistor, driver), Ω.
    chunk, threads:
        Trials per vectorised chunk and worker threads.
    n_trace, trace_window_s:
        Trials whose resistance traces are recorded, and the window of the aligned mean
        trace around the crossing, s.
    """
    direction_from(from_state)
    if not voltage_V >= 0:
        raise ParameterError("voltage_V is a magnitude and must be >= 0")
    if not duration_s > 0 or not dt_s > 0 or dt_s > duration_s:
        raise ParameterError("need 0 < dt_s <= duration_s")
    if n_trials < 1 or chunk < 1 or threads < 1:
        raise ParameterError("n_trials, chunk and threads must be >= 1")
    v = voltage_V if from_state == "AP" else -voltage_V
    n_steps = round(duration_s / dt_s)
    chunk = min(chunk, -(-n_trials // threads))  # balance the threads
    sizes = [min(chunk, n_trials - k) for k in range(0, n_trials, chunk)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    trace_left = n_trace
    jobs = []
    for size, ss in zip(sizes, seeds, strict=True):
        nt = min(trace_left, size)
        trace_left -= nt
        jobs.append((size, ss, nt))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(
            pool.map(
                lambda job: _chunk(
                    params,
                    v,
                    from_state,
                    job[0],
                    n_steps,
                    dt_s,
                    np.random.default_rng(job[1]),
                    series_resistance_ohm,
                    job[2],
                ),
                jobs,
            )
        )
    times = np.concatenate([r[0] for r in results])
    mid_times = np.concatenate([r[2] for r in results])
    final = np.concatenate([r[3] for r in results])
    m_final = np.concatenate([r[4] for r in results], axis=1)
    traces = np.concatenate([r[1] for r in results if r[1].shape[0]], axis=0) if n_trace else None
    lo, hi = (round(w / dt_s) for w in trace_window_s)
    t_rel = np.arange(lo, hi) * dt_s
    mean_trace = np.full(t_rel.size, np.nan)
    if traces is not None and traces.shape[0]:
        acc = np.zeros(t_rel.size)
        cnt = np.zeros(t_rel.size)
        for k in range(traces.shape[0]):
            if not np.isfinite(mid_times[k]):
                continue
            idx = round(mid_times[k] / dt_s) - 1 + np.arange(lo, hi)
            ok = (idx >= 0) & (idx < n_steps)
            acc[ok] += traces[k, idx[ok]]
            cnt[ok] += 1
        with np.errstate(invalid="ignore"):
            mean_trace = np.where(cnt > 0, acc / np.maximum(cnt, 1), np.nan)
    return LLGResult(
        switch_times_s=times,
        final_switched=final,
        m_final=m_final,
        duration_s=n_steps * dt_s,
        dt_s=dt_s,
        voltage_V=v,
        from_state=from_state,
        seed=seed,
        trace_time_s=np.asarray(t_rel, dtype=np.float64),
        mean_trace_ohm=mean_trace,
        params=params,
    )
