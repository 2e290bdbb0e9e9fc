"""Fast quasi-static engine versus ngspice (KLU) on 4T2R / 2T1R array reads, in one run.

For each size: seeded random weights and inputs, the feedforward (or backprop) read deck
of the array builder, then

* ``fast``: :class:`~spinspice.analysis.array_solver.FastEngine` on the job (end to end:
  building the Circuit, making the Job — rendering the deck, which the pipeline does
  anyway —, loading the MOSFET tables, flattening, Newton); with ``--batch K`` another
  K − 1 input vectors on the same weights (they reuse the network and the LU);
* ngspice ``.op`` of the same circuit with every source at its settled value
  (:func:`~spinspice.analysis.array_solver.quasi_static_circuit`), up to ``--op-max``;
* the ngspice transient of the original deck (settled value = last point), up to
  ``--tran-max``;
* agreement: max |Δ| over the output-line currents, in LSB (one synapse's ideal current
  (G_on − G_off)·V_rd for 4T2R, half of it for 2T1R) and relative (to max(|I|, 1 LSB)).

``--cold`` first times one 128×128 (or the largest size) run with an empty private
cache (characterisation included), then the table rows with a warm cache.

Usage::

    .venv/bin/python benchmarks/bench_array_solver.py --sizes 16 32 64 128 --fast-sizes 256 512
    .venv/bin/python benchmarks/bench_array_solver.py --family 2t1r --sizes 16 32 64 --tran-max 32
    .venv/bin/python benchmarks/bench_array_solver.py --sizes 128 --op-max 0 --tran-max 0 --cold
    .venv/bin/python benchmarks/bench_array_solver.py --check-tables --corner tt
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from typing import Any

import numpy as np

from spinspice.analysis.array_solver import FastEngine, quasi_static_circuit
from spinspice.analysis.runner import NgspiceSubprocess
from spinspice.netlists.circuit import Circuit
from spinspice.netlists.job import make_job
from spinspice.netlists.technology import MosfetTechnology


def build(family: str, n: int, corner: str, op: str, seed: int) -> tuple[Circuit, list[str], float]:
    """(circuit, output vectors, LSB in A)."""
    rng = np.random.default_rng(seed)
    tech = MosfetTechnology.default(corner)
    if family == "4t2r":
        from spinspice.array_builder import array_4t2r as a4
        from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign

        syn = Synapse4T2RDesign(technology=tech)
        d4 = a4.Array4T2RDesign(synapse=syn, rows=n, cols=n)
        c = a4.array_circuit(d4, a4.random_weights(n, n, seed), op, rng.integers(-1, 2, n))  # type: ignore[arg-type]
        outs = (
            [f"i(vout_{m})" for m in range(1, n + 1)]
            if op == "ff"
            else [f"i(vu1_{k})" for k in range(1, n + 1)]
        )
        return c, outs, (1 / syn.r_on_ohm - 1 / syn.r_off_ohm) * 0.1
    from spinspice.array_builder import array_2t1r as a2
    from spinspice.array_builder.synapse_2t1r import Synapse2T1RDesign

    syn2 = Synapse2T1RDesign(technology=tech)
    d2 = a2.Array2T1RDesign(synapse=syn2, rows=n, cols=n)
    w = a2.random_binary_weights(n, n, seed)
    c = a2.array_circuit(d2, w, op, rng.integers(-1, 2, n))  # type: ignore[arg-type]
    outs = (
        [f"i(vout_{m})" for m in range(1, d2.total_rows + 1)]
        if op == "ff"
        else [f"i(vu_{k})" for k in range(1, d2.total_cols + 1)]
    )
    return c, outs, syn2.ideal_unit_A(0.1)


def fast_run(
    fe: FastEngine, family: str, n: int, corner: str, op: str, seed: int, batch: int
) -> dict[str, Any]:
    t0 = time.perf_counter()
    c, outs, lsb = build(family, n, corner, op, seed)
    t1 = time.perf_counter()
    job = make_job(c, key="bench/fast")
    t2 = time.perf_counter()
    res = fe.run([job])[0]
    t3 = time.perf_counter()
    row: dict[str, Any] = {
        "build_s": t1 - t0,
        "job_s": t2 - t1,
        "fast_s": t3 - t2,
        "end_to_end_s": t3 - t0,
        "log": res.log.strip(),
        "i": np.array([res.plot("op")[k][0] for k in outs]),
        "circuit": c,
        "outs": outs,
        "lsb": lsb,
    }
    if batch > 1:
        jobs = [
            make_job(build(family, n, corner, op, seed)[0], key="bench/b0")
        ]  # same weights, same inputs as the single run, then new inputs
        for k in range(1, batch):
            cb = build_inputs(family, n, corner, op, seed, 1000 + k)
            jobs.append(make_job(cb, key=f"bench/b{k}"))
        t4 = time.perf_counter()
        fe.run(jobs)
        row["batch_s"] = time.perf_counter() - t4
    return row


def build_inputs(family: str, n: int, corner: str, op: str, seed: int, input_seed: int) -> Circuit:
    """Same weights as :func:`build` (``seed``), inputs from ``input_seed``."""
    tech = MosfetTechnology.default(corner)
    x = np.random.default_rng(input_seed).integers(-1, 2, n)
    if family == "4t2r":
        from spinspice.array_builder import array_4t2r as a4
        from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign

        d4 = a4.Array4T2RDesign(synapse=Synapse4T2RDesign(technology=tech), rows=n, cols=n)
        return a4.array_circuit(d4, a4.random_weights(n, n, seed), op, x)  # type: ignore[arg-type]
    from spinspice.array_builder import array_2t1r as a2
    from spinspice.array_builder.synapse_2t1r import Synapse2T1RDesign

    d2 = a2.Array2T1RDesign(synapse=Synapse2T1RDesign(technology=tech), rows=n, cols=n)
    return a2.array_circuit(d2, a2.random_binary_weights(n, n, seed), op, x)  # type: ignore[arg-type]


def compare(i_fast: np.ndarray, i_ref: np.ndarray, lsb: float) -> tuple[float, float]:
    err = np.abs(i_fast - i_ref)
    return float(err.max() / lsb), float(np.max(err / np.maximum(np.abs(i_ref), lsb)))


def check_tables(corner: str, points: int) -> None:
    """Off-grid error of the MOSFET tables against ngspice ``.op`` in three regions."""
    from spinspice.analysis.mosfet_table import DeviceKey, load_or_characterise, validate

    ng = NgspiceSubprocess()
    tech = MosfetTechnology.default(corner)
    for model, w, sign in ((tech.nmos_model, tech.wn_m, 1), (tech.pmos_model, tech.wp_m, -1)):
        key = DeviceKey(
            libraries=(tech.library_ref(),), model=model, element="M", w_m=w, l_m=tech.l_m
        )
        t0 = time.perf_counter()
        tab = load_or_characterise(key, ng)
        print(f"{model} {corner}: table from {tab.source} in {time.perf_counter() - t0:.2f} s")
        regions = {
            "on (|V_GS| 0.85-1.15, |V_DS| <= 0.05)": ((0.85, 1.15), (-0.05, 0.05)),
            "|V_GS| <= 1.2, |V_DS| <= 0.3": ((-1.2, 1.2), (-0.3, 0.3)),
            "off (V_GS -1.2..-0.8 NMOS, mirrored PMOS)": ((-1.2, -0.8), (-0.3, 0.3)),
        }
        for name, (g0, d) in regions.items():
            mirror = name.startswith(("on", "off"))
            g = tuple(sorted((sign * g0[0], sign * g0[1]))) if mirror else g0
            chk = validate(tab, ng, points=points, region=(g, d, (0.0, 0.0)))
            print(
                f"  {name}: max |dI| {chk.max_abs_err_A:.2e} A "
                f"(max |I| {float(abs(chk.i_spice_A).max()):.2e} A)"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--family", choices=("4t2r", "2t1r"), default="4t2r")
    ap.add_argument("--operation", choices=("ff", "bp"), default="ff")
    ap.add_argument("--corner", choices=("tt", "ff", "ss"), default="tt")
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128])
    ap.add_argument("--fast-sizes", type=int, nargs="*", default=[256, 512])
    ap.add_argument("--op-max", type=int, default=128, help="largest size for ngspice .op")
    ap.add_argument("--tran-max", type=int, default=32, help="largest size for the transient")
    ap.add_argument("--batch", type=int, default=1, help="input vectors per size (fast)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cold", action="store_true", help="also time a cold-cache run first")
    ap.add_argument(
        "--check-tables", action="store_true", help="only the MOSFET tables' off-grid error"
    )
    args = ap.parse_args()
    if args.check_tables:
        check_tables(args.corner, 400)
        return
    ng = NgspiceSubprocess()
    fam, op, corner = args.family, args.operation, args.corner
    if args.cold:
        n = max(args.sizes)
        tmp = tempfile.mkdtemp(prefix="spinspice-cold-")
        old = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = tmp
        try:
            row = fast_run(FastEngine(characteriser=ng), fam, n, corner, op, args.seed, 1)
            print(
                f"cold cache {fam} {n}x{n}: end to end {row['end_to_end_s']:.2f} s "
                f"(build {row['build_s']:.2f}, job {row['job_s']:.2f}, fast {row['fast_s']:.2f})"
            )
            print("  " + row["log"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            if old is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = old
    # warm the user cache (characterises once if it is cold)
    FastEngine(characteriser=ng).run([make_job(build(fam, 4, corner, op, 0)[0], key="bench/warm")])
    print(
        "| size | build s | job s | fast s | end to end s | batch s | ngspice .op s | "
        ".op Δ LSB | .op Δ rel | ngspice tran s | tran Δ LSB | tran Δ rel |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in [*args.sizes, *args.fast_sizes]:
        fe = FastEngine(characteriser=ng)  # fresh: no network reused across sizes
        row = fast_run(fe, fam, n, corner, op, args.seed, args.batch)
        cells = [
            f"{n}x{n}",
            f"{row['build_s']:.2f}",
            f"{row['job_s']:.2f}",
            f"{row['fast_s']:.2f}",
            f"{row['end_to_end_s']:.2f}",
            f"{row['batch_s']:.2f} ({args.batch})" if "batch_s" in row else "",
        ]
        spice = n in args.sizes
        if spice and n <= args.op_max:
            t0 = time.perf_counter()
            ref = ng.run([make_job(quasi_static_circuit(row["circuit"]), key="bench/op")])[0]
            t_op = time.perf_counter() - t0
            i_ref = np.array([ref.plot("op")[k][0] for k in row["outs"]])
            e_lsb, e_rel = compare(row["i"], i_ref, row["lsb"])
            cells += [f"{t_op:.2f}", f"{e_lsb:.1e}", f"{e_rel:.1e}"]
        else:
            cells += ["", "", ""]
        if spice and n <= args.tran_max:
            t0 = time.perf_counter()
            tr = ng.run([make_job(row["circuit"], key="bench/tran")])[0]
            t_tr = time.perf_counter() - t0
            i_tr = np.array([tr.plot("tran")[k][-1] for k in row["outs"]])
            e_lsb, e_rel = compare(row["i"], i_tr, row["lsb"])
            cells += [f"{t_tr:.2f}", f"{e_lsb:.1e}", f"{e_rel:.1e}"]
        else:
            cells += ["", "", ""]
        print("| " + " | ".join(cells) + " |", flush=True)
        print("    " + row["log"], flush=True)


if __name__ == "__main__":
    main()
