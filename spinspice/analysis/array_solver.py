"""Fast quasi-static (DC) solver of transistor arrays, and the ``fast`` engine around it.

It solves the operating point of a typed :class:`~spinspice.netlists.circuit.Circuit` —
the very circuit the array builders hand to ngspice (4T2R, 2T1R, any later family built
from the same elements) — without ngspice:

* resistors (wire segments of a :class:`~spinspice.netlists.circuit.CellArray`, MTJs as
  the read decks write them, drivers), capacitors open (DC);
* ideal voltage sources, evaluated at one instant: ``at_s`` (default: the end of the
  circuit's transient, i.e. the settled read; 0 for a ``.op`` circuit);
* MOSFETs (``M`` cards or ``X``-wrapped foundry models, any W/L) from their tabulated
  characteristics (:mod:`spinspice.analysis.mosfet_table`, characterised in ngspice once
  and cached per user); gate current zero;
* subcircuits, nested, with numeric parameters.

Behavioural template subcircuits (B-sources), OSDI instances and current sources are not
supported and raise :class:`~spinspice.errors.SimulationError`: use ngspice for them.

Method
------
1. Voltage sources are eliminated: nodes tied by sources become one unknown with offsets
   (ground-tied nodes are known); a source's current comes from KCL afterwards, with the
   ngspice sign (``i(V)`` flows into n+ through the source).
2. Nodes reached only by resistors and MOSFET gates (the gate/control lines: no DC current)
   are solved once, linearly.
3. The rest is Newton on KCL: J = G + Σ MOSFET stamps (g_m, g_ds, g_mb of the table's C¹
   interpolant), assembled on a fixed sparsity pattern, ordered by geometric nested
   dissection of the array sites (the idea of :mod:`spinspice.analysis.nodal`, with three
   node classes: wired along rows, wired along columns, cell-local), factorised by SuperLU
   with near-diagonal pivoting. The residual is recomputed exactly at every step, so
   round-off in the LU (near-ideal drivers) or an old LU (chord steps) only slows the
   contraction — it cannot bias the answer.
4. It stops on an **error estimate**, not the residual: with δ_k = ‖Δx_k‖∞ and the
   observed contraction ρ_k = δ_k/δ_(k−1), the error left after step k is at most
   ρ_k/(1 − ρ_k)·δ_k; iteration ends when that bound is below ``tol_V`` (default
   1e-10 V). The bound is reported. Steps keep the LU while ρ < 0.25 (chord), else
   refactorise.
5. A batch (several jobs with the same circuit apart from source values) reuses the
   flattened network and starts each member from the previous solution with the previous
   LU (chord steps); it refactorises only when the contraction is slower than 0.25.

Accuracy against ngspice is therefore that of the table (module docstring of
:mod:`spinspice.analysis.mosfet_table`) — the Newton error is far below it. Measured
figures: ``docs/array_solver.md`` and ``benchmarks/bench_array_solver.py``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import SuperLU, splu

from spinspice.analysis.mosfet_table import DeviceKey, MosfetGrid, MosfetTable, load_or_characterise
from spinspice.analysis.rawfile import RawPlot, RawVariable
from spinspice.analysis.runner import SimResult
from spinspice.errors import ParameterError, SimulationError
from spinspice.netlists.circuit import (
    GROUND,
    Capacitor,
    CellArray,
    Circuit,
    Dc,
    LibraryRef,
    Mosfet,
    OperatingPoint,
    Param,
    Pulse,
    Pwl,
    Resistor,
    Subcircuit,
    SubcktInstance,
    Transient,
    Value,
    VoltageSource,
    Waveform,
)

if TYPE_CHECKING:
    from spinspice.analysis.runner import Engine
    from spinspice.netlists.job import Job

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Node wiring classes for the ordering.
_WIRED_X, _WIRED_Y, _LOCAL, _NOWHERE = 0, 1, 2, 3
#: Most levels of the nested-dissection ordering key: each level appends a base-3 digit to
#: an int64 key, and 3**39 < 2**63 < 3**40.
_MAX_DISSECTION_DEPTH: Final = 39
#: Length of an ngspice vector name with nothing between its brackets, characters.
_EMPTY_VECTOR_NAME_LEN: Final = len("v()")
#: Loosest Newton error bound a solver accepts, V; our choice: above 1 mV the result is no
#: longer an accurate operating point (the default is 1e-10 V, docs/array_solver.md
#: "Solver" step 4).
MAX_TOL_V: Final = 1e-3
#: Fraction of the active unknowns that must sit on array sites for the geometric
#: nested-dissection ordering (else SuperLU's COLAMD), dimensionless; our choice: the
#: geometry orders the matrix well only when most unknowns belong to it.
_DISSECTION_MIN_SITE_FRACTION: Final = 0.5
#: Most halvings of a Newton step that leaves the MOSFET tables' range; our choice: 2**-20
#: ≈ 1e-6 of the step (the operating point is checked against the grid afterwards).
_MAX_STEP_HALVINGS: Final = 20
#: Contraction ratio ρ = δ_k/δ_(k−1) from which a chord step (old LU) no longer suffices
#: and the Jacobian is refactorised, dimensionless (docs/array_solver.md "Solver" step 4).
_CHORD_MAX_RHO: Final = 0.25
#: Most Newton steps one LU serves before it is refactorised, steps; our choice: bounds the
#: drift of an old Jacobian.
_CHORD_MAX_AGE: Final = 8
#: Circuit structures whose solvers a FastEngine keeps (the oldest is dropped first); our
#: choice: each holds a flattened network and its LU.
_SOLVER_CACHE_SIZE: Final = 4


# --------------------------------------------------------------------------- sources


def waveform_value(w: Waveform, t_s: float) -> float:
    """Value of a source waveform at time ``t_s`` (SPICE semantics), V."""
    if isinstance(w, Dc):
        if isinstance(w.value, Param):
            raise SimulationError("a top-level source value cannot be a parameter reference")
        return float(w.value)
    if isinstance(w, Pwl):
        pts = np.asarray(w.points, float)
        return float(np.interp(t_s, pts[:, 0], pts[:, 1]))
    if isinstance(w, Pulse):
        t = t_s - w.delay_s
        if t < 0:
            return w.v1
        t = t % w.period_s
        if t < w.rise_s:
            return w.v1 + (w.v2 - w.v1) * t / w.rise_s
        t -= w.rise_s
        if t <= w.width_s:
            return w.v2
        t -= w.width_s
        if t < w.fall_s:
            return w.v2 + (w.v1 - w.v2) * t / w.fall_s
        return w.v1
    raise SimulationError(f"unsupported waveform {type(w).__name__}")


def settle_time_s(circuit: Circuit) -> float:
    """The instant the fast engine solves by default: the last transient's stop time, else 0."""
    stops = [a.stop_s for a in circuit.analyses if isinstance(a, Transient)]
    return max(stops) if stops else 0.0


