"""The seed 002 crossbar families, ``1t1r`` and ``1r``: registration.

Operations (seeded random inputs x, errors δ and MTJ states, :func:`random_inputs`):

* ``read``: the read phase's DC network (every gate on, rows at V_read·x);
* ``2phase`` (both) and ``4phase`` (1R only): one DC job per write phase (every column
  pulse on: the first interval), the network :mod:`spinspice.analysis.nodal` solves;
* ``2phase-transient`` / ``4phase-transient``: the whole update as a transient with the
  stochastic behavioural MTJ on a few replicas (:func:`update_transient_circuit`).

The golden check of a DC job is the nodal solver: every MTJ voltage within 1e-9 relative
of ngspice's (both solve the same linear description).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, cast

import numpy as np

from spinspice.analysis.nodal import cell_voltages_from, solve_linear
from spinspice.analysis.registry import DesignSpec, Family, register
from spinspice.analysis.runner import SimResult
from spinspice.array_builder.crossbar import (
    Architecture,
    CrossbarDesign,
    CrossbarNetwork,
    Phase,
    Scheme,
    build_network,
    random_inputs,
    read_phase,
    seed002_fit,
    write_schedule,
)
from spinspice.array_builder.crossbar_spice import network_circuit, update_transient_circuit
from spinspice.errors import ParameterError
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.mtj_model import MTJModelKind
from spinspice.spintronic_cells.fit import BehaviouralFit

#: Relative agreement of ngspice and the nodal solver on the same linear network.
GOLDEN_RTOL = 1e-9
#: Replicas of the small crossbar in an exported update transient.
TRANSIENT_REPLICAS = 2
#: A final MTJ state node s below this has latched P and one above LATCHED_AP_MIN has latched
#: AP (s: 0 = P, 1 = AP), dimensionless; our choice: the double-well latch settles s to 0 or 1
#: (docs/engineering_facts.md §4), so a state still 5 % away at the end has not latched.
LATCHED_P_MAX: Final = 0.05
LATCHED_AP_MIN: Final = 0.95


def _make_design(architecture: Architecture) -> object:
    def make(spec: DesignSpec) -> CrossbarDesign:
        return CrossbarDesign(architecture=architecture, rows=spec.rows, cols=spec.cols,
                              fit=spec.fit)

    return make


def _networks(design: CrossbarDesign, operation: str, seed: int) -> list[CrossbarNetwork]:
    x, delta, states = random_inputs(design.rows, design.cols, seed)
    phases: tuple[Phase, ...]
    if operation == "read":
        phases = (read_phase(design, x),)
    else:
        phases = write_schedule(design, x, delta, cast(Scheme, operation))
    return [build_network(design, ph, states) for ph in phases]


def _jobs(
    design: CrossbarDesign, fit: BehaviouralFit, operation: str, seed: int, kind: MTJModelKind
) -> list[Job]:
    del kind  # the decks use the behavioural twin
    if fit != design.fit:
        raise ParameterError(
            f"the crossbar design's MTJ law (preset {design.fit.preset}) differs from its MTJ "
            f"fit ({fit.preset}); build the design from the fit"
        )
    arch, (m, n) = design.architecture, design.shape
    if operation.endswith("-transient"):
        scheme = cast(Scheme, operation.removesuffix("-transient"))
        x, delta, states = random_inputs(m, n, seed)
        phases = write_schedule(design, x, delta, scheme)
        plan = update_transient_circuit(
            design, phases, states, replicas=TRANSIENT_REPLICAS, seed=seed
        )
        return [
            make_job(
                plan.circuit,
                key=f"{arch}/{operation}/{m}x{n}/seed{seed}",
                meta={"family": arch, "operation": operation, "rows": m, "cols": n,
                      "seed": seed, "replicas": TRANSIENT_REPLICAS},
            )
        ]
    return [
        make_job(
            network_circuit(net),
            key=f"{arch}/{operation}/{m}x{n}/{net.phase.name.replace(' ', '-')}",
            meta={"family": arch, "operation": operation, "rows": m, "cols": n, "seed": seed,
                  "phase": net.phase.name},
        )
        for net in _networks(design, operation, seed)
    ]


def _check_golden(
    design: CrossbarDesign,
    fit: BehaviouralFit,
    operation: str,
    seed: int,
    job_list: Sequence[Job],
    results: Sequence[SimResult],
) -> list[str]:
    del fit, job_list
    if operation.endswith("-transient"):
        tran = results[0].plot("tran")
        states = [v for v in tran.names() if v.endswith(".s)") or v.endswith("#s)")]
        finals = np.array([float(tran[v][-1]) for v in states])
        if not states:
            return ["the transient saved no MTJ state"]
        latched = (finals < LATCHED_P_MAX) | (finals > LATCHED_AP_MIN)
        return [] if latched.all() else [f"{int((~latched).sum())} MTJ states not latched"]
    problems = []
    for net, res in zip(_networks(design, operation, seed), results, strict=True):
        op = res.plot("op")
        spice = cell_voltages_from(net, {k[2:-1]: float(op[k][0]) for k in op.names()
                                         if k.startswith("v(")})
        ours = solve_linear(net, method="direct").v_cell_V[:, :, 0]
        err = float(np.max(np.abs(spice - ours)) / max(float(np.max(np.abs(ours))), 1e-30))
        if err > GOLDEN_RTOL:
            problems.append(f"{net.phase.name}: ngspice and the nodal solver differ by {err:.2e}")
    return problems


def _register(architecture: Architecture, schemes: tuple[str, ...], title: str) -> Family:
    return register(
        Family(
            name=architecture,
            title=title,
            source="seed 002 Fig. 4 (1T1R), Fig. 5c (1R), §4.3-4.4, Table 3-4",
            operations=("read", *schemes, *(f"{s}-transient" for s in schemes)),
            make_design=_make_design(architecture),  # type: ignore[arg-type]
            jobs=_jobs,
            check_golden=_check_golden,
            golden_size=(3, 3),
            mtj_models=("behavioural",),
            default_fit=seed002_fit,
        )
    )


FAMILY_1T1R = _register("1t1r", ("2phase",), "1T1R MTJ crossbar (seed 002)")
FAMILY_1R = _register("1r", ("2phase", "4phase"), "1R MTJ crossbar with peripheral selection")
