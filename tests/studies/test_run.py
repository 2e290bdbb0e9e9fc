"""`spinspice run`: resumable, order- and worker-independent, Dask-ready, failure-tolerant."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.cli import cli
from spinspice.studies.runner import run_study
from spinspice.studies.store import Store

SMALL = """
[study]
name = "small"
seed = 11

[device]
fit = "precessional.fit.json"   # device C without its thermal regime (see the read-disturb test)

[technology]
corners = ["tt", "ss"]
temperatures_C = [27, 85]

[[gxnor]]

[[corners]]
cell = "2t1r"
sizes = [2]
operations = ["ff", "bp"]
corners = ["tt"]
temperatures_C = [27]

[[sneak]]
crossbar = "1r"
schemes = ["2phase", "4phase"]
rows = 6
cols = 6

[[psw]]
from_state = "AP"
voltage_V = 1.0
widths_s = [1e-9, 2e-9]
spice_instances = 40
mc_trials = 400

[training]
dataset = "digits"
epochs = 1
synapse = "mtj-4t2r"
psw_from_study = true
"""


def _study(tmp_path: Path, text: str = SMALL) -> Path:
    from dataclasses import replace

    from spinspice.spintronic_cells.fit import shipped_fit

    fit = shipped_fit()
    (tmp_path / "precessional.fit.json").write_text(
        replace(fit, ap_to_p=replace(fit.ap_to_p, thermal=None),
                p_to_ap=replace(fit.p_to_ap, thermal=None)).to_json()
    )
    p = tmp_path / "study.toml"
    p.write_text(text)
    return p


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    t = {p.stem: pd.read_csv(p) for p in sorted((out / "tables").glob("*.csv"))}
    t["jobs"] = t["jobs"].drop(columns=["wall_s"])
    return t


def _assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert sorted(a) == sorted(b)
    for name, frame in a.items():
        pd.testing.assert_frame_equal(frame, b[name], check_exact=True, obj=name)


@pytest.mark.ngspice
def test_run_writes_tables_plots_and_report_and_is_worker_independent(tmp_path: Path) -> None:
    study = _study(tmp_path)
    one = run_study(study, tmp_path / "one", workers=1)
    two = run_study(study, tmp_path / "two", workers=2)
    assert one.exit_code == 0 and two.exit_code == 0, one.tables["verdicts"]
    assert len(one.jobs) == 8  # 4 gxnor + 1 corners + 1 sneak + 1 psw + 1 training
    _assert_same(_tables(tmp_path / "one"), _tables(tmp_path / "two"))
    out = tmp_path / "one"
    for name in ("gxnor", "corners", "sneak", "psw", "training", "metrics", "verdicts", "jobs"):
        assert (out / "tables" / f"{name}.csv").is_file(), name
    assert {p.name for p in (out / "plots").glob("*.png")} >= {"corners.png", "psw.png"}
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "tables/verdicts.csv" in html
    assert "study file SHA-256" in html and "ngspice-46" in html
    metrics = pd.read_csv(out / "tables" / "metrics.csv")
    assert list(metrics.columns) == ["kind", "family", "rows", "cols", "process_corner",
                                     "temperature_C", "seed", "engine", "metric", "value"]
    # the sneak rows name the solver that made them, not the simulator
    assert set(pd.read_csv(out / "tables" / "sneak.csv")["engine"]) == {"nodal"}
    assert set(metrics.loc[metrics["kind"] == "sneak", "engine"]) == {"nodal"}
    # the same design gets the same draws at every condition; temperature changes currents
    g = pd.read_csv(out / "tables" / "gxnor.csv")
    assert g.groupby("temperature_C")["i_out_A"].sum().nunique() == 2
    # a rerun reuses everything
    again = run_study(study, out, workers=2)
    assert again.computed == () and len(again.reused) == 8


@pytest.mark.ngspice
def test_killed_run_resumes_and_computes_only_the_missing_jobs(tmp_path: Path) -> None:
    study = _study(tmp_path)
    ref = tmp_path / "ref"
    assert run_study(study, ref, workers=1).exit_code == 0
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from spinspice.cli import main; main()", "run", str(study),
         "-o", str(out), "--workers", "1", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    deadline = time.monotonic() + 120
    jobs_dir = out / "jobs"
    while time.monotonic() < deadline:
        done = [p for p in jobs_dir.glob("*") if not p.name.startswith(".")] if jobs_dir.is_dir() else []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.5)  # the worker dies with the runner (PR_SET_PDEATHSIG)
    finished = {p.name for p in jobs_dir.glob("*") if not p.name.startswith(".")}
    assert 2 <= len(finished) < 8
    assert all((jobs_dir / h / "result.json").is_file() for h in finished)  # complete or absent
    resumed = run_study(study, out, workers=1)
    assert len(resumed.reused) == len(finished)
    assert len(resumed.computed) == 8 - len(finished)
    assert resumed.exit_code == 0
    _assert_same(_tables(ref), _tables(out))
    assert not list(jobs_dir.glob(".tmp-*"))


@pytest.mark.ngspice
def test_dask_local_cluster_gives_the_same_tables(tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    study = _study(tmp_path)
    local = run_study(study, tmp_path / "local", workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        dist = run_study(study, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert local.exit_code == dist.exit_code == 0
    _assert_same(_tables(tmp_path / "local"), _tables(tmp_path / "dask"))


@pytest.mark.ngspice
def test_a_failing_job_is_reported_and_the_rest_completes(tmp_path: Path) -> None:
    text = SMALL.replace('operations = ["ff", "bp"]', 'operations = ["ff", "bp"]\ntimeout_s = 0.1')
    text = text.replace('rows = 6\ncols = 6', 'rows = 6\ncols = 6')
    # make the timed-out job slow enough to hit 0.1 s for certain
    text = text.replace('sizes = [2]', 'sizes = [24]')
    res = CliRunner().invoke(cli, ["run", str(_study(tmp_path, text)), "-o", str(tmp_path / "o"),
                                   "--workers", "2", "--quiet"])
    assert res.exit_code == 1, res.output
    out = tmp_path / "o"
    jobs = pd.read_csv(out / "tables" / "jobs.csv")
    assert (jobs["status"] == "failed").sum() == 1
    assert (jobs["status"] == "ok").sum() == 7
    failed = jobs.loc[jobs["status"] == "failed", "job"].item()
    assert failed.startswith("corners/2t1r/24x24")
    html = (out / "report.html").read_text()
    assert "Failed jobs" in html and "did not finish" in html and failed in html
    v = pd.read_csv(out / "tables" / "verdicts.csv")
    assert not v.loc[v["check"] == "job ran", "passed"].any()
    # a failure is retried on the next run (and fails again the same way)
    again = run_study(_study(tmp_path, text), out, workers=2)
    assert again.computed == (failed,)


def test_two_runs_on_one_output_refuse_each_other(tmp_path: Path) -> None:
    out = tmp_path / "o"
    held = Store(out)
    held.lock()
    try:
        res = CliRunner().invoke(cli, ["run", str(_study(tmp_path)), "-o", str(out), "--quiet"])
        assert res.exit_code == 2
        assert "in use by another 'spinspice run'" in res.output
    finally:
        held.unlock()


def test_bad_study_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = _study(tmp_path, '[[corners]]\ncell = "4t2r"\nrows = 0\n')
    res = CliRunner().invoke(cli, ["run", str(bad), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "study.toml: [[corners]] #1: rows must be 1..1024, got 0" in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.ngspice
def test_every_registered_family_is_usable_in_a_study(tmp_path: Path) -> None:
    from spinspice.analysis.families import get, names

    text = ['[study]\nname = "families"\nseed = 3\n']
    for name in names():
        fam = get(name)
        rows, cols = fam.golden_size
        text.append(f'[[operation]]\ncell = "{name}"\noperation = "{fam.operations[0]}"\n'
                    f"rows = {rows}\ncols = {cols}\n")
    summary = run_study(_study(tmp_path, "\n".join(text)), tmp_path / "o", workers=2)
    v = summary.tables["verdicts"]
    assert len(v) == len(names())
    assert summary.exit_code == 0, v[~v["passed"]].to_string()
    ops = pd.read_csv(tmp_path / "o" / "tables" / "operation.csv")
    assert set(ops["family"]) == set(names()) and (ops["simulations"] > 0).all()


@pytest.mark.ngspice
def test_device_cs_read_disturb_fails_the_study_and_is_named(tmp_path: Path) -> None:
    # The seed's device C (Δ = 4.2) with its thermal regime: the corner reads decode, the
    # design's read-disturb check fails, and the study says why (exit 1).
    text = '[study]\nname = "c"\n[[corners]]\ncell = "2t1r"\nrows = 2\noperations = ["ff"]\n'
    summary = run_study(_study(tmp_path, text), tmp_path / "o", workers=1)
    v = summary.tables["verdicts"]
    bad = v[~v["passed"]]
    assert summary.exit_code == 1 and list(bad["check"]) == ["read disturb of one read"]
    assert "P_sw of one read" in bad["reason"].item()


def _worker_pids() -> list[int]:
    """The runner's spawn-started pool workers (not the resource tracker)."""
    me = os.getpid()
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == me and b"spawn_main" in cmd:
            pids.append(int(stat.parent.name))
    return pids