def quasi_static_circuit(circuit: Circuit, at_s: float | None = None) -> Circuit:
    """``circuit`` as an ngspice ``.op`` deck with every source held at its value at
    ``at_s`` (default :func:`settle_time_s`): the reference the fast solver must match."""
    t = settle_time_s(circuit) if at_s is None else float(at_s)
    elements = tuple(
        replace(e, waveform=Dc(waveform_value(e.waveform, t)))
        if isinstance(e, VoltageSource)
        else e
        for e in circuit.elements
    )
    return replace(circuit, elements=elements, analyses=(OperatingPoint(),))


# --------------------------------------------------------------------------- flattening


_MosKey = tuple[str, str, float, float]


@dataclass(slots=True)
class _MosGroup:
    key: _MosKey
    d: list[IntArray] = field(default_factory=list)
    g: list[IntArray] = field(default_factory=list)
    s: list[IntArray] = field(default_factory=list)
    b: list[IntArray] = field(default_factory=list)


class _Netlist:
    """The circuit flattened to integer node ids (0 = ground) and element arrays."""

    def __init__(self, circuit: Circuit) -> None:
        self.names: list[str] = [GROUND]
        self.index: dict[str, int] = {GROUND: 0}
        self.site: list[FloatArray] = [np.array([[-1.0, -1.0, _NOWHERE]])]
        self._res: list[tuple[IntArray, IntArray, FloatArray]] = []
        self.mos: dict[_MosKey, _MosGroup] = {}
        self.sources: list[tuple[str, int, int, Waveform]] = []
        self.subckts: dict[str, Subcircuit] = {s.name.lower(): s for s in circuit.subcircuits}
        self.templates = {t.name.lower() for t in circuit.template_subcircuits}
        for e in circuit.elements:
            self._top(e)
        if self._res:
            self.res_a = np.concatenate([r[0] for r in self._res]).astype(np.intp)
            self.res_b = np.concatenate([r[1] for r in self._res]).astype(np.intp)
            self.res_g = np.concatenate([r[2] for r in self._res]).astype(float)
        else:
            self.res_a = self.res_b = np.zeros(0, np.intp)
            self.res_g = np.zeros(0)
        self.site_xyw = np.concatenate(self.site)
        self.n = len(self.names)

    # -- nodes
    def node(self, name: str) -> int:
        key = name.lower()
        k = self.index.get(key)
        if k is None:
            k = len(self.names)
            self.index[key] = k
            self.names.append(key)
            self.site.append(np.array([[-1.0, -1.0, _NOWHERE]]))
        return k

    def new_block(self, names: list[str], site: FloatArray | None) -> IntArray:
        start = len(self.names)
        ids = np.arange(start, start + len(names), dtype=np.intp)
        self.names.extend(names)
        self.index.update(zip(names, ids.tolist(), strict=True))
        if site is None:
            site = np.tile(np.array([[-1.0, -1.0, _NOWHERE]]), (len(names), 1))
        self.site.append(site)
        return ids

    # -- elements
    def _top(self, e: object) -> None:
        if isinstance(e, Resistor):
            r = _const(e.resistance_ohm, e.name)
            self._res.append(
                (np.array([self.node(e.n1)]), np.array([self.node(e.n2)]), np.array([1.0 / r]))
            )
        elif isinstance(e, Capacitor):
            self.node(e.n1), self.node(e.n2)
        elif isinstance(e, VoltageSource):
            self.sources.append(
                (e.name.lower(), self.node(e.n_plus), self.node(e.n_minus), e.waveform)
            )
        elif isinstance(e, Mosfet):
            ids = [np.array([self.node(n)]) for n in (e.drain, e.gate, e.source, e.bulk)]
            w, ln = _const(e.w_m, e.name), _const(e.l_m, e.name)
            self._add_mos(e.model, e.element, np.array([w]), np.array([ln]), *ids)
        elif isinstance(e, SubcktInstance):
            sub = self._subckt(e.subckt, e.name)
            ports = [np.array([self.node(n)]) for n in e.nodes]
            params = {k: np.array([_const(v, e.name)]) for k, v in e.params.items()}
            self._expand(sub, ports, params, [e.name.lower()], None)
        elif isinstance(e, CellArray):
            self._cell_array(e)
        else:
            kind = getattr(e, "kind", type(e).__name__)
            raise SimulationError(
                f"the fast engine does not model element {getattr(e, 'name', e)!r} (kind {kind})",
                hint="run this job with the ngspice engine",
            )

    def _subckt(self, name: str, where: str) -> Subcircuit:
        key = name.lower()
        if key in self.templates:
            raise SimulationError(
                f"{where}: behavioural template subcircuit {name!r} is not modelled by the "
                "fast engine",
                hint="run this job with the ngspice engine",
            )
        if key not in self.subckts:
            raise SimulationError(f"{where}: unknown subcircuit {name!r}")
        return self.subckts[key]

    def _add_mos(
        self,
        model: str,
        element: str,
        w: FloatArray,
        ln: FloatArray,
        d: IntArray,
        g: IntArray,
        s: IntArray,
        b: IntArray,
    ) -> None:
        combos = np.stack([w, ln], axis=1)
        uniq, inv = np.unique(combos, axis=0, return_inverse=True)
        inv = inv.ravel()
        for k, (wk, lk) in enumerate(uniq):
            sel = inv == k
            key = (model.lower(), element, float(wk), float(lk))
            grp = self.mos.setdefault(key, _MosGroup(key))
            grp.d.append(d[sel])
            grp.g.append(g[sel])
            grp.s.append(s[sel])
            grp.b.append(b[sel])

    def _expand(
        self,
        sub: Subcircuit,
        ports: list[IntArray],
        inst_params: Mapping[str, FloatArray],
        prefixes: list[str],
        site: FloatArray | None,
    ) -> None:
        """Instantiate ``sub`` K times at once (K = len(prefixes))."""
        k = len(prefixes)
        if len(ports) != len(sub.ports):
            raise SimulationError(
                f"subcircuit {sub.name}: {len(ports)} nodes given for {len(sub.ports)} ports"
            )
        params = {p.lower(): np.full(k, float(v)) for p, v in sub.params.items()}
        params.update({p.lower(): np.broadcast_to(v, (k,)) for p, v in inst_params.items()})
        local: dict[str, IntArray] = {p.lower(): ports[i] for i, p in enumerate(sub.ports)}
        local[GROUND] = np.zeros(k, np.intp)
        local_site = None if site is None else site.copy()
        if local_site is not None:
            local_site[:, 2] = _LOCAL

        def nid(name: str) -> IntArray:
            key = name.lower()
            if key not in local:
                local[key] = self.new_block([f"{p}.{key}" for p in prefixes], local_site)
            return local[key]

        def val(v: Value, what: str) -> FloatArray:
            if isinstance(v, Param):
                key = v.name.lower()
                if key not in params:
                    raise SimulationError(f"subcircuit {sub.name}: parameter {v.name!r} unset")
                return np.asarray(params[key], float)
            return np.full(k, float(v))

        for e in sub.elements:
            if isinstance(e, Resistor):
                r = val(e.resistance_ohm, e.name)
                if np.any(r <= 0):
                    raise SimulationError(f"{sub.name}.{e.name}: resistance must be > 0")
                self._res.append((nid(e.n1), nid(e.n2), 1.0 / r))
            elif isinstance(e, Capacitor):
                nid(e.n1), nid(e.n2)
            elif isinstance(e, Mosfet):
                d, g, s, b = (nid(n) for n in (e.drain, e.gate, e.source, e.bulk))
                self._add_mos(
                    e.model, e.element, val(e.w_m, e.name), val(e.l_m, e.name), d, g, s, b
                )
            elif isinstance(e, SubcktInstance):
                inner = self._subckt(e.subckt, f"{sub.name}.{e.name}")
                ip = {p: val(v, e.name) for p, v in e.params.items()}
                nm = e.name.lower()
                self._expand(
                    inner, [nid(n) for n in e.nodes], ip, [f"{p}.{nm}" for p in prefixes], site
                )
            else:
                raise SimulationError(
                    f"subcircuit {sub.name}: the fast engine does not model element "
                    f"{e.name!r} (kind {e.kind}) inside subcircuits",
                    hint="run this job with the ngspice engine",
                )

    def _cell_array(self, a: CellArray) -> None:
        an = a.name.lower()
        m_idx, n_idx = np.meshgrid(
            np.arange(1, a.rows + 1), np.arange(1, a.cols + 1), indexing="ij"
        )
        ids: dict[str, IntArray] = {}
        for line in a.col_lines:
            ln = line.lower()
            mm, nn = np.meshgrid(np.arange(a.rows + 1), np.arange(1, a.cols + 1), indexing="ij")
            names = [f"{an}_{ln}_{m}_{n}" for m, n in zip(mm.ravel(), nn.ravel(), strict=True)]
            site = np.stack([nn.ravel(), mm.ravel(), np.full(mm.size, _WIRED_Y)], 1).astype(float)
            blk = self._block_or_existing(names, site).reshape(a.rows + 1, a.cols)
            ids[ln] = blk[1:]
            self._res.append(
                (blk[:-1].ravel(), blk[1:].ravel(), np.full(blk[1:].size, 1 / a.col_r_ohm))
            )
        for line in a.row_lines:
            ln = line.lower()
            mm, nn = np.meshgrid(np.arange(1, a.rows + 1), np.arange(1, a.cols + 2), indexing="ij")
            names = [f"{an}_{ln}_{m}_{n}" for m, n in zip(mm.ravel(), nn.ravel(), strict=True)]
            site = np.stack([nn.ravel(), mm.ravel(), np.full(mm.size, _WIRED_X)], 1).astype(float)
            blk = self._block_or_existing(names, site).reshape(a.rows, a.cols + 1)
            ids[ln] = blk[:, :-1]
            self._res.append(
                (blk[:, :-1].ravel(), blk[:, 1:].ravel(), np.full(a.rows * a.cols, 1 / a.row_r_ohm))
            )
        lines = {x.lower() for x in (*a.col_lines, *a.row_lines)}
        ports = [
            ids[p.lower()].ravel() if p.lower() in lines else np.full(a.rows * a.cols, self.node(p))
            for p in a.ports
        ]
        params = {k: np.asarray(v, float).ravel() for k, v in a.cell_params.items()}
        prefixes = [f"x{an}_{m}_{n}" for m, n in zip(m_idx.ravel(), n_idx.ravel(), strict=True)]
        site = np.stack([n_idx.ravel(), m_idx.ravel(), np.full(m_idx.size, _LOCAL)], 1).astype(
            float
        )
        self._expand(self._subckt(a.cell, a.name), ports, params, prefixes, site)

    def _block_or_existing(self, names: list[str], site: FloatArray) -> IntArray:
        if not any(n in self.index for n in names):
            return self.new_block(names, site)
        out = np.empty(len(names), np.intp)
        for i, n in enumerate(names):  # some line ends were named by earlier elements
            if n in self.index:
                # named by an earlier element: a line end, fixed by its source in every
                # builder, so it keeps no site
                out[i] = self.index[n]
            else:
                out[i] = self.new_block([n], site[i : i + 1])[0]
        return out

    # -- element arrays
    def mos_arrays(self) -> list[tuple[_MosKey, IntArray, IntArray, IntArray, IntArray]]:
        def cat(x: list[IntArray]) -> IntArray:
            return np.concatenate(x).astype(np.intp)

        return [(key, cat(g.d), cat(g.g), cat(g.s), cat(g.b)) for key, g in self.mos.items()]


