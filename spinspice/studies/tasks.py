"""Run one study job (in a worker process or on a Dask worker) and return its result.

:func:`execute` takes the JSON form of a :class:`~spinspice.studies.plan.StudyJob` (and the
results of the jobs it depends on) and returns a JSON-serialisable result:

``status``
    ``ok`` or ``failed``;
``tables``
    ``{table name: [row dicts]}``, rows carrying the job's identity columns;
``verdicts``
    ``[{check, passed, reason}]`` — the pass/fail checks of the job;
``metrics``
    ``[{metric, value}]`` — scalar figures with units in their names;
``sim_jobs``
    the content hashes of every simulation job it ran;
``wall_s``, ``error``, ``log_tail``, ``run_dir``
    timing, and for a failed job what went wrong.

Every simulation goes through one engine made here from the job's time limit (the caller
of the analysis layer makes the engine), wrapped to cache identical simulations, to record
them and to set the circuit temperature.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

import numpy as np

from spinspice.analysis.threads import one_core

#: Identity columns every table row of a study carries.
ID_COLUMNS = (
    "kind",
    "family",
    "rows",
    "cols",
    "process_corner",
    "temperature_C",
    "seed",
    "engine",
)
#: Binomial z-score within which the SPICE model counts as agreeing with the Monte Carlo.
PSW_AGREEMENT_Z = 3.0
#: A training run must beat chance by this factor to pass.
TRAINING_CHANCE_FACTOR = 2.0
#: Classes of the bundled datasets (chance accuracy = 1 / classes).
N_CLASSES = {"digits": 10, "wbcd": 2}
#: Models a P_sw check compares: the SPICE instances and the LLG Monte Carlo.
PSW_MODELS_COMPARED: Final = 2


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _rows(df: Any, ident: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({**ident, **{k: _jsonable(v) for k, v in rec.items()}})
    return out


def _identity(job: dict[str, Any]) -> dict[str, Any]:
    p = job["params"]
    return {
        "kind": job["kind"],
        "family": p.get("family", ""),
        "rows": p.get("rows", 0),
        "cols": p.get("cols", 0),
        "process_corner": p.get("corner", ""),
        "temperature_C": p.get("temperature_C", float("nan")),
        "seed": job["seed"],
        "engine": p.get("engine", "ngspice"),
    }


#: What the ``engine`` column of the sneak rows names: the solver that produced them
#: (:mod:`spinspice.analysis.phase_solver`), not the study's simulator.
SNEAK_ENGINE: Final = "nodal"

#: Families whose seed defines their own device: ``[device]`` does not apply to them.
OWN_DEVICE_FAMILIES = ("1t1r", "1r")


def _fit(job: dict[str, Any], family: str | None = None) -> Any:
    """The device law of a job: the study's ``[device]`` (a fit file, else the preset's
    shipped fit), or the family's own seed device for the seed 002 crossbars, whose write
    scheme (Table 3) is calibrated to that device."""
    from spinspice.spintronic_cells.fit import load_fit, shipped_fit

    if family in OWN_DEVICE_FAMILIES:
        from spinspice.analysis.families import get

        return get(family).default_fit()
    files = job["params"]["files"]
    if "fit" in files:
        return load_fit(Path(files["fit"]))
    return shipped_fit(job["params"]["device"]["preset"])


def _technology(job: dict[str, Any]) -> Any:
    from spinspice.netlists.technology import load_technology

    files = job["params"]["files"]
    config = Path(files["tech_config"]) if "tech_config" in files else None
    models = Path(files["models"]) if "models" in files else None
    return load_technology(config, models=models, corner=job["params"].get("corner"))


def _engine(job: dict[str, Any]) -> tuple[Any, Any]:
    from spinspice.analysis.runner import (
        AtTemperature,
        CachingEngine,
        NgspiceOptions,
        NgspiceSubprocess,
        RecordingEngine,
    )

    inner: Any
    if job["params"].get("engine", "ngspice") == "vacask":
        from spinspice.analysis.vacask_engine import VacaskEngine, VacaskOptions

        inner = VacaskEngine(VacaskOptions(timeout_s=job["timeout_s"]))
    else:
        inner = NgspiceSubprocess(NgspiceOptions(timeout_s=job["timeout_s"]))
    rec = RecordingEngine(inner)
    engine: Any = CachingEngine(rec)
    t = job["params"].get("temperature_C")
    if t is not None and not math.isnan(t):
        engine = AtTemperature(engine, float(t))
    return engine, rec


def _gxnor(job: dict[str, Any], engine: Any) -> dict[str, Any]:
    from spinspice.analysis.gxnor import run_gxnor
    from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign

    fit = _fit(job)
    design = Synapse4T2RDesign(
        technology=_technology(job), r_on_ohm=fit.r_on_ohm, r_off_ohm=fit.r_off_ohm
    )
    res = run_gxnor(design, engine, v_rd_V=job["params"]["v_rd_V"])
    df = res.table()
    bad = int((~df["sign_ok"]).sum())
    return {
        "tables": {"gxnor": _rows(df, _identity(job))},
        "verdicts": [
            {
                "check": "GXNOR truth table (12 cases)",
                "passed": res.passed,
                "reason": "all cases correct" if res.passed else f"{bad} cases wrong",
            }
        ],
        "metrics": [{"metric": "min_nonzero_i_out_A", "value": res.min_nonzero_A}],
    }


def _design(job: dict[str, Any], capability: str) -> tuple[Any, Any, Any]:
    from spinspice.analysis.families import get
    from spinspice.analysis.registry import DesignSpec

    p = job["params"]
    fam = get(p["family"], capability)  # type: ignore[arg-type]
    fit = _fit(job, p["family"])
    spec = DesignSpec(rows=p["rows"], cols=p["cols"], technology=_technology(job), fit=fit)
    return fam, fam.make_design(spec), fit


def _corners(job: dict[str, Any], engine: Any) -> dict[str, Any]:
    fam, design, fit = _design(job, "corners")
    df = fam.run_corners(
        design, fit, operations=job["params"]["operations"], seed=job["seed"], engine=engine
    )
    df = df.rename(columns={"corner": "cell_corner"})
    verdicts = []
    for r in df.to_dict(orient="records"):
        reason = r.get("detail") or ""
        if r["operation"] in ("ff", "bp"):
            reason = f"error {r['error_lsb']:+.3f} LSB" + (f"; {reason}" if reason else "")
        verdicts.append(
            {
                "check": "read disturb of one read"
                if r["operation"] == "read-disturb"
                else f"corner {r['cell_corner']} {r['operation']}",
                "passed": bool(r["passed"]),
                "reason": reason,
            }
        )
    worst = df.loc[df["operation"].isin(["ff", "bp"]), "error_lsb"].abs()
    metrics = (
        [{"metric": "worst_corner_error_lsb", "value": float(worst.max())}] if len(worst) else []
    )
    return {
        "tables": {"corners": _rows(df, _identity(job))},
        "verdicts": verdicts,
        "metrics": metrics,
    }


def _energy(job: dict[str, Any], engine: Any) -> dict[str, Any]:
    import pandas as pd

    fam, design, fit = _design(job, "energy")
    row = fam.energy(design, fit, seed=job["seed"], engine=engine, method=job["params"]["method"])
    row = {**row, "method": job["params"]["method"]}
    metrics = [
        {"metric": k, "value": _jsonable(v)}
        for k, v in row.items()
        if k.endswith(("_J", "_W", "_m2")) or k.startswith("tops_per_w")
    ]
    return {
        "tables": {"energy": _rows(pd.DataFrame([row]), _identity(job))},
        "verdicts": [],
        "metrics": metrics,
    }


def _operation(job: dict[str, Any], engine: Any) -> dict[str, Any]:
    """Any registered family's operation: its jobs, simulated, judged by the family's own
    check of the results (the check its golden decks pass)."""
    import pandas as pd

    fam, design, fit = _design(job, "jobs")
    p = job["params"]
    jobs = fam.build_jobs(design, fit, p["operation"], seed=job["seed"], mtj_model=p["mtj_model"])
    results = engine.run(jobs)
    problems = fam.check_golden(design, fit, p["operation"], job["seed"], jobs, results)
    row = {"operation": p["operation"], "simulations": len(jobs), "problems": "; ".join(problems)}
    return {
        "tables": {"operation": _rows(pd.DataFrame([row]), _identity(job))},
        "verdicts": [
            {
                "check": f"{fam.name} {p['operation']} results as the family expects",
                "passed": not problems,
                "reason": "; ".join(problems) or f"{len(jobs)} simulations checked",
            }
        ],
        "metrics": [{"metric": "problems", "value": len(problems)}],
    }


def _sneak(job: dict[str, Any], engine: Any) -> dict[str, Any]:
    import pandas as pd

    from spinspice.analysis.sneak import adversarial_inputs, analyse
    from spinspice.array_builder.crossbar import CrossbarDesign, random_inputs

    del engine  # the sneak analysis uses the nodal solver, not a simulator
    p = job["params"]
    fit = _fit(job, p["family"])
    design = CrossbarDesign(architecture=p["family"], rows=p["rows"], cols=p["cols"], fit=fit)
    if p["pattern"] == "worst":
        x, delta, states = adversarial_inputs(p["rows"], p["cols"])
    else:
        x, delta, states = random_inputs(p["rows"], p["cols"], job["seed"])
        if p["pattern"] == "signs":
            x, delta = np.where(x >= 0, 1.0, -1.0), np.where(delta >= 0, 1.0, -1.0)
    frames, expected = [], {}
    for scheme in p["schemes"]:
        res = analyse(design, x, delta, states, scheme)
        frames.append(res.summary.drop(columns=["solve_s"], errors="ignore"))
        expected[scheme] = float(res.summary.iloc[-1]["expected_false_switches"])
    summary = pd.concat(frames, ignore_index=True)
    verdicts = []
    if {"2phase", "4phase"} <= set(expected):
        ok = expected["4phase"] < expected["2phase"]
        verdicts.append(
            {
                "check": "4-phase write disturbs fewer unselected cells than 2-phase "
                "(seed 002 §4.4)",
                "passed": ok,
                "reason": f"expected false switches 4-phase {expected['4phase']:.3g} vs "
                f"2-phase {expected['2phase']:.3g}",
            }
        )
    metrics = [{"metric": f"expected_false_switches_{s}", "value": v} for s, v in expected.items()]
    return {
        "tables": {"sneak": _rows(summary, {**_identity(job), "engine": SNEAK_ENGINE})},
        "verdicts": verdicts,
        "metrics": metrics,
        "engine": SNEAK_ENGINE,
    }


def _psw(job: dict[str, Any], engine: Any) -> dict[str, Any]:
    import pandas as pd

    from spinspice.analysis.device import psw_table
    from spinspice.spintronic_cells.presets import get_preset

    p = job["params"]
    params = get_preset(p["device"]["preset"])
    widths = np.asarray(p["widths_s"], float)
    frames = {}
    if p["spice_instances"] > 0:
        frames["spice"] = psw_table(
            params,
            from_state=p["from_state"],
            voltage_V=p["voltage_V"],
            widths_s=widths,
            model="spice",
            trials=p["spice_instances"],
            seed=job["seed"],
            fit=_fit(job),
            mtj_kind=p["mtj_model"],
            engine=engine,
            stratified=True,  # the check tests the model, not the draws' sampling noise
        )
    if p["mc_trials"] > 0:
        frames["llg"] = psw_table(
            params,
            from_state=p["from_state"],
            voltage_V=p["voltage_V"],
            widths_s=widths,
            model="llg",
            trials=p["mc_trials"],
            seed=job["seed"] + 1,
        )
    df = pd.concat(list(frames.values()), ignore_index=True)
    verdicts, metrics = [], []
    if len(frames) == PSW_MODELS_COMPARED:
        a, b = frames["spice"], frames["llg"]
        na, nb = p["spice_instances"], p["mc_trials"]
        pa, pb = a["psw"].to_numpy(), b["psw"].to_numpy()
        pool = (pa * na + pb * nb) / (na + nb)
        se = np.sqrt(np.maximum(pool * (1 - pool), 1e-12) * (1 / na + 1 / nb))
        z = np.abs(pa - pb) / se
        ok = bool(np.all(z <= PSW_AGREEMENT_Z))
        verdicts.append(
            {
                "check": f"SPICE MTJ reproduces the LLG Monte Carlo ({p['from_state']}, "
                f"{p['voltage_V']:g} V)",
                "passed": ok,
                "reason": f"max |z| = {z.max():.2f} over {z.size} widths "
                f"(limit {PSW_AGREEMENT_Z:g})",
            }
        )
        metrics.append({"metric": "psw_max_abs_z", "value": float(z.max())})
    return {
        "tables": {
            "psw": _rows(df.drop(columns=["switch_times_s"], errors="ignore"), _identity(job))
        },
        "verdicts": verdicts,
        "metrics": metrics,
    }


def _training(job: dict[str, Any], engine: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    from spinspice.training.loop import TrainingConfig, train

    del engine
    p = job["params"]
    kw: dict[str, Any] = {
        "dataset": p["dataset"],
        "synapse": p["synapse"],
        "epochs": p["epochs"],
        "seed": job["seed"],
    }
    if p.get("net"):
        kw["net"] = p["net"]
    with tempfile.TemporaryDirectory(prefix="spinspice-study-psw-") as tmp:
        if p["psw_from_study"]:
            paths: list[str] = []
            for key in job["after"]:
                rows = [r for r in inputs[key]["tables"]["psw"] if r["model"] == "spice"]
                path = Path(tmp) / f"psw{len(paths)}.csv"
                pd.DataFrame(rows)[["width_s", "psw", "from_state", "voltage_V"]].to_csv(
                    path, index=False
                )
                paths.append(str(path))
            kw["psw_tables"] = tuple(paths[:2])
        res = train(TrainingConfig(**kw))
    # epoch wall times are timing, not results: the job's wall time is in jobs.csv
    df = pd.DataFrame([asdict(r) for r in res.records]).drop(columns=["wall_s"])
    n_classes = N_CLASSES[p["dataset"]]
    chance = 1.0 / max(n_classes, 2)
    ok = res.test_accuracy >= TRAINING_CHANCE_FACTOR * chance
    return {
        "tables": {"training": _rows(df, _identity(job))},
        "verdicts": [
            {
                "check": f"{p['synapse']} {p['dataset']} training learns",
                "passed": bool(ok),
                "reason": f"test accuracy {res.test_accuracy:.3f} (chance {chance:.2f})",
            }
        ],
        "metrics": [{"metric": "test_accuracy", "value": res.test_accuracy}],
    }


_KINDS = {
    "gxnor": _gxnor,
    "corners": _corners,
    "energy": _energy,
    "operation": _operation,
    "sneak": _sneak,
    "psw": _psw,
}


#: Characters of a job's traceback kept as its log tail when it fails with a bug.
_TRACEBACK_TAIL_CHARS: Final = 4000


def execute(job: dict[str, Any], inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one study job (module docstring); never raises for a failed simulation."""
    t0 = time.perf_counter()
    engine, rec = _engine(job)
    out: dict[str, Any] = {"key": job["key"], "hash": job["hash"], "kind": job["kind"]}
    with one_core():
        _run(job, engine, inputs, out)
    out["sim_jobs"] = [j.hash for j in rec.jobs]
    out["wall_s"] = time.perf_counter() - t0
    return out


def _run(
    job: dict[str, Any], engine: Any, inputs: dict[str, Any] | None, out: dict[str, Any]
) -> None:
    from spinspice.errors import SimulationError, SpinspiceError

    try:
        if job["kind"] == "training":
            body = _training(job, engine, inputs or {})
        else:
            body = _KINDS[job["kind"]](job, engine)
        out.update(status="ok", **body)
    except SimulationError as exc:
        out.update(
            status="failed",
            error=str(exc).split("; hint:")[0],
            log_tail=exc.log_tail,
            run_dir=str(exc.run_dir) if exc.run_dir else None,
        )
    except SpinspiceError as exc:
        out.update(status="failed", error=str(exc), log_tail="", run_dir=None)
    except Exception as exc:  # a bug in one job kind fails that job, not the whole study
        import traceback

        out.update(
            status="failed",
            error=f"internal error ({type(exc).__name__}: {exc}); please report it",
            log_tail=traceback.format_exc()[-_TRACEBACK_TAIL_CHARS:],
            run_dir=None,
        )
