"""Switching probability of one MTJ under a voltage pulse, from any model, as a table.

Models: the analytic ones of :mod:`spinspice.spintronic_cells.switching`
(``analytic``, ``analytic-hc``, ``thermal``, ``precessional``), the stochastic LLG Monte
Carlo (``llg``) and the fitted behavioural model simulated in ngspice (``spice``: N
instances, each with its own recorded random draw, in one transient; ``--mtj-model``
chooses the B-source subcircuit or the compiled Verilog-A twin).

Sampled models report Wilson 95 % bounds. Table columns: ``width_s, psw, psw_low,
psw_high, model, from_state, voltage_V, temperature_K, trials``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from spinspice.analysis.runner import Engine, SimResult
from spinspice.errors import ParameterError
from spinspice.netlists import mtj_model
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Element,
    ModelCard,
    Pulse,
    Save,
    TemplateSubcircuit,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import Job, make_job
from spinspice.spintronic_cells.fit import STATE_MIDPOINT, BehaviouralFit
from spinspice.spintronic_cells.llg import run_llg
from spinspice.spintronic_cells.mtj import MTJParams, State
from spinspice.spintronic_cells.switching import MODELS, switching_probability

if TYPE_CHECKING:
    import pandas as pd

ALL_MODELS = (*MODELS, "llg", "spice")
_Z95 = 1.959963984540054
#: Most behavioural MTJ instances one ngspice P_sw table may simulate; our choice (bounds the
#: run time and memory of one table, which runs in decks of ``batch`` instances).
MAX_SPICE_INSTANCES: Final = 5000


def wilson(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95 % interval of k successes out of n."""
    p = k / n
    denom = 1 + _Z95**2 / n
    centre = (p + _Z95**2 / (2 * n)) / denom
    half = _Z95 * np.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


@dataclass(frozen=True, slots=True)
class SpiceSwitching:
    """Switching times of N simulated instances (NaN: no switch within the pulse)."""

    switch_times_s: np.ndarray
    draws: mtj_model.MTJDraws
    elapsed_s: float

    def psw_at(self, widths_s: np.ndarray) -> np.ndarray:
        """Fraction switched within each width."""
        t = np.nan_to_num(self.switch_times_s, nan=np.inf)
        return np.array([(t <= w).mean() for w in np.asarray(widths_s, float)])


def spice_switching(
    fit: BehaviouralFit,
    *,
    from_state: State,
    voltage_V: float,
    duration_s: float,
    n: int = 500,
    seed: int = 0,
    kind: mtj_model.MTJModelKind = "behavioural",
    engine: Engine,
    rise_s: float = 5e-12,
    batch: int = 50,
    stratified: bool = False,
) -> SpiceSwitching:
    """Simulate ``n`` MTJs (own draws) straight across one pulse source in ngspice.

    The switching time of an instance is the first time its resistance crosses the
    midpoint (state node s = 0.5), measured from the middle of the pulse's rising edge.
    ``stratified``: stratified draws (:func:`~spinspice.netlists.mtj_model.draw`).
    """
    if n < 1 or n > MAX_SPICE_INSTANCES:
        raise ParameterError(
            f"number of SPICE instances must be 1..{MAX_SPICE_INSTANCES}, got {n}"
        )
    draws = mtj_model.draw(fit, n, seed, stratified=stratified)
    times = np.full(n, np.nan)
    # Independent instances run in decks of ``batch``: the transient's cost grows faster
    # than linearly with the number of instances sharing one time-step control.
    batches = [np.arange(start, min(start + batch, n)) for start in range(0, n, batch)]
    jobs = [
        _spice_batch_job(
            fit,
            draws,
            idx,
            from_state=from_state,
            voltage_V=voltage_V,
            duration_s=duration_s,
            kind=kind,
            rise_s=rise_s,
        )
        for idx in batches
    ]
    results = engine.run(jobs)
    for idx, sim in zip(batches, results, strict=True):
        times[idx] = _switch_times(sim, idx, from_state=from_state, kind=kind, rise_s=rise_s)
    return SpiceSwitching(times, draws, sum(r.elapsed_s for r in results))


#: Start of the pulse in the switching decks, s.
_PULSE_DELAY_S = 10e-12