def _const(v: Value, where: str) -> float:
    if isinstance(v, Param):
        raise SimulationError(f"{where}: a parameter reference outside a subcircuit")
    return float(v)


# --------------------------------------------------------------------------- ordering


def _dissection_order(x: FloatArray, y: FloatArray, wiring: FloatArray, leaf: int = 24) -> IntArray:
    """Nested-dissection permutation of nodes at integer sites (x, y).

    As :func:`spinspice.analysis.nodal._nested_dissection`, with three wiring classes:
    nodes wired along x (row lines), along y (column lines) and cell-local ones (joined to
    nodes of their own site only). Cutting a box across x at its middle column, only the
    x-wired nodes of that column join the halves and form the separator; across y the
    y-wired ones; local nodes never. Nodes without a site (``_NOWHERE``) are numbered last.
    """
    n = x.size
    nowhere = wiring == _NOWHERE
    key = np.zeros(n, np.int64)
    live = ~nowhere
    if live.any():
        xi, yi = x.astype(np.int64), y.astype(np.int64)
        x0, x1 = np.full(n, xi[live].min()), np.full(n, xi[live].max())
        y0, y1 = np.full(n, yi[live].min()), np.full(n, yi[live].max())
        depth = 0
        while live.any() and depth < _MAX_DISSECTION_DEPTH:
            depth += 1
            key *= 3
            wx, wy = x1 - x0, y1 - y0
            live &= ((wx + 1) * (wy + 1) * 4 > leaf) & ((wx > 0) | (wy > 0))
            along_x = wx >= wy
            c = np.where(along_x, xi, yi)
            mid = (np.where(along_x, x0, y0) + np.where(along_x, x1, y1)) // 2
            crossing = np.where(along_x, wiring == _WIRED_X, wiring == _WIRED_Y)
            sep = live & (c == mid) & crossing
            first = live & ~sep & (c <= mid)
            second = live & (c > mid)
            key[second] += 1
            key[sep] += 2
            for lo, hi, sel in ((x0, x1, along_x), (y0, y1, ~along_x)):
                hi[first & sel] = mid[first & sel]
                lo[second & sel] = mid[second & sel] + 1
            live &= ~sep
    order = np.lexsort((key, nowhere))
    return order.astype(np.intp)


