"""Stochastic LLG Monte Carlo of an in-plane STT-MTJ free layer (macrospin).

Equation (Landau–Lifshitz form of the LLG equation with Slonczewski spin torque, unit
vector m, fields in A/m, γ' = γ·μ0/(1 + α²), γ·μ0 = 2.21e5 m/(A·s))::

    dm/dt = −γ'·m×H + γ'·α·(H − m·(m·H)) + γ'·a_J·(p − m·(m·p))

* H = H_k·m_x·x̂ − M_s·m_z·ẑ + H_th: in-plane uniaxial anisotropy along the easy axis x
  (H_k from θ0, :class:`~spinspice.spintronic_cells.mtj.MTJParams`) and the thin-film
  demagnetising field along z;
* H_th: Brown's thermal field, each component N(0, σ²) per step with
  σ = sqrt(2·α·k_B·T/(γ·μ0·μ0·M_s·V·Δt)) (γ·μ0 in m/(A·s): docs/engineering_facts.md §5);
* p = x̂ (the fixed layer; m_x = +1 is P). a_J = α·(H_k + M_s/2)·I/I_c0 with I_c0 of the
  direction the current pushes: the torque is calibrated so that the macrospin's
  critical current equals the parameter set's I_c0 (efficiency conventions differ by 2×
  between papers, docs/engineering_facts.md §5, so we pin the measurable quantity instead);
* I = V/(R(θ) + R_s) is recomputed every step with R(θ) = R_on·(1+P²)/(1+P²·cos θ).

Integration: Heun (predictor–corrector) with the thermal field held over the step, which
converges to the Stratonovich solution; m is renormalised after every step. Trials are
vectorised in chunks of preallocated float32 arrays, and the chunks run in worker
processes (numpy's many short calls hold the GIL too often for threads to scale). The
Gaussian field components come from a 2^16-point inverse-CDF table indexed by raw random
bits (``_NORMAL_TABLE``), five times cheaper than ``standard_normal``. Against the float64
``standard_normal`` version of the same equations, 100 000 trials each, P_sw at four widths
agreed within |z| ≤ 1.1 from AP and from P at 1 V and at 0 V (thermal hopping), as did the
mean and spread of the final m. Throughput: benchmarks/bench_llg.py.

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
import multiprocessing as mp
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing.context import BaseContext

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.mtj import GAMMA0, KB, MU0, MTJParams, State, direction_from

FloatArray = NDArray[np.float64]
#: Below this many trial-steps (~0.1 s of work) a run stays in the calling process.
MIN_PARALLEL_TRIAL_STEPS = 4_000_000


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


#: Standard normal quantiles at the midpoints of 2^16 equal-probability bins, rescaled to
#: unit variance: indexed by 16 random bits this is an inverse-CDF Gaussian sampler (exact
#: mean and odd moments, variance 1, kurtosis 2.9992, tails cut at 4.32σ) at a fifth of
#: the cost of ``Generator.standard_normal``.
_NORMAL_TABLE: FloatArray = ndtri((np.arange(65536) + 0.5) / 65536)
_NORMAL_TABLE /= np.sqrt(np.mean(_NORMAL_TABLE**2))


def _chunk(
    params: MTJParams,
    voltage_V: float,
    from_state: State,
    n: int,
    n_steps: int,
    dt: float,
    seed: np.random.SeedSequence,
    series_r: float,
    n_trace: int,
) -> tuple[FloatArray, NDArray[np.float32], FloatArray, NDArray[np.bool_], FloatArray]:
    """One vectorised chunk of ``n`` trials (float32 state, preallocated work arrays)."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    a = params.alpha
    g = GAMMA0 / (1.0 + a * a)
    hk = params.hk_A_per_m
    ms = params.ms_A_per_m
    p2 = params.polarization**2
    r_on = params.r_on_ohm
    r_mid = 0.5 * (params.r_on_ohm + params.r_off_ohm)
    mx_mid = ((1.0 + p2) * r_on / r_mid - 1.0) / p2
    up = from_state == "AP"  # switching drives m_x upwards
    theta_z = math.sqrt(KB * params.temperature_K / (MU0 * ms * params.volume_m3 * (hk + ms)))
    my = rng.normal(0.0, params.theta0_rad, n)
    mz = rng.normal(0.0, theta_z, n)
    mx = (-1.0 if up else 1.0) * np.sqrt(np.clip(1.0 - my * my - mz * mz, 0.0, 1.0))
    # Rows 0–2 hold (m_x, m_y, m_z); rows 3–4 repeat m_x, m_y, so that rows [1:4] and [2:5]
    # are the cyclic shifts of a cross product (views, no copies). Fields are stored as
    # γ'·H (1/s), which folds γ' into the constants.
    m = np.empty((5, n), f32)
    m[0], m[1], m[2] = mx, my, mz
    m[3:5] = m[0:2]
    pred = np.empty_like(m)
    b = np.empty_like(m)
    h = np.empty((3, n), f32)  # γ'·H_th, held over the step
    d1 = np.empty((3, n), f32)
    d2 = np.empty_like(d1)
    tmp = np.empty_like(d1)
    mb = np.empty(n, f32)
    s = np.empty(n, f32)
    gaj = np.empty(n, f32)
    den = np.empty(n, f32)
    hk_g, ms_g, alpha = f32(g * hk), f32(g * ms), f32(a)
    table = (_NORMAL_TABLE * (g * thermal_sigma(params, dt))).astype(f32)
    n_words = -(-3 * n // 4)  # 64 random bits give four 16-bit table indices
    # The current's sign is fixed by the pulse polarity, so one I_c applies;
    # γ'·a_J = k_aj / (R(m_x) + R_s), linear in m_x without a series resistance.
    ic = params.ic0_ap_to_p_A if voltage_V >= 0 else params.ic0_p_to_ap_A
    k_aj = g * a * (hk + ms / 2.0) * voltage_V / ic
    c0 = f32(k_aj / (r_on * (1.0 + p2)))
    c1 = f32(k_aj * p2 / (r_on * (1.0 + p2)))
    r_par = r_on * (1.0 + p2)
    half_dt, dt32 = f32(0.5 * dt), f32(dt)
    times = np.full(n, np.nan)
    mid_times = np.full(n, np.nan)
    traces = np.empty((min(n_trace, n), n_steps), dtype=f32)
    switched = np.zeros(n, dtype=bool)
    mid = np.zeros(n, dtype=bool)
    now = np.empty(n, dtype=bool)
    crossed = np.greater if up else np.less

    def deriv(v: NDArray[np.float32], out: NDArray[np.float32]) -> None:
        """out = −v×(γ'H) + α·(γ'H − v·(v·γ'H)) + γ'a_J·(x̂ − v·v_x)."""
        x = v[0]
        np.multiply(x, hk_g, out=b[0])
        b[0] += h[0]
        b[1] = h[1]
        np.multiply(v[2], ms_g, out=b[2])
        np.subtract(h[2], b[2], out=b[2])
        b[3:5] = b[0:2]
        if series_r == 0.0:
            np.multiply(x, c1, out=gaj)
            np.add(gaj, c0, out=gaj)
        else:
            np.multiply(x, p2, out=den)
            np.add(den, 1.0, out=den)
            np.divide(r_par, den, out=den)
            np.add(den, series_r, out=den)
            np.divide(k_aj, den, out=gaj)
        np.multiply(v[0:3], b[0:3], out=tmp)
        np.add.reduce(tmp, axis=0, out=mb)
        np.multiply(mb, alpha, out=mb)
        np.multiply(gaj, x, out=s)
        np.add(s, mb, out=s)  # s = α·(v·γ'H) + γ'a_J·v_x
        np.multiply(v[2:5], b[1:4], out=out)
        np.multiply(v[1:4], b[2:5], out=tmp)
        out -= tmp  # −v×γ'H
        np.multiply(b[0:3], alpha, out=tmp)
        out += tmp
        np.multiply(v[0:3], s, out=tmp)
        out -= tmp
        out[0] += gaj

    for step in range(n_steps):
        bits = rng.bit_generator.random_raw(n_words).view(np.uint16)[: 3 * n]
        np.take(table, bits, out=h.reshape(-1))
        deriv(m, d1)
        np.multiply(d1, dt32, out=tmp)
        np.add(m[0:3], tmp, out=pred[0:3])
        pred[3:5] = pred[0:2]
        deriv(pred, d2)
        d1 += d2
        d1 *= half_dt
        m[0:3] += d1
        np.multiply(m[0:3], m[0:3], out=tmp)
        np.add.reduce(tmp, axis=0, out=mb)
        np.sqrt(mb, out=mb)
        m[0:3] /= mb
        m[3:5] = m[0:2]
        x = m[0]
        crossed(x, 0.0, out=now)
        now &= ~switched
        if now.any():
            times[now] = (step + 1) * dt
            switched |= now
        crossed(x, mx_mid, out=now)
        now &= ~mid
        if now.any():
            mid_times[now] = (step + 1) * dt
            mid |= now
        if traces.shape[0]:
            xt = x[: traces.shape[0]]
            traces[:, step] = r_on * (1.0 + p2) / (1.0 + p2 * xt)
    m_final = m[0:3].astype(np.float64)
    final = crossed(m_final[0], 0.0)
    return times, traces, mid_times, final, m_final


def _pool_context() -> BaseContext | None:
    """Forked worker processes (cheap, nothing to re-import), or None: stay in this process.

    Forking is safe only without other threads (their locks would be copied held), and
    daemonic processes cannot have children; spawning would re-run an unguarded
    ``__main__``. In those cases the chunks run one after another in this process.
    """
    if mp.current_process().daemon or threading.active_count() > 1:
        return None
    if "fork" not in mp.get_all_start_methods():
        return None
    return mp.get_context("fork")


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
    workers: int = 2,
    n_trace: int = 1000,
    trace_window_s: tuple[float, float] = (-0.2e-9, 0.2e-9),
    progress: Callable[[int, int], None] | None = None,
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
        needs dt ≤ 0.5 ps for device C: equipartition is off by 1–2 % at 0.5 ps, 15 % at
        1 ps and ×4 at 2 ps (the 0.1 ps⁻¹ demagnetising precession; docs/device.md).
    series_resistance_ohm:
        Resistance in series with the MTJ (access transistor, driver), Ω.
    chunk, workers:
        At most this many trials per vectorised chunk (the trials are split into an even
        number of equal chunks, so results depend on ``n_trials`` and ``chunk`` but not on
        ``workers``), and the number of worker processes that run the chunks (1, runs
        under ``MIN_PARALLEL_TRIAL_STEPS``, or a caller with other threads running: in
        this process, see ``_pool_context``).
    n_trace, trace_window_s:
        Trials whose resistance traces are recorded, and the window of the aligned mean
        trace around the crossing, s.
    progress:
        Called with (chunks done, chunks) as chunks finish (a progress bar).
    """
    direction_from(from_state)
    if not voltage_V >= 0:
        raise ParameterError("voltage_V is a magnitude and must be >= 0")
    if not duration_s > 0 or not dt_s > 0 or dt_s > duration_s:
        raise ParameterError("need 0 < dt_s <= duration_s")
    if n_trials < 1 or chunk < 1 or workers < 1:
        raise ParameterError("n_trials, chunk and workers must be >= 1")
    v = voltage_V if from_state == "AP" else -voltage_V
    n_steps = round(duration_s / dt_s)
    # an even number of equal chunks keeps two workers balanced; the split depends only on
    # n_trials and chunk, so results do not depend on the number of workers
    n_chunks = -(-n_trials // chunk)
    n_chunks += n_chunks % 2 if n_trials > 1 else 0
    sizes = [len(c) for c in np.array_split(np.arange(n_trials), n_chunks)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    n_traces = np.diff(np.minimum(np.concatenate([[0], np.cumsum(sizes)]), n_trace))
    args = [
        (params, v, from_state, size, n_steps, dt_s, ss, series_resistance_ohm, int(nt))
        for size, ss, nt in zip(sizes, seeds, n_traces, strict=True)
    ]
    big = n_trials * n_steps >= MIN_PARALLEL_TRIAL_STEPS
    ctx = _pool_context() if workers > 1 and len(args) > 1 and big else None
    tick = progress or (lambda done, total: None)
    if ctx is None:
        results = []
        for job in args:
            results.append(_chunk(*job))
            tick(len(results), len(args))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(args)), mp_context=ctx) as pool:
            futures = [pool.submit(_chunk, *job) for job in args]
            for done, _ in enumerate(as_completed(futures), start=1):
                tick(done, len(args))
            results = [f.result() for f in futures]
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