def _spice_batch_job(
    fit: BehaviouralFit,
    draws: mtj_model.MTJDraws,
    idx: np.ndarray,
    *,
    from_state: State,
    voltage_V: float,
    duration_s: float,
    kind: mtj_model.MTJModelKind,
    rise_s: float,
) -> Job:
    v = voltage_V if from_state == "AP" else -voltage_V
    delay = _PULSE_DELAY_S
    elements: list[Element] = [
        VoltageSource(
            "Vp", "a", GROUND, Pulse(0.0, v, delay, rise_s, rise_s, duration_s, 10 * duration_s)
        )
    ]
    for k in idx:
        elements.append(
            mtj_model.instance(
                kind,
                f"m{k}",
                "a",
                GROUND,
                l_ap2p=draws.l_ap2p[k],
                l_p2ap=draws.l_p2ap[k],
                state=from_state,
                e_ap2p=draws.thermal_thresholds(k)[0],
                e_p2ap=draws.thermal_thresholds(k)[1],
            )
        )
    if kind == "behavioural":
        templates: tuple[TemplateSubcircuit, ...] = (mtj_model.behavioural_subcircuit(fit),)
        models: tuple[ModelCard, ...] = ()
        saves = tuple(Save("v", (f"xm{k}", "s")) for k in idx)
    else:
        templates = ()
        models = (mtj_model.osdi_model_card(fit),)
        saves = ()  # OSDI internal nodes are saved by default as v(nm<k>#s)
    step = 2e-12
    circuit = Circuit(
        title=f"spinspice MTJ switching {from_state} {voltage_V:g} V",
        elements=tuple(elements),
        template_subcircuits=templates,
        models=models,
        analyses=(Transient(step, delay + rise_s + duration_s, max_step_s=step),),
        saves=saves,
    )
    return make_job(
        circuit,
        key=f"stt-mtj/psw/{idx.size}x1/{from_state}",
        osdi=mtj_model.osdi_files(kind),
        meta={"family": "stt-mtj", "operation": "psw", "rows": int(idx.size), "cols": 1,
              "from_state": from_state, "voltage_V": voltage_V, "seed": draws.seed,
              "first_instance": int(idx[0]), "mtj_model": kind},
    )


def _switch_times(
    sim: SimResult,
    idx: np.ndarray,
    *,
    from_state: State,
    kind: mtj_model.MTJModelKind,
    rise_s: float,
) -> np.ndarray:
    """Midpoint-crossing times of the instances ``idx`` of one switching deck, s."""
    tran = sim.plot("tran")
    t = tran.scale - (_PULSE_DELAY_S + rise_s / 2)
    times = np.full(idx.size, np.nan)
    target = STATE_MIDPOINT
    for j, k in enumerate(idx):
        name = f"v(xm{k}.s)" if kind == "behavioural" else f"v(nm{k}#s)"
        s = tran[name]
        crossed = (s < target) if from_state == "AP" else (s > target)
        first = int(np.argmax(crossed))
        if crossed[first]:
            if first > 0:  # linear interpolation of the crossing
                s0, s1 = s[first - 1], s[first]
                frac = (target - s0) / (s1 - s0) if s1 != s0 else 0.0
                times[j] = t[first - 1] + frac * (t[first] - t[first - 1])
            else:
                times[j] = t[first]
    return times