# --------------------------------------------------------------------------- solver


@dataclass(frozen=True, slots=True, eq=False)
class DcSolution:
    """Operating point of one circuit.

    Attributes
    ----------
    node_names:
        Lower-case node names (index 0 is ground, ``"0"``).
    v_node_V:
        Voltage of every node, same order, V.
    source_A:
        ngspice-signed branch current of every voltage source by lower-case name, A.
    iterations:
        Newton (or chord) iterations.
    factorizations:
        LU factorisations made for this solve.
    error_estimate_V:
        A-posteriori bound on the remaining error of the node voltages, V (module docstring).
    elapsed_s:
        Wall-clock time of the solve (without characterisation), s.
    at_s:
        Instant at which the sources were evaluated, s.
    """

    node_names: list[str]
    v_node_V: FloatArray
    source_A: dict[str, float]
    iterations: int
    factorizations: int
    error_estimate_V: float
    elapsed_s: float
    at_s: float
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def node_V(self) -> dict[str, float]:
        """Voltage of every node by name (ground excluded), V."""
        return {n: float(v) for n, v in zip(self.node_names[1:], self.v_node_V[1:], strict=True)}

    def vectors(self, names: Sequence[str] = ()) -> dict[str, float]:
        """ngspice vector names → values: ``v(node)`` and ``i(source)``; only ``names``
        if given (unknown names are left out)."""
        if not names:
            out = {f"v({k})": v for k, v in self.node_V.items()}
            out.update({f"i({k})": v for k, v in self.source_A.items()})
            return out
        res: dict[str, float] = {}
        for name in names:
            key = name.lower()
            inner = (
                key[2:-1]
                if len(key) > _EMPTY_VECTOR_NAME_LEN and key[1] == "(" and key[-1] == ")"
                else ""
            )
            if key.startswith("i(") and inner in self.source_A:
                res[name] = self.source_A[inner]
            elif key.startswith("v(") and inner in self._index and inner != GROUND:
                res[name] = float(self.v_node_V[self._index[inner]])
        return res


TableProvider = Callable[[DeviceKey], MosfetTable]


