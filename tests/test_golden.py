"""Golden decks: one per registered family and operation, compared as text and simulated.

* Text: the decks the builders make today equal the files in ``tests/golden/`` (a change
  of any deck shows up here; regenerate with ``.venv/bin/python tests/golden/regenerate.py``
  and review the diff).
* Simulation: each golden directory is copied elsewhere and every deck is run with plain
  ``ngspice -b`` (no spinspice in the loop); the family's own check of the results must
  find nothing wrong, and the saved vectors equal the toolkit's own engine run of the
  same jobs.
* ``spinspice netlist`` writes the same directory as the golden export.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from spinspice.analysis.export import deck_name
from spinspice.analysis.families import get, names
from spinspice.analysis.rawfile import read_raw
from spinspice.analysis.runner import SimResult, ngspice_info
from spinspice.cli import cli

GOLDEN = Path(__file__).with_name("golden")
_spec = importlib.util.spec_from_file_location("golden_regenerate", GOLDEN / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

CASES = [(name, op) for name in names() for op in get(name).operations]


def test_every_family_and_operation_has_a_golden_directory() -> None:
    assert len(CASES) >= 15
    on_disk = {(p.parent.name, p.name) for p in GOLDEN.glob("*/*") if p.is_dir()}
    assert on_disk == set(CASES)


@pytest.mark.parametrize(("family", "op"), CASES)
def test_decks_equal_the_golden_text(family: str, op: str) -> None:
    jobs = regen.golden_jobs(family, op)
    manifest = json.loads((GOLDEN / family / op / "manifest.json").read_text())
    assert [j["hash"] for j in manifest["jobs"]] == [j.hash for j in jobs]
    for job in jobs:
        golden = (GOLDEN / family / op / deck_name(job)).read_text()
        assert job.deck.text(num_threads=1) == golden
        for f in job.files:
            assert (GOLDEN / family / op / f.name).read_bytes() == f.source.read_bytes()


def _plain_ngspice(directory: Path, deck: str) -> SimResult:
    exe = ngspice_info().path
    stem = deck.removesuffix(".cir")
    proc = subprocess.run(
        [exe, "-b", "-r", f"{stem}.raw", "-o", f"{stem}.log", deck],
        cwd=directory, capture_output=True, text=True, timeout=300, check=False,
        stdin=subprocess.DEVNULL,
    )
    log = (directory / f"{stem}.log").read_text(errors="replace")
    assert proc.returncode == 0, log[-2000:]
    assert "Using KLU" in log
    return SimResult(tuple(read_raw(directory / f"{stem}.raw")), log, None, 0.0, "plain-ngspice")


@pytest.mark.ngspice
@pytest.mark.parametrize(("family", "op"), CASES)
def test_golden_decks_run_in_plain_ngspice_with_the_toolkit_numbers(
    family: str, op: str, tmp_path: Path, engine: Any
) -> None:
    copy = tmp_path / "elsewhere"
    shutil.copytree(GOLDEN / family / op, copy)
    jobs = regen.golden_jobs(family, op)
    plain = [_plain_ngspice(copy, deck_name(j)) for j in jobs]
    fam = get(family)
    rows, cols = fam.golden_size
    design = fam.make_design(
        regen.DesignSpec(rows=rows, cols=cols, technology=regen.MosfetTechnology.default("tt"),
                         fit=fam.default_fit())
    )
    assert fam.check_golden(design, fam.default_fit(), op, regen.SEED, jobs, plain) == []
    ours = engine.run(jobs)
    for a, b in zip(plain, ours, strict=True):
        for pa, pb in zip(a.plots, b.plots, strict=True):
            assert pa.names() == pb.names()
            for name in pa.names():
                np.testing.assert_allclose(pa[name], pb[name], rtol=1e-12, atol=1e-18)


@pytest.mark.ngspice
def test_netlist_cli_writes_the_golden_directory(tmp_path: Path) -> None:
    out = tmp_path / "nl"
    res = CliRunner().invoke(
        cli, ["netlist", "--cell", "2t1r", "--op", "ff", "--rows", "2", "--cols", "2", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    golden = GOLDEN / "2t1r" / "ff"
    for p in golden.rglob("*"):
        if p.is_file() and p.name != "manifest.json":
            assert (out / p.relative_to(golden)).read_bytes() == p.read_bytes(), p.name
    got = json.loads((out / "manifest.json").read_text())
    want = json.loads((golden / "manifest.json").read_text())
    assert got["jobs"] == want["jobs"]
    readme = (out / "README.txt").read_text()
    assert "ngspice -b -r 2t1r_ff_2x2_tt.raw -o 2t1r_ff_2x2_tt.log 2t1r_ff_2x2_tt.cir" in readme
    # refuses to overwrite, one line, exit 2
    again = CliRunner().invoke(
        cli, ["netlist", "--cell", "2t1r", "--op", "ff", "--rows", "2", "--cols", "2", "-o", str(out)]
    )
    assert again.exit_code == 2 and "not empty" in again.output


def test_netlist_cli_refuses_an_unknown_operation(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli, ["netlist", "--cell", "1t1r", "--op", "4phase", "--rows", "2", "--cols", "2",
              "-o", str(tmp_path / "x")]
    )
    assert res.exit_code == 2
    assert "no operation '4phase'" in res.output
    assert not (tmp_path / "x").exists()


@pytest.mark.ngspice
def test_osdi_export_carries_the_verilog_a_and_runs(tmp_path: Path) -> None:
    out = tmp_path / "osdi"
    res = CliRunner().invoke(
        cli, ["netlist", "--cell", "4t2r", "--op", "update", "--rows", "2", "--cols", "2",
              "--mtj-model", "osdi", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert (out / "va" / "mtj_stt.va").is_file()
    (osdi,) = (out / "osdi").glob("*.osdi")
    deck = (out / "4t2r_update_2x2_tt.cir").read_text()
    assert f"pre_osdi osdi/{osdi.name}" in deck
    assert "/" + "tmp" not in deck  # no absolute path anywhere
    copy = tmp_path / "moved"
    shutil.copytree(out, copy)
    sim = _plain_ngspice(copy, "4t2r_update_2x2_tt.cir")
    states = [n for n in sim.plot("tran").names() if n.endswith("#s)")]
    assert len(states) == 8  # 2x2 cells x 2 MTJs
