"""Fast nodal solver versus ngspice (KLU) on seed 002 crossbars, measured in one run.

For each size: one random crossbar (1R by default), its read phase, then

* the solver (``--method auto``: PCG for one vector on a large array, one sparse LU for a
  batch): build the description, solve one input vector; then, with a fresh solver, a
  batch of ``--batch`` input vectors (vector 0 is the single one);
* ngspice (``.options klu``, ``.op``): render the same description and run it once; the
  batch as ``--batch`` separate runs, estimated as that many times the measured single run,
  and optionally (``--pwl``) as one transient whose row sources are PWL staircases holding
  input vector k at t = k·1 ns (every time point of a resistive circuit is a DC solve; it
  turned out slower than separate runs: 24 s for 20 vectors at 64×64);
* agreement: max |Δv_cell| / max |v_cell| between ngspice and the solver's single solve
  and vector 0 of its batch.

Times are wall clock; "render" (building the ngspice Circuit and deck text in Python) is
reported apart from the ngspice run itself, and the ratios use the ngspice run only.
Usage::

    .venv/bin/python benchmarks/bench_crossbar_solver.py --sizes 64 128 256 --batch 100
    .venv/bin/python benchmarks/bench_crossbar_solver.py --sizes 1024 --no-spice   # 1024² read
    .venv/bin/python benchmarks/bench_crossbar_solver.py --sneak --sneak-baseline --sizes 64 128 256
    .venv/bin/python benchmarks/bench_crossbar_solver.py --sneak --sizes 1024   # interval solver only
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from spinspice.analysis.nodal import LinearSolver, cell_voltages_from
from spinspice.analysis.runner import NgspiceOptions, NgspiceSubprocess
from spinspice.array_builder.crossbar import (
    CrossbarDesign,
    build_network,
    random_inputs,
    read_phase,
)
from spinspice.array_builder.crossbar_spice import network_circuit
from spinspice.netlists.circuit import Circuit, Element, Pwl, Save, Transient, VoltageSource
from spinspice.netlists.job import make_job


def _batch_circuit(base: Circuit, names: list[str], batch: np.ndarray, step_s: float) -> Circuit:
    """The read deck with PWL row sources stepping through the batch (held 0.5 step each)."""
    elements: list[Element] = []
    k = batch.shape[1]
    for e in base.elements:
        if isinstance(e, VoltageSource) and e.name.startswith("Vd"):
            i = int(e.name[2:]) - 1
            pts: list[tuple[float, float]] = []
            for q in range(k):
                pts.append((q * step_s, float(batch[i, q])))
                pts.append((q * step_s + 0.5 * step_s, float(batch[i, q])))
            elements.append(VoltageSource(e.name, e.n_plus, e.n_minus, Pwl(tuple(pts))))
        else:
            elements.append(e)
    saves = tuple(Save("v", (n,)) for n in names)
    return Circuit(
        title=base.title + " batch",
        elements=tuple(elements),
        analyses=(Transient(step_s, (k - 1) * step_s + 0.5 * step_s, max_step_s=0.5 * step_s),),
        saves=saves,
        options=base.options,
    )


def bench(size: int, arch: str, batch: int, spice: bool, method: str, pwl: bool) -> None:
    design = CrossbarDesign(architecture=arch, rows=size, cols=size)  # type: ignore[arg-type]
    x, _, states = random_inputs(size, size, 1)
    rng = np.random.default_rng(2)
    xs = rng.uniform(-1, 1, (size, batch))
    # ---- solver, single
    t0 = time.perf_counter()
    net = build_network(design, read_phase(design, x), states)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    solver = LinearSolver(net, method)  # type: ignore[arg-type]
    sol = solver.solve()
    t_single = time.perf_counter() - t0
    its = solver.iterations
    # ---- solver, batch
    src = np.zeros((net.src_node.size, batch))
    src[:size] = design.v_read_V * xs
    src[:, 0] = net.src_V  # vector 0 of the batch is the single vector, checked vs ngspice
    t0 = time.perf_counter()
    solver_b = LinearSolver(net, method)  # type: ignore[arg-type]
    sol_b = solver_b.solve(src)
    t_batch = time.perf_counter() - t0
    line = (
        f"{arch} {size}x{size}: build {t_build:.3f} s | solver[{sol.method}] single "
        f"{t_single:.3f} s ({its} it), batch{batch}[{sol_b.method}] {t_batch:.3f} s"
    )
    if not spice:
        print(line, flush=True)
        return
    backend = NgspiceSubprocess(NgspiceOptions(timeout_s=3600, num_threads=1))
    t0 = time.perf_counter()
    circuit = network_circuit(net, tight=False)
    deck = make_job(circuit, key="bench")
    t_render = time.perf_counter() - t0
    res = backend.run_job(deck)
    t_spice = res.elapsed_s
    op = res.plot("op")
    vm = {n[2:-1]: float(op[n][0]) for n in op.names() if n.startswith("v(")}
    vs = cell_voltages_from(net, vm)
    scale = float(np.abs(sol.v_cell_V[:, :, 0]).max())
    err = float(np.abs(vs - sol.v_cell_V[:, :, 0]).max()) / scale
    err_b = float(np.abs(vs - sol_b.v_cell_V[:, :, 0]).max()) / scale
    if not pwl:
        print(
            line + f" | ngspice single {t_spice:.3f} s (render {t_render:.2f} s), {batch}x single "
            f"{batch * t_spice:.1f} s | speed-up single {t_spice / t_single:.1f}x, batch vs {batch} "
            f"runs {batch * t_spice / t_batch:.1f}x | max rel dv single {err:.2e}, batch[0] "
            f"{err_b:.2e}",
            flush=True,
        )
        return
    # ---- ngspice batch as a PWL transient
    names = sorted(
        {net.node_name(int(k)) for k in np.concatenate([net.cell_a.ravel(), net.cell_b.ravel()])}
    )
    step = 1e-9
    bc = _batch_circuit(circuit, names, src[:size], step)
    t0 = time.perf_counter()
    bdeck = make_job(bc, key="bench-batch")
    t_brender = time.perf_counter() - t0
    bres = backend.run_job(bdeck)
    tran = bres.plot("tran")
    t_axis = tran.scale
    worst = 0.0
    for q in (0, batch // 2, batch - 1):
        idx = int(np.argmin(np.abs(t_axis - (q * step + 0.25 * step))))
        vmq = {n[2:-1]: float(tran[n][idx]) for n in tran.names() if n.startswith("v(")}
        vq = cell_voltages_from(net, vmq)
        ref = sol_b.v_cell_V[:, :, q]
        worst = max(worst, float(np.abs(vq - ref).max()) / float(np.abs(ref).max()))
    print(
        line + f" | ngspice single {t_spice:.3f} s (render {t_render:.2f} s), batch-PWL "
        f"{bres.elapsed_s:.3f} s (render {t_brender:.2f} s), {batch}x single {batch * t_spice:.1f} s"
        + f" | speed-up single {t_spice / t_single:.1f}x, batch vs PWL "
        f"{bres.elapsed_s / t_batch:.1f}x, batch vs {batch} runs {batch * t_spice / t_batch:.1f}x"
        + f" | max rel dv single {err:.2e}, batch {worst:.2e}",
        flush=True,
    )


def bench_sneak(size: int, arch: str, baseline: bool) -> None:
    """``sneak`` 2-phase on a random crossbar: the interval solver (today's path,
    ``method="intervals"``) and, with ``baseline``, the sparse-LU Newton path it replaced
    (``method="lu"``, factorisations shared across a phase) on the same inputs, with the
    largest difference of the interval voltages and of the CSV columns between the two."""
    from spinspice.analysis.sneak import analyse

    design = CrossbarDesign(architecture=arch, rows=size, cols=size)  # type: ignore[arg-type]
    x, delta, states = random_inputs(size, size, 7)
    t0 = time.perf_counter()
    res = analyse(design, x, delta, states, "2phase", keep_intervals=baseline)
    t_new = time.perf_counter() - t0
    n_int = sum(len(p.intervals) for p in res.phases)
    line = f"sneak {arch} 2phase {size}x{size}: {n_int} intervals, interval solver {t_new:.2f} s"
    if baseline:
        t0 = time.perf_counter()
        ref = analyse(design, x, delta, states, "2phase", keep_intervals=True, method="lu")
        t_old = time.perf_counter() - t0
        dv = max(
            float(np.max(np.abs(a.v_intervals_V - b.v_intervals_V)))
            for a, b in zip(res.phases, ref.phases, strict=True)
        )
        d_csv = float(np.max(np.abs(res.table["v_cell_V"] - ref.table["v_cell_V"])))
        d_p = float(np.max(np.abs(res.table["p_switch"] - ref.table["p_switch"])))
        line += (
            f" | sparse-LU Newton {t_old:.2f} s | speed-up {t_old / t_new:.1f}x"
            f" | max dv (all intervals) {dv:.1e} V, CSV v_cell_V {d_csv:.1e} V,"
            f" p_switch {d_p:.1e}"
        )
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--arch", choices=["1r", "1t1r"], default="1r")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--method", choices=["auto", "direct", "pcg"], default="auto")
    ap.add_argument("--no-spice", action="store_true", help="solver only (e.g. 1024x1024)")
    ap.add_argument(
        "--pwl",
        action="store_true",
        help="also run the ngspice batch as one PWL transient (slow: minutes at 128x128)",
    )
    ap.add_argument(
        "--sneak",
        action="store_true",
        help="time `sneak` 2-phase (bias-dependent Newton per pulse interval) instead",
    )
    ap.add_argument(
        "--sneak-baseline",
        action="store_true",
        help="with --sneak: also the sparse-LU Newton path (method='lu', the path before the "
        "interval solver) on the same inputs, and compare",
    )
    a = ap.parse_args()
    for s in a.sizes:
        if a.sneak:
            bench_sneak(s, a.arch, a.sneak_baseline)
        else:
            bench(s, a.arch, a.batch, not a.no_spice, a.method, a.pwl)


if __name__ == "__main__":
    main()