class CircuitSolver:
    """Flattened network of one circuit structure, solved for any source values.

    Parameters
    ----------
    circuit:
        The circuit (its sources give the default values).
    tables:
        Returns the table of a MOSFET kind (e.g. ``lambda key: load_or_characterise(key,
        engine)``).
    tol_V:
        Error bound at which Newton stops, V.
    max_iter:
        Iteration limit.
    """

    def __init__(
        self,
        circuit: Circuit,
        tables: TableProvider,
        *,
        tol_V: float = 1e-10,
        max_iter: int = 60,
    ) -> None:
        if not 0 < tol_V <= MAX_TOL_V:
            raise ParameterError(f"tol_V must be in (0, 1e-3] V, got {tol_V}")
        t0 = time.perf_counter()
        self.circuit = circuit
        self.tol_V = tol_V
        self.max_iter = max_iter
        net = _Netlist(circuit)
        self.net = net
        libs: tuple[LibraryRef, ...] = circuit.libraries
        self._mos = []
        for (model, element, w, ln), d, g, s, b in net.mos_arrays():
            key = DeviceKey(
                libraries=libs,
                model=model,
                element="X" if element == "X" else "M",
                w_m=w,
                l_m=ln,
                temperature_C=circuit.temperature_C,
            )
            self._mos.append((tables(key), d, g, s, b))
        self._structure()
        self._x: FloatArray | None = None
        self._lu: SuperLU | None = None
        self.setup_s = time.perf_counter() - t0

    # ------------------------------------------------------------------ structure
    def _structure(self) -> None:
        net = self.net
        n = net.n
        # 1. sources: union-find with offsets (v[node] = v[parent] + off[node])
        parent = np.arange(n)

        def find(k: int) -> int:
            path = []
            while parent[k] != k:
                path.append(k)
                k = int(parent[k])
            parent[path] = k
            return k

        self._src_links: list[tuple[int, int, int]] = []  # (source index, n+, n-)
        for si, (name, p, m, _w) in enumerate(net.sources):
            self._src_links.append((si, p, m))
            rp = find(p)
            rm = find(m)
            if rp == rm:
                raise SimulationError(
                    f"voltage source {name} closes a loop of voltage sources",
                    hint="the fast engine needs the sources to form a forest",
                )
            # only the topology here; the offsets are set per solve (:meth:`_offsets`)
            if rp == 0:
                parent[rm] = rp
            else:
                parent[rp] = rm
        roots = np.arange(n)
        touched = np.unique(np.array([(p, m) for _s, p, m in self._src_links], np.intp).ravel())
        roots[touched] = [find(int(k)) for k in touched]
        self._roots = roots
        # per solve, offsets along the source forest are propagated (see _offsets)
        known = roots == 0
        uniq = np.unique(roots[~known])
        unk = np.full(n, -1, np.intp)
        pos = np.searchsorted(uniq, roots[~known])
        unk[~known] = pos
        n_u = uniq.size
        # 2. active / passive split of the unknowns
        active = np.zeros(n_u, bool)
        for _t, d, _g, s, b in self._mos:
            for arr in (d, s, b):
                u = unk[arr]
                active[u[u >= 0]] = True
        ua, ub = unk[net.res_a], unk[net.res_b]
        both = (ua >= 0) & (ub >= 0) & (ua != ub)
        adj = sp.coo_matrix((np.ones(both.sum()), (ua[both], ub[both])), shape=(n_u, n_u))
        n_comp, comp = connected_components(adj, directed=False)
        comp_active = np.zeros(n_comp, bool)
        np.logical_or.at(comp_active, comp, active)
        is_active = comp_active[comp] if n_u else np.zeros(0, bool)
        a_idx = np.full(n_u, -1, np.intp)
        p_idx = np.full(n_u, -1, np.intp)
        a_idx[is_active] = np.arange(int(is_active.sum()))
        p_idx[~is_active] = np.arange(int((~is_active).sum()))
        self._unk, self._a_of_u, self._p_of_u = unk, a_idx, p_idx
        self.n_active = int(is_active.sum())
        self.n_passive = n_u - self.n_active
        # node → active index (−1 if known after the passive solve)
        self._node_a = np.where(unk >= 0, a_idx[np.maximum(unk, 0)], -1)
        self._node_a[unk < 0] = -1
        self._node_p = np.where(unk >= 0, p_idx[np.maximum(unk, 0)], -1)
        self._node_p[unk < 0] = -1
        # ordering of the active unknowns from the sites of a representative node each
        rep = np.full(self.n_active, -1, np.intp)
        act_nodes = np.flatnonzero(self._node_a >= 0)
        rep[self._node_a[act_nodes]] = act_nodes
        xyw = net.site_xyw[rep] if rep.size else np.zeros((0, 3))
        with_site = xyw[:, 2] != _NOWHERE
        if rep.size and with_site.mean() >= _DISSECTION_MIN_SITE_FRACTION:
            perm = _dissection_order(xyw[:, 0], xyw[:, 1], xyw[:, 2])
            self._permc = "NATURAL"
        else:
            perm = np.arange(self.n_active, dtype=np.intp)
            self._permc = "COLAMD"
        self._pos = np.empty_like(perm)
        self._pos[perm] = np.arange(perm.size)
        # sparsity pattern of J (permuted numbering)
        na = self.n_active
        ra = self._pos_of_node(net.res_a)
        rb = self._pos_of_node(net.res_b)
        g = net.res_g
        rows = [ra, rb, ra, rb]
        cols = [ra, rb, rb, ra]
        self._g_vals = np.concatenate([g, g, -g, -g])
        mos_rows, mos_cols = [], []
        for _t, d, gg, s, b in self._mos:
            pd, pg, ps, pb = (self._pos_of_node(x) for x in (d, gg, s, b))
            for r in (pd, pb, ps):
                for c in (pg, pd, ps, pb):
                    mos_rows.append(r)
                    mos_cols.append(c)
        rows_all = np.concatenate(rows + mos_rows) if na else np.zeros(0, np.intp)
        cols_all = np.concatenate(cols + mos_cols) if na else np.zeros(0, np.intp)
        valid = (rows_all >= 0) & (cols_all >= 0)
        lin = cols_all[valid].astype(np.int64) * max(na, 1) + rows_all[valid]
        uniq_lin, inv = np.unique(lin, return_inverse=True)
        self._valid, self._inv, self._nnz = valid, inv.ravel(), uniq_lin.size
        self._indices = (uniq_lin % max(na, 1)).astype(np.int32)
        colv = uniq_lin // max(na, 1)
        self._indptr = np.concatenate([[0], np.cumsum(np.bincount(colv, minlength=na))]).astype(
            np.int32
        )
        # passive system (resistors among passive nodes)
        pa, pb_ = self._node_p[net.res_a], self._node_p[net.res_b]
        npv = self.n_passive
        if npv:
            rr = np.concatenate([pa, pb_, pa, pb_])
            cc = np.concatenate([pa, pb_, pb_, pa])
            vv = np.concatenate([g, g, -g, -g])
            ok = (rr >= 0) & (cc >= 0)
            gp = sp.csc_matrix((vv[ok], (rr[ok], cc[ok])), shape=(npv, npv))
            try:
                self._lu_p: SuperLU | None = splu(gp, permc_spec="COLAMD")
            except RuntimeError:
                raise SimulationError(
                    "the gate/control lines have a floating node (no DC path to a source)"
                ) from None
        else:
            self._lu_p = None

    def _pos_of_node(self, nodes: IntArray) -> IntArray:
        a = self._node_a[nodes]
        if self._pos.size == 0:
            return np.full(a.shape, -1, np.intp)
        out = np.where(a >= 0, self._pos[np.maximum(a, 0)], -1)
        return out.astype(np.intp)

    # ------------------------------------------------------------------ per-solve values
    def _offsets(self, values: FloatArray) -> FloatArray:
        """Voltage of each node relative to its root (known nodes: absolute), V."""
        n = self.net.n
        # propagate along the source forest from the roots
        off = np.full(n, np.nan)
        roots = self._roots
        off[roots == np.arange(n)] = 0.0
        pending = list(self._src_links)
        guard = 0
        while pending and guard < len(values) + 2:
            guard += 1
            rest = []
            for si, p, m in pending:
                if not np.isnan(off[m]) and np.isnan(off[p]):
                    off[p] = off[m] + values[si]
                elif not np.isnan(off[p]) and np.isnan(off[m]):
                    off[m] = off[p] - values[si]
                elif np.isnan(off[p]) and np.isnan(off[m]):
                    rest.append((si, p, m))
            if len(rest) == len(pending):
                break
            pending = rest
        if np.any(np.isnan(off)):  # pragma: no cover - forest guaranteed by _structure
            raise SimulationError("could not resolve the voltage-source network")
        return off

    def _known_voltages(self, off: FloatArray) -> FloatArray:
        """Node voltages with every active unknown at 0 (passive nodes solved), V."""
        net = self.net
        v = off.copy()
        if self._lu_p is not None:
            # passive nodes: G_pp·y = −G_pk·v_k (their own offsets folded in)
            pa, pb = self._node_p[net.res_a], self._node_p[net.res_b]
            g = net.res_g
            rhs = np.zeros(self.n_passive)
            # current leaving a through the resistor with the passive unknowns at 0
            va = np.where(pa >= 0, off[net.res_a], v[net.res_a])
            vb = np.where(pb >= 0, off[net.res_b], v[net.res_b])
            i_ab = g * (va - vb)
            np.add.at(rhs, pa[pa >= 0], -i_ab[pa >= 0])
            np.add.at(rhs, pb[pb >= 0], i_ab[pb >= 0])
            y = self._lu_p.solve(rhs)
            pn = self._node_p >= 0
            v[pn] += y[self._node_p[pn]]
        return v

    def _voltages(self, base: FloatArray, x: FloatArray) -> FloatArray:
        v = base.copy()
        act = self._node_a >= 0
        v[act] += x[self._pos[self._node_a[act]]]
        return v

    def _evaluate(
        self, v: FloatArray, want_jacobian: bool
    ) -> tuple[FloatArray, FloatArray | None, FloatArray]:
        """KCL currents leaving every node (n,), J values (nnz,), and the same per node."""
        net = self.net
        n = net.n
        i_r = net.res_g * (v[net.res_a] - v[net.res_b])
        leave = np.bincount(net.res_a, i_r, n) - np.bincount(net.res_b, i_r, n)
        mos_vals = []
        for table, d, g, s, b in self._mos:
            vgs, vds, vbs = v[g] - v[s], v[d] - v[s], v[b] - v[s]
            # body tied to the source (every builder here): the bulk current returns to
            # the node it left and g_mb multiplies V_BS ≡ 0, so neither is evaluated
            tied = bool(np.all(b == s))
            i_d, dg, dd, db = table.evaluate(vgs, vds, vbs, "i_d_A", d_vbs=not tied)
            if tied:
                i_b = bg = bd = bb = np.zeros_like(i_d)
            else:
                i_b, bg, bd, bb = table.evaluate(vgs, vds, vbs, "i_b_A")
            leave += np.bincount(d, i_d, n) + np.bincount(b, i_b, n)
            leave -= np.bincount(s, i_d + i_b, n)
            if want_jacobian:
                # rows drain, bulk, source (−(I_d + I_b)); columns gate, drain, source, bulk
                rows_g = ((dg, dd, db), (bg, bd, bb), (-(dg + bg), -(dd + bd), -(db + bb)))
                for r_g, r_d, r_b in rows_g:
                    mos_vals += [r_g, r_d, -(r_g + r_d + r_b), r_b]
        jac: FloatArray | None = None
        if want_jacobian:
            vals = np.concatenate([self._g_vals, *mos_vals]) if mos_vals else self._g_vals
            jac = np.bincount(self._inv, weights=vals[self._valid], minlength=self._nnz).astype(
                float
            )
        return leave.astype(float), jac, i_r

    def _residual(self, leave: FloatArray) -> FloatArray:
        act = self._node_a >= 0
        f: FloatArray = np.bincount(self._pos[self._node_a[act]], leave[act], self.n_active).astype(
            float
        )
        return f

    def _factor(self, jac_vals: FloatArray) -> SuperLU:
        na = self.n_active
        mat = sp.csc_matrix((jac_vals, self._indices, self._indptr), shape=(na, na))
        try:
            return splu(
                mat,
                permc_spec=self._permc,
                diag_pivot_thresh=0.01,
                options={"SymmetricMode": self._permc == "NATURAL"},
            )
        except RuntimeError as exc:
            raise SimulationError(
                f"fast engine: singular Jacobian ({exc}); a node may be floating",
                hint="check the circuit, or run it with the ngspice engine",
            ) from None

    # ------------------------------------------------------------------ public
    def solve(self, at_s: float | None = None, *, reuse: bool = True) -> DcSolution:
        """Operating point with the sources at time ``at_s`` (default
        :func:`settle_time_s`). ``reuse``: start from the last solution and its LU."""
        t0 = time.perf_counter()
        t = settle_time_s(self.circuit) if at_s is None else float(at_s)
        values = np.array([waveform_value(w, t) for (_n, _p, _m, w) in self.net.sources])
        off = self._offsets(values)
        base = self._known_voltages(off)
        na = self.n_active
        x = self._x.copy() if (reuse and self._x is not None) else np.zeros(na)
        lu = self._lu if reuse else None
        n_fact = 0
        prev = np.inf
        err = np.inf
        it = 0
        jac_age = 0
        while it < self.max_iter and na:
            it += 1
            v = self._voltages(base, x)
            leave, jac, _ = self._evaluate(v, want_jacobian=lu is None)
            f = self._residual(leave)
            if lu is None:
                assert jac is not None
                lu = self._factor(jac)
                n_fact += 1
                jac_age = 0
            dx = -lu.solve(f)
            # step control: stay inside the table and limit large first steps
            step = float(np.max(np.abs(dx))) if dx.size else 0.0
            scale = min(1.0, 0.3 / step) if step > 0 else 1.0
            x_new = x + scale * dx
            tries = 0
            while not self._in_range(self._voltages(base, x_new)) and tries < _MAX_STEP_HALVINGS:
                scale *= 0.5
                x_new = x + scale * dx
                tries += 1
            x = x_new
            step *= scale
            rho = step / prev if np.isfinite(prev) and prev > 0 else np.inf
            prev = step
            jac_age += 1
            if rho < 1.0:
                err = step * rho / (1.0 - rho)
            elif step == 0.0:
                err = 0.0
            else:
                err = np.inf
            if err < self.tol_V and step < 1e3 * self.tol_V:
                break
            if step <= 1e-15 * max(1.0, float(np.max(np.abs(x)))):
                err = step
                break
            # chord steps (old LU) while they contract fast enough, else refactorise
            if (it > 1 and rho >= _CHORD_MAX_RHO) or jac_age >= _CHORD_MAX_AGE or scale < 1.0:
                lu = None
        else:
            if na:
                raise SimulationError(
                    f"fast engine: Newton did not converge in {self.max_iter} iterations "
                    f"(last step {prev:.3g} V)",
                    hint="run this job with the ngspice engine",
                )
        v = self._voltages(base, x) if na else base
        if not self._in_range(v):
            raise SimulationError(
                "fast engine: the operating point lies outside the characterised MOSFET grid",
                hint="widen the grid (MosfetGrid) or run this job with the ngspice engine",
            )
        self._x, self._lu = x, lu
        leave, _, _ = self._evaluate(v, want_jacobian=False)
        src = self._source_currents(leave)
        return DcSolution(
            node_names=self.net.names,
            v_node_V=v,
            _index=self.net.index,
            source_A=src,
            iterations=it,
            factorizations=n_fact,
            error_estimate_V=float(err) if na else 0.0,
            elapsed_s=time.perf_counter() - t0,
            at_s=t,
        )

    def _in_range(self, v: FloatArray) -> bool:
        for table, d, g, s, b in self._mos:
            if not np.all(table.in_range(v[g] - v[s], v[d] - v[s], v[b] - v[s])):
                return False
        return True

    def _source_currents(self, leave: FloatArray) -> dict[str, float]:
        """Branch currents of the sources from KCL, peeling the source forest at its leaves."""
        net = self.net
        links = self._src_links
        deg = np.zeros(net.n, np.intp)
        at: dict[int, list[int]] = {}
        for si, p, m in links:
            for k in (p, m):
                deg[k] += 1
                at.setdefault(k, []).append(si)
        rem = leave.copy()
        done = np.zeros(len(links), bool)
        cur = np.zeros(len(links))
        queue = [k for k in at if deg[k] == 1 and k != 0]
        while queue:
            k = queue.pop()
            if deg[k] != 1 or k == 0:
                continue
            si = next(int(s) for s in at[k] if not done[s])
            _, p, m = links[si]
            # KCL at k: rem[k] + J (if k = n+) − J (if k = n−) = 0
            j = -rem[k] if k == p else rem[k]
            cur[si] = j
            done[si] = True
            other = m if k == p else p
            rem[other] += j if other == p else -j
            deg[k] -= 1
            deg[other] -= 1
            if deg[other] == 1 and other != 0:
                queue.append(other)
        if not done.all():
            # a component without ground: its root has no KCL of its own (floating group)
            cur[~done] = np.nan
        return {net.sources[si][0]: float(cur[si]) for si in range(len(links))}


