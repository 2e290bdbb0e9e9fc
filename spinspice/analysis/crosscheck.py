"""Cross-check: the same jobs in two engines (ngspice and VACASK), vector by vector.

:func:`run_crosscheck` runs each job in both engines and :func:`agreement_rows` compares
every vector both saved:

* ``settled`` rows: the value at the end of the analysis (the operating point, the last
  sweep point, a transient's last time point if the vector changed by at most 1e-6 over
  the last 10 % of the run — :func:`has_settled`; otherwise the row is ``end``: a point on
  a waveform still moving), ``rel_diff = |a − b| / max(|a|, |b|, floor)``;
* ``waveform`` rows (transients): both waveforms on the union of their time points; the
  row shows the time and values of the largest pointwise difference, and ``rel_diff`` is
  the integral norm :func:`waveform_difference` (∫|a − b| dt / ∫|a| dt);
* ``sweep`` rows (DC sweeps): the sweep point of the largest difference, ``rel_diff =
  |a − b| / max(peak |a|, floor)``;
* ``switch`` rows (MTJ state vectors): the first time the state crosses its midpoint 0.5
  (:data:`~spinspice.spintronic_cells.fit.STATE_MIDPOINT`) in each engine, ``rel_diff`` is
  the difference in s (the two engines agree within 1 ps: docs/vacask.md).

``floor`` is 1 pA for currents and 1 nV for voltages: below those a value is numerical
noise of either solver, and a relative difference of it says nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spinspice.analysis.rawfile import RawPlot
from spinspice.analysis.runner import Engine, SimResult
from spinspice.netlists.job import Job
from spinspice.spintronic_cells.fit import STATE_MIDPOINT

#: Columns of ``spinspice crosscheck --csv`` (a public contract).
COLUMNS = ("quantity", "time_s", "ngspice", "vacask", "rel_diff")
#: Current below which a value is numerical noise of either solver, A (1 pA); our choice
#: (module docstring).
CURRENT_FLOOR_A = 1e-12
#: Largest relative change over the last 10 % of a transient for its end to be "settled".
SETTLED_REL = 1e-6
#: Voltage below which a value is numerical noise of either solver, V (1 nV); our choice
#: (module docstring).
VOLTAGE_FLOOR_V = 1e-9


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """One row of the agreement table (see the module docstring for ``rel_diff``)."""

    quantity: str
    time_s: float
    ngspice: float
    vacask: float
    rel_diff: float


@dataclass(frozen=True, slots=True)
class Crosscheck:
    """Both engines' results of a set of jobs, their wall-clock times and the CPU time
    (user + system) of the simulator processes they started, s. On a shared machine the
    CPU times compare the engines better than the wall times."""

    jobs: tuple[Job, ...]
    ngspice: tuple[SimResult, ...]
    vacask: tuple[SimResult, ...]
    ngspice_wall_s: float
    vacask_wall_s: float
    ngspice_cpu_s: float = float("nan")
    vacask_cpu_s: float = float("nan")


def _children_cpu_s() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(r.ru_utime + r.ru_stime)


def run_crosscheck(jobs: Sequence[Job], ngspice: Engine, vacask: Engine) -> Crosscheck:
    """Run ``jobs`` in both engines (ngspice first), timing each engine as a whole."""
    c0, t0 = _children_cpu_s(), time.perf_counter()
    a = ngspice.run(list(jobs))
    c1, t1 = _children_cpu_s(), time.perf_counter()
    b = vacask.run(list(jobs))
    c2, t2 = _children_cpu_s(), time.perf_counter()
    return Crosscheck(tuple(jobs), tuple(a), tuple(b), t1 - t0, t2 - t1, c1 - c0, c2 - c1)


def _floor(name: str) -> float:
    return CURRENT_FLOOR_A if name.startswith("i(") else VOLTAGE_FLOOR_V


def rel_diff(a: float, b: float, floor: float) -> float:
    """``|a − b| / max(|a|, |b|, floor)``."""
    return abs(a - b) / max(abs(a), abs(b), floor)


def waveform_difference(t: np.ndarray, a: np.ndarray, b: np.ndarray, floor: float) -> float:
    """∫|a − b| dt / max(∫|a| dt, floor·T) on a common grid ``t`` (trapezoidal rule).

    An integral norm, not the largest pointwise difference: at a corner of a PWL input
    the capacitive currents jump, and two engines that place their time points a fraction
    of a step apart differ there by the whole jump however small the steps; the integral
    of that misalignment shrinks with the step.
    """
    span = float(t[-1] - t[0])
    if span <= 0:
        return rel_diff(float(a[-1]), float(b[-1]), floor)
    num = float(np.trapezoid(np.abs(a - b), t))
    den = max(float(np.trapezoid(np.abs(a), t)), floor * span)
    return num / den


def has_settled(t: np.ndarray, x: np.ndarray, floor: float, rel: float = SETTLED_REL) -> bool:
    """True if ``x`` changed by at most ``rel`` (relative, ``floor`` absolute) over the last
    10 % of the run: its end value is a settled value, not a point on a moving waveform."""
    before = float(np.interp(t[0] + 0.9 * (t[-1] - t[0]), t, x))
    return abs(float(x[-1]) - before) <= rel * max(abs(float(x[-1])), floor)


def is_state_vector(name: str) -> bool:
    """True for an MTJ state node (behavioural ``….s`` or OSDI ``…#s``)."""
    return name.startswith("v(") and (name.endswith(".s)") or name.endswith("#s)"))


def first_crossing_s(t: np.ndarray, x: np.ndarray, level: float = STATE_MIDPOINT) -> float | None:
    """First time ``x`` crosses ``level`` (linear interpolation), None if it never does."""
    above = x > level
    idx = np.nonzero(above[1:] != above[:-1])[0]
    if idx.size == 0:
        return None
    k = int(idx[0])
    return float(t[k] + (level - x[k]) * (t[k + 1] - t[k]) / (x[k + 1] - x[k]))


def _plot_kind(plot: RawPlot) -> str:
    name = plot.plotname.lower()
    if name.startswith("transient"):
        return "tran"
    if name.startswith("dc"):
        return "dc"
    return "op"


def agreement_rows(job: Job, a: SimResult, b: SimResult) -> list[AgreementRow]:
    """Compare every vector both results hold (module docstring); quantities are
    ``<job key>:<settled|end|waveform|sweep|switch>:<vector>``."""
    rows: list[AgreementRow] = []
    for pa in a.plots:
        kind = _plot_kind(pa)
        pb = b.plot(kind)
        scale = pa.names()[0]
        for name in pa.names():
            if name == scale and kind != "op":
                continue
            if name not in pb.data:
                continue
            xa = np.asarray(pa[name], dtype=float)
            xb = np.asarray(pb[name], dtype=float)
            floor = _floor(name)
            t_end = float(pa.scale[-1]) if kind == "tran" else 0.0
            label = "settled" if kind != "tran" or has_settled(pa.scale, xa, floor) else "end"
            rows.append(AgreementRow(f"{job.key}:{label}:{name}", t_end, float(xa[-1]),
                                     float(xb[-1]), rel_diff(float(xa[-1]), float(xb[-1]), floor)))
            if kind == "dc":
                k = int(np.argmax(np.abs(xa - xb)))
                peak = max(float(np.max(np.abs(xa))), floor)
                rows.append(AgreementRow(f"{job.key}:sweep:{name}", float(pa.scale[k]),
                                         float(xa[k]), float(xb[k]),
                                         abs(float(xa[k] - xb[k])) / peak))
            if kind != "tran":
                continue
            ta, tb = pa.scale, pb.scale
            grid = np.union1d(ta, tb)
            ya, yb = np.interp(grid, ta, xa), np.interp(grid, tb, xb)
            k = int(np.argmax(np.abs(ya - yb)))
            rows.append(AgreementRow(f"{job.key}:waveform:{name}", float(grid[k]), float(ya[k]),
                                     float(yb[k]), waveform_difference(grid, ya, yb, floor)))
            if is_state_vector(name):
                sa = first_crossing_s(ta, xa)
                sb = first_crossing_s(tb, xb)
                if sa is not None or sb is not None:
                    rows.append(AgreementRow(
                        f"{job.key}:switch:{name}",
                        sa if sa is not None else float("nan"),
                        sa if sa is not None else float("nan"),
                        sb if sb is not None else float("nan"),
                        abs(sa - sb) if sa is not None and sb is not None else float("inf"),
                    ))
    return rows


def crosscheck_rows(check: Crosscheck) -> list[AgreementRow]:
    """Every job's agreement rows, then one ``<job key>:wall_time_s`` row per job
    (``rel_diff`` there is VACASK's time over ngspice's) and the totals (wall time, and
    the simulator processes' CPU time)."""
    rows: list[AgreementRow] = []
    for job, a, b in zip(check.jobs, check.ngspice, check.vacask, strict=True):
        rows.extend(agreement_rows(job, a, b))
    for job, a, b in zip(check.jobs, check.ngspice, check.vacask, strict=True):
        rows.append(AgreementRow(f"{job.key}:wall_time_s", float("nan"), a.elapsed_s,
                                 b.elapsed_s, b.elapsed_s / max(a.elapsed_s, 1e-9)))
    rows.append(AgreementRow("total:wall_time_s", float("nan"), check.ngspice_wall_s,
                             check.vacask_wall_s,
                             check.vacask_wall_s / max(check.ngspice_wall_s, 1e-9)))
    rows.append(AgreementRow("total:cpu_time_s", float("nan"), check.ngspice_cpu_s,
                             check.vacask_cpu_s,
                             check.vacask_cpu_s / max(check.ngspice_cpu_s, 1e-9)))
    return rows


def signal_rows(rows: Sequence[AgreementRow], kind: str = "settled",
                fraction: float = 1e-3, min_A: float = 1e-9) -> list[AgreementRow]:
    """The ``kind`` rows of currents that carry signal: |I| at least ``fraction`` of the
    largest end-of-run current of the same job and at least ``min_A`` (leakage and residual
    charging currents, femto- to pico-amperes in our decks, are left out)."""
    largest: dict[str, float] = {}
    for r in rows:
        for tag in (":settled:", ":end:"):
            key, _, rest = r.quantity.rpartition(tag)
            if key and rest.startswith("i("):
                largest[key] = max(largest.get(key, 0.0), abs(r.ngspice))
    out = []
    for r in rows:
        key, sep, rest = r.quantity.rpartition(f":{kind}:")
        if not sep or not rest.startswith("i("):
            continue
        scale = largest.get(key, 0.0)
        value = abs(r.ngspice) if kind == "settled" else scale
        if scale > 0 and value >= max(fraction * scale, min_A):
            out.append(r)
    return out