@pytest.mark.ngspice
def test_a_killed_worker_loses_no_job(tmp_path: Path) -> None:
    """SIGKILL to a pool worker mid-study: the jobs in flight run again on a rebuilt pool,
    the study completes with no failure and the same tables as an undisturbed run."""
    study = _study(tmp_path)
    ref = run_study(study, tmp_path / "ref", workers=2)
    killed: list[int] = []

    def kill_a_worker(*_: object) -> None:
        if not killed:
            pids = _worker_pids()
            assert pids, "no worker process found"
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    run = run_study(study, tmp_path / "killed", workers=2, progress=kill_a_worker)
    assert killed
    assert run.exit_code == 0 and not run.failed
    assert len(run.computed) == len(ref.jobs)
    _assert_same(_tables(tmp_path / "ref"), _tables(tmp_path / "killed"))


def test_a_bug_in_a_job_fails_that_job_not_the_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A programming error inside one job (here a TypeError) comes back as that job's
    failure, with the traceback as its log tail, instead of ending the run."""
    from spinspice.studies import tasks
    from spinspice.studies.plan import plan
    from spinspice.studies.spec import load_study

    job = next(j for j in plan(load_study(_study(tmp_path))) if j.kind == "psw")

    def broken(*_: object) -> dict[str, object]:
        raise TypeError("run_llg() got an unexpected keyword argument 'progress'")

    monkeypatch.setitem(tasks._KINDS, "psw", broken)
    res = tasks.execute(job.to_dict())
    assert res["status"] == "failed"
    assert res["error"].startswith("internal error (TypeError: run_llg()")
    assert "Traceback" in res["log_tail"] and "broken" in res["log_tail"]