# --------------------------------------------------------------------------- engine


def _op_plot(title: str, vectors: Mapping[str, float]) -> RawPlot:
    variables = tuple(
        RawVariable(i, name, "current" if name.startswith("i(") else "voltage")
        for i, name in enumerate(vectors)
    )
    data = {name: np.array([value]) for name, value in vectors.items()}
    return RawPlot(
        title=title,
        date="",
        command=None,
        plotname="Operating Point",
        flags=frozenset({"real"}),
        variables=variables,
        data=data,
    )


def settled_values(sim: SimResult, vectors: Sequence[str]) -> FloatArray:
    """Settled values of ``vectors`` from any engine's result: the ``"op"`` plot if the
    result has one (the fast engine, an ngspice ``.op``), else the last point of the
    transient (an ngspice read deck)."""
    kinds = {p.plotname.strip().lower() for p in sim.plots}
    if any(k.startswith("operating point") for k in kinds):
        op = sim.plot("op")
        return np.array([float(op[v][0]) for v in vectors])
    tran = sim.plot("tran")
    return np.array([float(tran[v][-1]) for v in vectors])


def _structure_hash(circuit: Circuit) -> str:
    """Hash of a circuit with its source waveforms blanked: jobs with equal hashes share
    one flattened network (a batch)."""
    elements = tuple(
        replace(e, waveform=Dc(0.0)) if isinstance(e, VoltageSource) else e
        for e in circuit.elements
    )
    return hashlib.sha256(repr(replace(circuit, elements=elements)).encode()).hexdigest()