def psw_table(
    params: MTJParams,
    *,
    from_state: State,
    voltage_V: float,
    widths_s: np.ndarray,
    model: str,
    trials: int = 10_000,
    temperature_K: float | None = None,
    seed: int = 0,
    fit: BehaviouralFit | None = None,
    mtj_kind: mtj_model.MTJModelKind = "behavioural",
    engine: Engine | None = None,
    stratified: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """P_sw(Δt) for one model as a table (module docstring); ``engine`` runs the
    ``spice`` model's jobs, ``stratified`` draws its instances by stratified sampling,
    ``progress`` gets (chunks done, chunks) of the ``llg`` Monte Carlo."""
    import pandas as pd

    if model not in ALL_MODELS:
        raise ParameterError(f"unknown model {model!r}; use one of {', '.join(ALL_MODELS)}")
    widths = np.asarray(widths_s, float)
    if widths.size == 0 or np.any(widths <= 0):
        raise ParameterError("give at least one pulse width, all > 0 s")
    p = params if temperature_K is None else params.at_temperature(temperature_K)
    low = high = np.full(widths.size, np.nan)
    n_used = 0
    times = None
    draws = None
    if model in MODELS:
        psw = switching_probability(
            p,
            from_state=from_state,
            voltage_V=voltage_V,
            widths_s=widths,
            model=model,  # type: ignore[arg-type]
        )
    elif model == "llg":
        res = run_llg(
            p,
            from_state=from_state,
            voltage_V=voltage_V,
            duration_s=float(widths.max()),
            n_trials=trials,
            seed=seed,
            n_trace=0,
            progress=progress,
        )
        psw, low, high = res.psw_at(widths)
        times = res.switch_times_s
        n_used = trials
    else:
        if fit is None:
            raise ParameterError("the spice model needs a behavioural fit (spinspice device fit)")
        if engine is None:
            raise ParameterError("the spice model needs a simulation engine")
        sw = spice_switching(
            fit,
            from_state=from_state,
            voltage_V=voltage_V,
            duration_s=float(widths.max()),
            n=trials,
            seed=seed,
            kind=mtj_kind,
            engine=engine,
            stratified=stratified,
        )
        psw = sw.psw_at(widths)
        times = sw.switch_times_s
        draws = sw.draws
        low, high = wilson(psw * trials, trials)
        n_used = trials
    df = pd.DataFrame(
        {
            "width_s": widths,
            "psw": psw,
            "psw_low": low,
            "psw_high": high,
            "model": model,
            "from_state": from_state,
            "voltage_V": voltage_V,
            "temperature_K": p.temperature_K,
            "trials": n_used,
        }
    )
    if times is not None:
        df.attrs["switch_times_s"] = times  # sampled models: for the histogram
    if draws is not None:
        df.attrs["draws"] = draws
    return df


def draws_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per-instance random draws and switching times of a ``spice`` P_sw table.

    Columns ``instance, seed, theta_ap2p_rad, theta_p2ap_rad, l_ap2p, l_p2ap, switch_time_s``
    (NaN: did not switch within the longest width): the random numbers behind the result.
    """
    import pandas as pd

    draws = df.attrs.get("draws")
    if draws is None:
        raise ParameterError("per-instance draws exist only for --model spice")
    n = draws.theta_ap2p_rad.size
    return pd.DataFrame(
        {
            "instance": np.arange(n),
            "seed": draws.seed,
            "theta_ap2p_rad": draws.theta_ap2p_rad,
            "theta_p2ap_rad": draws.theta_p2ap_rad,
            "l_ap2p": draws.l_ap2p,
            "l_p2ap": draws.l_p2ap,
            "switch_time_s": df.attrs["switch_times_s"],
        }
    )


def plot_psw(df: pd.DataFrame, target: Path | str) -> Path:
    """P_sw against pulse width (with 95 % bounds for sampled models) and, for sampled
    models, the histogram of switching times; PNG written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    times = df.attrs.get("switch_times_s")
    ncols = 2 if times is not None else 1
    fig, axes = plt.subplots(1, ncols, figsize=(5 * ncols, 3.5), squeeze=False)
    ax = axes[0, 0]
    w_ns = df["width_s"].to_numpy() * 1e9
    ax.plot(w_ns, df["psw"], "o-", label=str(df["model"].iloc[0]))
    if df["psw_low"].notna().all():
        ax.fill_between(w_ns, df["psw_low"], df["psw_high"], alpha=0.3, label="95 % bounds")
    ax.set_xlabel("pulse width [ns]")
    ax.set_ylabel("P_sw")
    ax.set_title(f"from {df['from_state'].iloc[0]}, {df['voltage_V'].iloc[0]:g} V")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if times is not None:
        t = np.asarray(times)
        axes[0, 1].hist(t[np.isfinite(t)] * 1e9, bins=50)
        axes[0, 1].set_xlabel("switching time [ns]")
        axes[0, 1].set_ylabel("trials")
        axes[0, 1].set_title(f"{int(np.isfinite(t).sum())} of {t.size} switched")
    fig.tight_layout()
    out = write_atomic(target, lambda p: fig.savefig(p, format="png", dpi=120))
    plt.close(fig)
    return out
