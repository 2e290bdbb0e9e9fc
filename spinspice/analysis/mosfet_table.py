"""Tabulated MOSFET characteristics for the fast quasi-static array solver.

Each MOSFET kind a circuit uses — (model library and corner, model name, element kind,
W, L, temperature) — is characterised once in ngspice DC and kept in a per-user cache;
:mod:`spinspice.analysis.array_solver` then evaluates the table instead of the model.

Characterisation (:func:`characterise`)
---------------------------------------
One deck per device: K = n_gs·n_bs copies of the transistor, copy k with its own gate and
bulk sources at (V_GS, V_BS) of the grid and its source terminal grounded; all drains hang
on one swept node through their own 0 V ammeters, and ``.dc`` sweeps V_DS. So one ngspice
run (through the caller's engine) gives the whole (V_BS, V_GS, V_DS) grid of

* I_D, the current *into* the drain terminal, A, and
* I_B, the current *into* the bulk terminal (junction leakage), A;

works for any library the circuit loads (bundled cards, a user's ``--models``, ``X``-wrapped
subcircuits, OSDI devices of :attr:`LibraryRef.osdi` — the job carries them); the gate
current is taken as zero (BSIM4 with ``igcmod = igbmod = 0``, as in the bundled
cards; a library with gate tunnelling would be mis-modelled and is not detected).

Interpolant (:class:`MosfetTable`)
----------------------------------
Tensor-product cubic Hermite in (V_BS, V_GS, V_DS) with node derivatives from the
not-a-knot cubic spline through each grid line, limited by Hyman's monotonicity filter
(:func:`_monotone_slopes`), applied axis by axis (mixed derivatives by applying it again
along the other axes). It is C¹ everywhere, reproduces the ngspice values at the grid
nodes, is monotone along every grid line where the data is, and its analytic gradient
(g_m, g_ds, g_mb) is what Newton uses. Outside the grid
it raises instead of extrapolating.

Default grid (:class:`MosfetGrid`): V_GS and V_DS from −1.5 V to +1.5 V in 12.5 mV
steps (241 points each), V_BS from −0.3 V to +0.3 V in 0.1 V steps: 1687 copies, 241
sweep points, 2.6–3.7 s of ngspice per device (bundled models, 2-core machine). Off-grid
error against ngspice ``.op`` (:func:`validate`, 400 random points each, bundled tt):
≈ 1e-10 A where the array's pass transistors work (|V_GS| 0.85–1.15 V, |V_DS| ≤ 50 mV,
|I| ≤ 160 µA), ≤ 1.3e-8 (NMOS) / 4.5e-8 A (PMOS) over |V_GS| ≤ 1.2 V, |V_DS| ≤ 0.3 V
(|I| ≤ 1.5 mA), ≤ 8e-9 A for off devices; at 25 mV steps these were 13–35× larger.
Largest errors sit where a junction is forward biased (|V_DS| ≳ 0.3 V with the body at
the source): exponential currents a cubic resolves poorly (see ``docs/array_solver.md``).

Cache
-----
``$XDG_CACHE_HOME/spinspice/mosfet`` (default ``~/.cache/spinspice/mosfet``), created with
mode 0700; one ``.npz`` per device, named by the SHA-256 of: the content of every model
file (the library closure) and OSDI file, the corner, model name, element kind, W, L,
temperature, the grid and the table format version. A changed library therefore never
hits a stale entry. Entries are written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError, SimulationError
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    DcSweep,
    Element,
    LibraryRef,
    Mosfet,
    OperatingPoint,
    Options,
    Save,
    VoltageSource,
)
from spinspice.netlists.guard import library_closure
from spinspice.netlists.job import make_job, sha256_file

if TYPE_CHECKING:
    from spinspice.analysis.runner import Engine

FloatArray = NDArray[np.float64]

#: Bumped whenever the stored arrays or the interpolant change meaning.
TABLE_FORMAT = 2
#: Fewest nodes of a not-a-knot cubic spline through a grid line, points (with fewer,
#: scipy's not-a-knot spline degenerates to a parabola or a line); hence also the fewest
#: points of a grid axis. Shorter lines (halves of a V_DS line split at 0) get
#: finite-difference slopes instead.
SPLINE_MIN_POINTS: Final = 4
#: Most points of one grid axis; our choice: bounds the sweep length and the table's size
#: (the default grid has 241).
MAX_AXIS_POINTS: Final = 2001
#: Most (V_GS, V_BS) pairs, i.e. transistor copies, in one characterisation deck; our choice:
#: bounds the deck (the default grid has 1687 copies).
MAX_DECK_PAIRS: Final = 4000
#: Most random points of one :func:`validate` deck (one transistor each); our choice: bounds
#: the deck.
MAX_VALIDATE_POINTS: Final = 2000
#: A grid node closer than this to 0 V is the V = 0 node, V; our choice: ``np.linspace``
#: round-off only, far below any grid step.
_ZERO_NODE_TOL_V: Final = 1e-12
#: Index of V_DS among the (V_BS, V_GS, V_DS) axes: its splines are split at V_DS = 0.
_VDS_AXIS: Final = 2
#: A point within this fraction of a grid step of a node is evaluated at the node, steps;
#: our choice: round-off of (v − v_0)/h only.
_NODE_SNAP_STEPS: Final = 1e-9
#: Largest difference between ngspice's swept V_DS values and the grid's, V; our choice:
#: round-off of the ``.dc`` sweep only, far below a grid step.
_SWEEP_MATCH_TOL_V: Final = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class MosfetGrid:
    """The (V_BS, V_GS, V_DS) grid of a characterisation, V (uniform axes).

    Parameters
    ----------
    vgs_V, vds_V, vbs_V:
        (start, stop, points) of each axis; ``points`` ≥ 4 (``vbs`` may have 1 point: the
        table is then valid at that V_BS only).
    """

    vgs_V: tuple[float, float, int] = (-1.5, 1.5, 241)
    vds_V: tuple[float, float, int] = (-1.5, 1.5, 241)
    vbs_V: tuple[float, float, int] = (-0.3, 0.3, 7)

    def __post_init__(self) -> None:
        for name in ("vgs_V", "vds_V", "vbs_V"):
            lo, hi, n = getattr(self, name)
            one_ok = name == "vbs_V"
            if not (np.isfinite(lo) and np.isfinite(hi)) or isinstance(n, bool):
                raise ParameterError(f"{name}: start and stop must be finite")
            if (
                not isinstance(n, int)
                or not (n >= SPLINE_MIN_POINTS or (one_ok and n == 1))
                or n > MAX_AXIS_POINTS
            ):
                raise ParameterError(
                    f"{name}: points must be an integer"
                    f" from {SPLINE_MIN_POINTS} to {MAX_AXIS_POINTS}"
                )
            if n > 1 and not hi > lo:
                raise ParameterError(f"{name}: stop must exceed start")
        if self.vgs_V[2] * self.vbs_V[2] > MAX_DECK_PAIRS:
            raise ParameterError(
                f"grid too large: at most {MAX_DECK_PAIRS} (V_GS, V_BS) pairs per deck"
            )

    @classmethod
    def for_vdd(cls, vdd_V: float, *, step_V: float = 0.0125) -> MosfetGrid:
        """V_GS, V_DS over ±1.5·V_dd at ``step_V``; V_BS over ±0.3 V in 0.1 V steps."""
        span = 1.5 * vdd_V
        n = round(2 * span / step_V) + 1
        return cls(vgs_V=(-span, span, n), vds_V=(-span, span, n))

    def axes(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(vbs, vgs, vds) node values, V."""
        return tuple(  # type: ignore[return-value]
            np.linspace(lo, hi, n) if n > 1 else np.array([float(lo)])
            for lo, hi, n in (self.vbs_V, self.vgs_V, self.vds_V)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceKey:
    """What identifies one characterised MOSFET.

    Attributes
    ----------
    libraries:
        The model libraries (and corners) the deck loads.
    model:
        Model (or subcircuit) name.
    element:
        ``"M"`` (``.model`` card) or ``"X"`` (subcircuit-wrapped model).
    w_m, l_m:
        Drawn width and length, m.
    temperature_C:
        Circuit temperature, °C.
    """

    libraries: tuple[LibraryRef, ...]
    model: str
    element: Literal["M", "X"]
    w_m: float
    l_m: float
    temperature_C: float = 27.0

    def digest(self, grid: MosfetGrid) -> str:
        """SHA-256 over the model files' contents and every field (module docstring)."""
        h = hashlib.sha256(f"spinspice-mosfet-table-{TABLE_FORMAT}".encode())
        for lib in self.libraries:
            h.update(f"\0lib\0{lib.section}".encode())
            for p in library_closure(lib.path):
                h.update(f"\0{p.name}\0{sha256_file(p)}".encode())
            for p in lib.osdi:  # compiled Verilog-A devices of the library
                h.update(f"\0osdi\0{p.name}\0{sha256_file(p)}".encode())
        desc = {
            "model": self.model.lower(),
            "element": self.element,
            "w": repr(float(self.w_m)),
            "l": repr(float(self.l_m)),
            "t": repr(float(self.temperature_C)),
            "grid": [list(grid.vbs_V), list(grid.vgs_V), list(grid.vds_V)],
        }
        h.update(json.dumps(desc, sort_keys=True).encode())
        return h.hexdigest()

    @property
    def label(self) -> str:
        """Short human-readable name (job keys, messages)."""
        return f"{self.model}_w{self.w_m * 1e9:.0f}n_l{self.l_m * 1e9:.0f}n_{self.temperature_C:g}C"


# --------------------------------------------------------------------------- interpolant


def _spline_slopes(y: FloatArray, x: FloatArray, axis: int, split_at_zero: bool) -> FloatArray:
    """Not-a-knot cubic-spline node derivatives of ``y`` along ``axis``.

    With ``split_at_zero`` (and 0 a node) the two sides of 0 get separate splines and the
    node at 0 the mean of their one-sided slopes: BSIM4's I_D(V_DS) is C¹ but not C² at
    V_DS = 0 (the source/drain exchange), and a spline across that curvature jump costs
    ~1e-7 A at 25 mV steps on the bundled models (measured).
    """
    from scipy.interpolate import CubicSpline

    def one(yy: FloatArray, xx: FloatArray) -> FloatArray:
        if xx.size < SPLINE_MIN_POINTS:
            return np.asarray(np.gradient(yy, xx, axis=axis))
        return np.asarray(CubicSpline(xx, yy, axis=axis, bc_type="not-a-knot")(xx, 1))

    zero = np.flatnonzero(np.abs(x) < _ZERO_NODE_TOL_V)
    # each side, the node at 0 included, needs a spline's worth of nodes
    if (
        not split_at_zero
        or zero.size != 1
        or not SPLINE_MIN_POINTS - 1 <= zero[0] <= x.size - SPLINE_MIN_POINTS
    ):
        return one(y, x)
    k = int(zero[0])
    left = one(np.take(y, np.arange(k + 1), axis=axis), x[: k + 1])
    right = one(np.take(y, np.arange(k, x.size), axis=axis), x[k:])
    d = np.concatenate([left, np.take(right, np.arange(1, right.shape[axis]), axis=axis)], axis)
    mid = 0.5 * (np.take(left, [k], axis=axis) + np.take(right, [0], axis=axis))
    idx = [slice(None)] * d.ndim
    idx[axis] = slice(k, k + 1)
    d[tuple(idx)] = mid
    return d


def _monotone_slopes(y: FloatArray, x: FloatArray, axis: int, split_at_zero: bool) -> FloatArray:
    """Node derivatives of ``y`` along ``axis``: the cubic spline's
    (:func:`_spline_slopes`), passed through Hyman's monotonicity filter.

    Where the two neighbouring secants s₋, s₊ have one sign σ the slope is clipped to
    σ·[0, 3·min(|s₋|, |s₊|)] (which keeps the Hermite cubic monotone on both intervals,
    Fritsch–Carlson); at a data extremum it is set to 0. Smooth monotone data keep the
    spline's fourth-order accuracy, which PCHIP's harmonic-mean slopes lack (their error
    was 3–10× larger on the bundled models' subthreshold region).
    """
    if x.size == 1:
        return np.zeros_like(y)
    d = np.moveaxis(_spline_slopes(y, x, axis, split_at_zero), axis, 0).copy()
    yy = np.moveaxis(y, axis, 0)
    s = np.diff(yy, axis=0) / np.diff(x).reshape((-1,) + (1,) * (yy.ndim - 1))
    lo = np.concatenate([s[:1], s])  # secant on the left of each node (ends: their one)
    hi = np.concatenate([s, s[-1:]])
    sig = np.sign(hi)
    same = (lo * hi) > 0
    cap = 3.0 * np.minimum(np.abs(lo), np.abs(hi))
    clipped = sig * np.minimum(np.maximum(sig * d, 0.0), cap)
    d = np.where(same, clipped, 0.0)
    return np.moveaxis(d, 0, axis)


def _hermite_basis(t: FloatArray, h: float) -> tuple[FloatArray, FloatArray]:
    """Cubic Hermite basis (4, n) on [0, 1] and its derivative with respect to x (t = (x−x0)/h).

    Rows: value at left node, slope at left node (×h), value at right, slope at right (×h).
    """
    t2 = t * t
    t3 = t2 * t
    b = np.stack([2 * t3 - 3 * t2 + 1, (t3 - 2 * t2 + t) * h, -2 * t3 + 3 * t2, (t3 - t2) * h])
    db = np.stack([(6 * t2 - 6 * t) / h, 3 * t2 - 4 * t + 1, (-6 * t2 + 6 * t) / h, 3 * t2 - 2 * t])
    return b, db


@dataclass(frozen=True, slots=True, eq=False)
class MosfetTable:
    """I_D and I_B of one MOSFET on a (V_BS, V_GS, V_DS) grid, with a C¹ interpolant.

    Attributes
    ----------
    key:
        The device.
    grid:
        The grid.
    i_d_A, i_b_A:
        Currents into the drain and the bulk terminal, shape (n_bs, n_gs, n_ds), A.
    elapsed_s:
        Wall-clock time of the characterisation, s (0 for an entry read from the cache
        that recorded none).
    source:
        ``"ngspice"`` (characterised in this process) or ``"cache"``.
    """

    key: DeviceKey
    grid: MosfetGrid
    i_d_A: FloatArray
    i_b_A: FloatArray
    elapsed_s: float = 0.0
    source: str = "ngspice"
    _coef: dict[str, FloatArray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        axes = self.grid.axes()
        shape = tuple(a.size for a in axes)
        for name in ("i_d_A", "i_b_A"):
            arr = getattr(self, name)
            if arr.shape != shape or not np.all(np.isfinite(arr)):
                raise ParameterError(f"MOSFET table {name} must be finite with shape {shape}")
        for name, c in self._coef.items():  # read from the cache with the table
            if c.shape != (8, *shape):
                raise ParameterError(f"MOSFET table coefficients of {name} have the wrong shape")
        self.coefficients("i_d_A")  # the bulk current's only when asked for

    def coefficients(self, name: str) -> FloatArray:
        """Node values and slopes (8, n_bs, n_gs, n_ds) of ``i_d_A`` or ``i_b_A``: index is
        a bit mask of the axes differentiated (bit 0 V_BS, bit 1 V_GS, bit 2 V_DS)."""
        if name not in self._coef:
            axes = self.grid.axes()
            coef = {0: getattr(self, name)}
            for mask in range(1, 8):
                base = coef[mask & (mask - 1)]  # lower bits already differentiated
                bit = (mask & -mask).bit_length() - 1
                coef[mask] = _monotone_slopes(base, axes[bit], bit, bit == _VDS_AXIS)
            self._coef[name] = np.stack([coef[k] for k in range(8)])
        return self._coef[name]

    @property
    def axes(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(vbs, vgs, vds) node values, V."""
        return self.grid.axes()

    def in_range(self, vgs: FloatArray, vds: FloatArray, vbs: FloatArray) -> NDArray[np.bool_]:
        """True where the point lies inside the grid (to 1 µV)."""
        ok = np.ones(np.shape(vgs), bool)
        for v, a in ((vbs, self.axes[0]), (vgs, self.axes[1]), (vds, self.axes[2])):
            ok &= (v >= a[0] - 1e-6) & (v <= a[-1] + 1e-6)
        return ok

    def evaluate(
        self,
        vgs: FloatArray,
        vds: FloatArray,
        vbs: FloatArray,
        which: str = "i_d_A",
        *,
        d_vbs: bool = True,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Interpolated current and its partial derivatives.

        Returns
        -------
        (I, dI/dV_GS, dI/dV_DS, dI/dV_BS):
            A and S, each of the shape of the inputs. ``which`` is ``"i_d_A"`` or
            ``"i_b_A"``. With ``d_vbs=False`` the last one is not computed (zeros).

        Raises
        ------
        SimulationError
            If a point lies outside the characterised grid.
        """
        vgs, vds, vbs = (np.asarray(v, float) for v in (vgs, vds, vbs))
        if not np.all(self.in_range(vgs, vds, vbs)):
            bad = ~self.in_range(vgs, vds, vbs)
            k = int(np.flatnonzero(bad.ravel())[0])
            raise SimulationError(
                f"MOSFET {self.key.label}: operating point (V_GS, V_DS, V_BS) = "
                f"({vgs.ravel()[k]:.3f}, {vds.ravel()[k]:.3f}, {vbs.ravel()[k]:.3f}) V lies "
                "outside the characterised grid",
                hint="widen the MosfetGrid of the fast engine or use the ngspice engine",
            )
        coef = self.coefficients(which)
        shape = vgs.shape
        idx = []
        bases = []
        for vv, a in ((vbs, self.axes[0]), (vgs, self.axes[1]), (vds, self.axes[2])):
            v = vv.ravel()
            if a.size == 1:
                idx.append(np.zeros(v.size, np.intp))
                one = np.ones(v.size)
                zero = np.zeros(v.size)
                # constant along this axis: value weight 1 at the single node, no slope
                bases.append((np.stack([one, zero, zero, zero]), np.stack([zero] * 4)))
                continue
            h = a[1] - a[0]
            f = (v - a[0]) / h
            # points on a grid node (to _NODE_SNAP_STEPS of a step) sit exactly at it: t = 0
            i = np.clip(np.floor(f + _NODE_SNAP_STEPS).astype(np.intp), 0, a.size - 2)
            t = f - i
            t[np.abs(t) < _NODE_SNAP_STEPS] = 0.0
            idx.append(i)
            bases.append(_hermite_basis(t, h))
        n_bs = self.axes[0].size
        out = np.zeros((4, vgs.size))
        # which V_BS basis rows (value, derivative) are nonzero anywhere
        nz = [np.any(bases[0][0] != 0, axis=1), np.any(bases[0][1] != 0, axis=1)]
        for cb in (0, 1):
            for cg in (0, 1):
                for cd in (0, 1):
                    ib = np.minimum(idx[0] + cb, n_bs - 1)
                    ig, id_ = idx[1] + cg, idx[2] + cd
                    for mask in range(8):
                        db, dg, dd = mask & 1, (mask >> 1) & 1, (mask >> 2) & 1
                        if n_bs == 1 and (db or cb):
                            continue
                        rb = 2 * cb + db
                        if not (nz[0][rb] or (d_vbs and nz[1][rb])):
                            continue  # e.g. V_BS on a grid node: half the terms vanish
                        c0 = coef[mask][ib, ig, id_]
                        rg, rd = 2 * cg + dg, 2 * cd + dd
                        wb, dwb = bases[0][0][rb], bases[0][1][rb]
                        wg, dwg = bases[1][0][rg], bases[1][1][rg]
                        wd, dwd = bases[2][0][rd], bases[2][1][rd]
                        if nz[0][rb]:
                            c = c0 * wb
                            out[0] += c * wg * wd
                            out[1] += c * dwg * wd
                            out[2] += c * wg * dwd
                        if d_vbs and nz[1][rb]:
                            out[3] += c0 * dwb * wg * wd
        i_, g_gs, g_ds, g_bs = (o.reshape(shape) for o in out)
        return i_, g_gs, g_ds, g_bs


# --------------------------------------------------------------------------- characterisation


def _sweep_circuit(key: DeviceKey, grid: MosfetGrid) -> tuple[Circuit, list[tuple[int, int]]]:
    vbs, vgs, vds = grid.axes()
    elements: list[Element] = [VoltageSource("Vds", "d", GROUND, Dc(0.0))]
    saves: list[Save] = []
    pairs: list[tuple[int, int]] = []
    prefix = "X" if key.element == "X" else "M"
    for ib, vb in enumerate(vbs):
        for ig, vg in enumerate(vgs):
            k = len(pairs)
            pairs.append((ib, ig))
            elements += [
                VoltageSource(f"Vg{k}", f"g{k}", GROUND, Dc(float(vg))),
                VoltageSource(f"Vb{k}", f"b{k}", GROUND, Dc(float(vb))),
                VoltageSource(f"Vm{k}", "d", f"d{k}", Dc(0.0)),
                Mosfet(
                    f"{prefix}q{k}",
                    f"d{k}",
                    f"g{k}",
                    GROUND,
                    f"b{k}",
                    key.model,
                    key.w_m,
                    key.l_m,
                    key.element,
                ),
            ]
            saves += [Save("i", (f"vm{k}",)), Save("i", (f"vb{k}",))]
    step = float(vds[1] - vds[0])
    circuit = Circuit(
        title=f"spinspice MOSFET characterisation {key.model}",
        elements=tuple(elements),
        libraries=key.libraries,
        analyses=(DcSweep("Vds", float(vds[0]), float(vds[-1]) + 0.25 * step, step),),
        saves=tuple(saves),
        options=Options(numeric={"reltol": 1e-6, "abstol": 1e-15, "vntol": 1e-9}),
        temperature_C=key.temperature_C,
    )
    return circuit, pairs


def characterise(
    key: DeviceKey,
    engine: Engine,
    grid: MosfetGrid | None = None,
) -> MosfetTable:
    """Sweep one MOSFET in ngspice DC over ``grid`` (module docstring); no cache."""
    grid = grid or MosfetGrid()
    circuit, pairs = _sweep_circuit(key, grid)
    job = make_job(circuit, key=f"mosfet/{key.label.replace('.', 'p')}")
    t0 = time.perf_counter()
    res = engine.run([job])[0]
    elapsed = time.perf_counter() - t0
    dc = res.plot("dc")
    vbs, vgs, vds = grid.axes()
    scale = np.asarray(dc.scale, float)
    if scale.size < vds.size or np.max(np.abs(scale[: vds.size] - vds)) > _SWEEP_MATCH_TOL_V:
        raise SimulationError(
            f"MOSFET characterisation of {key.label}: ngspice swept {scale.size} V_DS points, "
            f"expected {vds.size} at the grid values"
        )
    i_d = np.empty((vbs.size, vgs.size, vds.size))
    i_b = np.empty_like(i_d)
    for k, (ib, ig) in enumerate(pairs):
        i_d[ib, ig] = dc[f"i(vm{k})"][: vds.size]
        # i(vb) flows from the bulk node into the source: out of the bulk terminal
        i_b[ib, ig] = -dc[f"i(vb{k})"][: vds.size]
    return MosfetTable(key=key, grid=grid, i_d_A=i_d, i_b_A=i_b, elapsed_s=elapsed)


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/spinspice/mosfet`` (default ``~/.cache/spinspice/mosfet``), 0700."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    root = Path(base) / "spinspice"
    path = root / "mosfet"
    for p in (root, path):
        p.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(p, 0o700)
    return path


def _save(table: MosfetTable, path: Path) -> None:
    meta = {"format": TABLE_FORMAT, "label": table.key.label, "elapsed_s": table.elapsed_s}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            # the drain current's interpolant slopes too (rebuilding them costs ~0.7 s; the
            # bulk current's are built when a circuit needs them, i.e. a body not at its
            # source)
            np.savez(
                fh,
                i_d_A=table.i_d_A,
                i_b_A=table.i_b_A,
                coef_d=table.coefficients("i_d_A"),
                meta=np.array(json.dumps(meta)),
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(key: DeviceKey, grid: MosfetGrid, path: Path) -> MosfetTable | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != TABLE_FORMAT:
                return None
            return MosfetTable(
                key=key,
                grid=grid,
                i_d_A=np.array(data["i_d_A"]),
                i_b_A=np.array(data["i_b_A"]),
                elapsed_s=float(meta.get("elapsed_s", 0.0)),
                source="cache",
                _coef={"i_d_A": np.array(data["coef_d"])},
            )
    except (OSError, ValueError, KeyError, ParameterError):
        return None  # unreadable or stale entry: characterise again


def load_or_characterise(
    key: DeviceKey,
    engine: Engine,
    grid: MosfetGrid | None = None,
    *,
    use_cache: bool = True,
) -> MosfetTable:
    """The table of ``key`` from the per-user cache, else characterised and cached."""
    grid = grid or MosfetGrid()
    if not use_cache:
        return characterise(key, engine, grid)
    path = cache_dir() / f"{key.digest(grid)}.npz"
    if path.exists():
        table = _load(key, grid, path)
        if table is not None:
            return table
    table = characterise(key, engine, grid)
    _save(table, path)
    return table


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True, slots=True)
class TableCheck:
    """Interpolation error against ngspice ``.op`` at random off-grid points.

    Attributes
    ----------
    vgs_V, vds_V, vbs_V:
        The points, V.
    i_spice_A, i_table_A:
        Drain current from ngspice and from the table, A.
    max_abs_err_A:
        Largest |I_table − I_spice|, A.
    max_rel_err:
        Largest |I_table − I_spice| / max(|I_spice|, floor) with ``floor`` = 1e-3 of the
        largest |I_spice| (so off-state points count by their absolute error).
    elapsed_s:
        ngspice time of the check, s.
    """

    vgs_V: FloatArray
    vds_V: FloatArray
    vbs_V: FloatArray
    i_spice_A: FloatArray
    i_table_A: FloatArray
    max_abs_err_A: float
    max_rel_err: float
    elapsed_s: float


def validate(
    table: MosfetTable,
    engine: Engine,
    *,
    points: int = 200,
    seed: int = 0,
    region: Sequence[tuple[float, float]] | None = None,
) -> TableCheck:
    """Compare the table with ngspice at ``points`` random points (uniform in ``region``:
    ((vgs_lo, vgs_hi), (vds_lo, vds_hi), (vbs_lo, vbs_hi)); default the whole grid)."""
    if not 1 <= points <= MAX_VALIDATE_POINTS:
        raise ParameterError(f"points must be from 1 to {MAX_VALIDATE_POINTS}")
    rng = np.random.default_rng(seed)
    vbs_a, vgs_a, vds_a = table.axes
    reg = region or (
        (vgs_a[0], vgs_a[-1]),
        (vds_a[0], vds_a[-1]),
        (vbs_a[0], vbs_a[-1]),
    )
    (g0, g1), (d0, d1), (b0, b1) = (tuple(map(float, r)) for r in reg)
    vgs = rng.uniform(g0, g1, points)
    vds = rng.uniform(d0, d1, points)
    vbs = rng.uniform(b0, b1, points) if vbs_a.size > 1 else np.full(points, vbs_a[0])
    key = table.key
    prefix = "X" if key.element == "X" else "M"
    elements: list[Element] = []
    saves = []
    for k in range(points):
        elements += [
            VoltageSource(f"Vg{k}", f"g{k}", GROUND, Dc(float(vgs[k]))),
            VoltageSource(f"Vb{k}", f"b{k}", GROUND, Dc(float(vbs[k]))),
            VoltageSource(f"Vd{k}", f"d{k}", GROUND, Dc(float(vds[k]))),
            Mosfet(
                f"{prefix}q{k}",
                f"d{k}",
                f"g{k}",
                GROUND,
                f"b{k}",
                key.model,
                key.w_m,
                key.l_m,
                key.element,
            ),
        ]
        saves.append(Save("i", (f"vd{k}",)))
    circuit = Circuit(
        title=f"spinspice MOSFET table check {key.model}",
        elements=tuple(elements),
        libraries=key.libraries,
        analyses=(OperatingPoint(),),
        saves=tuple(saves),
        options=Options(numeric={"reltol": 1e-6, "abstol": 1e-15, "vntol": 1e-9}),
        temperature_C=key.temperature_C,
    )
    t0 = time.perf_counter()
    res = engine.run([make_job(circuit, key="mosfet/check")])[0]
    elapsed = time.perf_counter() - t0
    op = res.plot("op")
    # i(vd) flows from the drain node into the source: out of the drain terminal
    i_spice = np.array([-float(op[f"i(vd{k})"][0]) for k in range(points)])
    i_tab = table.evaluate(vgs, vds, vbs)[0]
    err = np.abs(i_tab - i_spice)
    floor = 1e-3 * float(np.max(np.abs(i_spice)))
    rel = err / np.maximum(np.abs(i_spice), floor)
    return TableCheck(vgs, vds, vbs, i_spice, i_tab, float(err.max()), float(rel.max()), elapsed)


__all__ = [
    "DeviceKey",
    "MosfetGrid",
    "MosfetTable",
    "TableCheck",
    "cache_dir",
    "characterise",
    "load_or_characterise",
    "validate",
]