@dataclass(slots=True)
class FastEngine:
    """The ``fast`` engine: quasi-static operating point of each job's circuit.

    ``run(jobs)`` returns, per job, a :class:`~spinspice.analysis.runner.SimResult` with one
    ``"op"`` plot holding ngspice's vector names (``v(node)`` for every node, ``i(vname)``
    for every voltage source, ngspice's sign), or only the job's saved vectors if it
    saves some. A job whose circuit is a transient is solved at the transient's stop time
    (sources at their final values): the settled read, not a waveform — there is no
    ``"tran"`` plot, and latency and dynamic energy still need ngspice.

    Parameters
    ----------
    characteriser:
        Engine that characterises MOSFETs on a cache miss (an ngspice engine; built by the
        caller like every engine).
    grid:
        Characterisation grid (default: :class:`MosfetGrid`, ±1.5 V in 12.5 mV steps, widened
        to ±1.5·max|V_source| for circuits with sources above 1 V).
    use_cache:
        Read and write the per-user table cache.
    tol_V:
        Newton error bound, V.
    at_s:
        Instant to solve at (default: each circuit's transient stop, or 0).
    """

    characteriser: Engine
    grid: MosfetGrid | None = None
    use_cache: bool = True
    tol_V: float = 1e-10
    at_s: float | None = None
    name: str = "fast"
    _tables: dict[str, MosfetTable] = field(default_factory=dict)
    _solvers: dict[str, CircuitSolver] = field(default_factory=dict)
    #: Timing of the last run: characterisation (cache reads included) and solves, s.
    last_timing: dict[str, float] = field(default_factory=dict)

    def available(self) -> bool:
        """True if the characterising engine can run (tables may all be cached, but a cold
        cache needs it)."""
        return bool(self.characteriser.available())

    def table(self, key: DeviceKey, grid: MosfetGrid | None = None) -> MosfetTable:
        """The table of one MOSFET kind (memory, then disk cache, then ngspice)."""
        grid = grid or self.grid or MosfetGrid()
        digest = key.digest(grid)
        if digest not in self._tables:
            self._tables[digest] = load_or_characterise(
                key, self.characteriser, grid, use_cache=self.use_cache
            )
        return self._tables[digest]

    def solver(self, circuit: Circuit) -> CircuitSolver:
        """The (cached) solver of ``circuit``'s structure."""
        h = _structure_hash(circuit)
        sol = self._solvers.get(h)
        if sol is None:
            if len(self._solvers) >= _SOLVER_CACHE_SIZE:
                self._solvers.pop(next(iter(self._solvers)))
            grid = self.grid
            if grid is None:
                # ±1.5 V (the default grid) covers supplies up to 1 V; beyond, ±1.5·max|V|
                t = settle_time_s(circuit) if self.at_s is None else self.at_s
                v_max = max(
                    (
                        abs(waveform_value(e.waveform, t))
                        for e in circuit.elements
                        if isinstance(e, VoltageSource)
                    ),
                    default=0.0,
                )
                grid = MosfetGrid.for_vdd(max(1.0, v_max))
            sol = CircuitSolver(circuit, lambda k: self.table(k, grid), tol_V=self.tol_V)
            self._solvers[h] = sol
        else:
            sol.circuit = circuit
            sol.net.sources = [
                (e.name.lower(), p, m, e.waveform)
                for e, (_n, p, m, _w) in zip(
                    (e for e in circuit.elements if isinstance(e, VoltageSource)),
                    sol.net.sources,
                    strict=True,
                )
            ]
        return sol

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Solve every job (see the class docstring); raise on the first failure."""
        out = []
        t_setup = t_solve = 0.0
        for job in jobs:
            if job.circuit is None:
                raise SimulationError(
                    f"job {job.key} carries no typed circuit; the fast engine needs job.circuit"
                )
            t0 = time.perf_counter()
            solver = self.solver(job.circuit)
            t1 = time.perf_counter()
            sol = solver.solve(self.at_s)
            t2 = time.perf_counter()
            t_setup += t1 - t0
            t_solve += t2 - t1
            vectors = sol.vectors(job.saves)
            if job.saves:
                missing = [s for s in job.saves if s not in vectors]
                if missing:
                    raise SimulationError(
                        f"job {job.key}: the fast engine cannot provide {missing[:5]}",
                        hint="save top-level node voltages and source currents only",
                    )
                vectors = {s: vectors[s] for s in job.saves}
            log = (
                f"spinspice fast engine: {job.key}: operating point at t = {sol.at_s:.6g} s, "
                f"{solver.n_active} Newton unknowns + {solver.n_passive} linear, "
                f"{sol.iterations} iterations, {sol.factorizations} factorisations, "
                f"error bound {sol.error_estimate_V:.3g} V, setup {t1 - t0:.3f} s, "
                f"solve {sol.elapsed_s:.3f} s\n"
            )
            out.append(
                SimResult((_op_plot(job.circuit.title, vectors),), log, None, t2 - t0, self.name)
            )
        self.last_timing = {"setup_s": t_setup, "solve_s": t_solve}
        return out


__all__ = [
    "CircuitSolver",
    "DcSolution",
    "FastEngine",
    "quasi_static_circuit",
    "settle_time_s",
    "settled_values",
    "waveform_value",
]


#: Element kinds the fast engine models (resistors, capacitors, voltage sources, MOSFETs,
#: subcircuit instances of plain subcircuits, cell arrays).
_FAST_KINDS = frozenset({"R", "C", "V", "M", "X", "A"})


def fast_can_solve(circuit: Circuit) -> bool:
    """True if :class:`FastEngine` models every element of ``circuit`` (no behavioural
    templates, no OSDI instances, no other element kinds)."""
    if circuit.template_subcircuits:
        return False
    elements = [*circuit.elements, *(e for s in circuit.subcircuits for e in s.elements)]
    return all(getattr(e, "kind", "") in _FAST_KINDS for e in elements)


@dataclass(slots=True)
class QuasiStaticFirst:
    """An engine that solves every job the fast engine models with it (quasi-static: reads
    give their settled values), and runs the rest (updates with the stochastic MTJ,
    behavioural devices) on ``transient``, the ground truth for waveforms, latency and
    dynamic energy. Each result's ``backend`` names the engine that produced it."""

    fast: FastEngine
    transient: Engine
    name: str = "fast+ngspice"

    def available(self) -> bool:
        """True if both engines can run."""
        return self.fast.available() and self.transient.available()

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Results of ``jobs``, in order, each from the engine that can solve it."""
        quick = [j.circuit is not None and fast_can_solve(j.circuit) for j in jobs]
        fast_res = iter(self.fast.run([j for j, q in zip(jobs, quick, strict=True) if q]))
        slow_res = iter(self.transient.run([j for j, q in zip(jobs, quick, strict=True) if not q]))
        return [next(fast_res) if q else next(slow_res) for q in quick]
