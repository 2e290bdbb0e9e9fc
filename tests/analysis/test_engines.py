"""Every simulation goes through the caller's engine; engines run jobs, not ad-hoc decks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import spinspice
from spinspice.analysis.families import get
from spinspice.analysis.registry import DesignSpec
from spinspice.analysis.runner import (
    CachingEngine,
    NgspiceSubprocess,
    RecordingEngine,
    SimResult,
)
from spinspice.netlists.job import Job
from spinspice.netlists.technology import MosfetTechnology

ROOT = Path(spinspice.__file__).parent
ENGINE_CLASSES = {"NgspiceSubprocess", "PySpiceShared", "VacaskEngine"}


def test_no_stage_below_the_cli_constructs_an_engine() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        # the CLI and the study runner are callers: they make the engines they pass down
        if rel.parts[0] in ("cli", "studies") or rel.name in ("runner.py", "pyspice_backend.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ENGINE_CLASSES
            ):
                offenders.append(f"{rel}:{node.lineno} {node.func.id}(...)")
    assert offenders == []


@pytest.mark.ngspice
@pytest.mark.parametrize("cell", ["4t2r", "2t1r"])
def test_corner_checks_simulate_only_through_the_callers_engine(
    cell: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = NgspiceSubprocess()
    calls: list[str] = []
    original = NgspiceSubprocess.run_job

    def guarded(self: NgspiceSubprocess, job: Job) -> SimResult:
        # any other engine instance simulating is a defect
        assert self is inner, f"job {job.key} ran on an engine the caller did not pass"
        calls.append(job.key)
        return original(self, job)

    monkeypatch.setattr(NgspiceSubprocess, "run_job", guarded)
    rec = RecordingEngine(inner)
    fam = get(cell, "corners")
    fit = fam.default_fit()
    design = fam.make_design(
        DesignSpec(rows=2, cols=2, technology=MosfetTechnology.default(), fit=fit)
    )
    df = fam.run_corners(design, fit, operations=fam.corner_operations, seed=3, engine=rec)
    reads = df[df["operation"] != "read-disturb"]  # device C fails read disturb (Δ = 4.2)
    assert len(reads) > 0 and bool(reads["passed"].all())
    keys = [j.key for j in rec.jobs]
    # every simulation the check needed went through the recorder (array reads, the
    # one-cell unit-current reads, the updates), and nothing else ran
    assert calls == keys
    assert any("/ff/2x2" in k for k in keys) and any("/bp/2x2" in k for k in keys)
    assert any("/update/" in k for k in keys)
    assert any(k.startswith(f"{cell}/gxnor") or "cell-read" in k for k in keys)


@pytest.mark.ngspice
def test_caching_engine_runs_each_distinct_job_once() -> None:
    fam = get("4t2r")
    fit = fam.default_fit()
    design = fam.make_design(
        DesignSpec(rows=2, cols=2, technology=MosfetTechnology.default(), fit=fit)
    )
    jobs = fam.build_jobs(design, fit, "ff")
    rec = RecordingEngine(NgspiceSubprocess())
    eng = CachingEngine(rec)
    first = eng.run([*jobs, jobs[1]])
    again = eng.run(jobs)
    assert [j.key for j in rec.jobs] == [j.key for j in jobs]
    assert first[1] is first[2] is again[1]


def test_job_hash_covers_deck_files_and_saves(tmp_path: Path) -> None:
    fam = get("4t2r")
    fit = fam.default_fit()
    d = fam.make_design(DesignSpec(rows=2, cols=2, technology=MosfetTechnology.default(), fit=fit))
    a = fam.build_jobs(d, fit, "ff", seed=0)[0]
    b = fam.build_jobs(d, fit, "ff", seed=0)[0]
    c = fam.build_jobs(d, fit, "ff", seed=1)[0]
    assert a.hash == b.hash and a.hash != c.hash and len(a.hash) == 64
    # a library copied with different content gives a different job
    lib = tmp_path / "m.lib"
    lib.write_text(MosfetTechnology.default().library.read_text() + "* changed\n")
    tech = MosfetTechnology(library=lib, corner="tt")
    e = fam.build_jobs(
        fam.make_design(DesignSpec(rows=2, cols=2, technology=tech, fit=fit)), fit, "ff"
    )[0]
    assert e.hash != a.hash
    assert [f.name for f in e.files] == ["lib/m.lib"]
    # the deck names its files relative to the run directory only
    assert ".lib 'lib/m.lib' tt" in e.deck.body and str(tmp_path) not in e.deck.body


def test_a_design_that_contradicts_its_fit_is_refused() -> None:
    from dataclasses import replace

    from spinspice.errors import ParameterError

    for cell, op in (("4t2r", "update"), ("2t1r", "update"), ("1r", "2phase")):
        fam = get(cell)
        fit = fam.default_fit()
        d = fam.make_design(
            DesignSpec(rows=2, cols=2, technology=MosfetTechnology.default(), fit=fit)
        )
        other = replace(fit, r_on_ohm=fit.r_on_ohm * 1.1)
        with pytest.raises(ParameterError, match="differs from its MTJ fit"):
            fam.build_jobs(d, other, op)
