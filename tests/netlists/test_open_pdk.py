"""A library in the style of an open PDK passes unchanged and runs (issue 12, class 2).

``open_pdk/models/spx.lib`` has corner ``.lib`` sections that include mismatch and device
files and a common section of the same file, ``.if (rfmode == 0)`` blocks, ``.param``
expressions, ``.func``, ``.option``, binned ``.model`` cards, capacitor lines named ``CD``
and MOSFETs wrapped in subcircuits with instance parameters around an OSDI device compiled
from ``open_pdk/va/spx_mos.va`` (our own EKV-style Verilog-A law). It runs the GXNOR truth
table and the 4x4 corner checks through the CLI, loading the model with ``--va``/``--osdi``
or the TOML ``[technology] va = [...]``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.cli import cli
from spinspice.netlists.guard import resolve_library
from spinspice.netlists.osdi import compile_va
from spinspice.netlists.technology import load_technology

PDK = Path(__file__).parent / "open_pdk"
CONFIG = PDK / "technology.toml"

pytestmark = pytest.mark.skipif(shutil.which("ngspice") is None, reason="needs ngspice")


def test_library_accepted_with_every_construct() -> None:
    for corner in ("tt", "ff", "ss", "bjt_typ"):
        bundle = resolve_library(PDK / "models" / "spx.lib", corner)
        assert [f.name for f in bundle.files] == ["spx.lib", "mismatch.inc", "mos.inc"]
    mos = bundle.files[2].text
    assert ".if (rfmode == 0)" in mos and "\nCD d b" in mos and "nch_bsim.2" in mos
    # the copies point at one another by bare name
    assert ".include 'mos.inc'" in bundle.top.text
    assert ".lib 'spx.lib' common" in bundle.top.text


def test_technology_osdi_flows_into_jobs(tmp_path: Path) -> None:
    tech = load_technology(CONFIG)
    assert tech.element == "X" and len(tech.osdi) == 1
    assert tech.osdi[0].suffix == ".osdi"
    ref = tech.library_ref()
    assert ref.osdi == tech.osdi
    from spinspice.analysis.families import get
    from spinspice.analysis.registry import DesignSpec

    fam = get("4t2r")
    design = fam.make_design(DesignSpec(rows=2, cols=2, technology=tech, fit=fam.default_fit()))
    job = fam.jobs(design, fam.default_fit(), "ff", 0, "behavioural")[0]
    names = [f.name for f in job.files]
    assert f"osdi/{tech.osdi[0].name}" in names
    assert f"pre_osdi osdi/{tech.osdi[0].name}" in job.deck.text()


@pytest.mark.ngspice
def test_gxnor_truth_table_with_toml_va(tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    res = CliRunner().invoke(cli, ["gxnor", "--config", str(CONFIG), "--csv", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == 12 and df["sign_ok"].all()
    nonzero = df[df["expected"] != 0]
    assert (nonzero["i_out_A"].abs() > 1e-5).all()  # the OSDI MOSFETs conduct


@pytest.mark.ngspice
def test_gxnor_other_corner_with_osdi_option(tmp_path: Path) -> None:
    osdi = compile_va(PDK / "va" / "spx_mos.va")
    cfg = tmp_path / "tech.toml"
    cfg.write_text(
        CONFIG.read_text()
        .replace('va = ["va/spx_mos.va"]', "")
        .replace('"models/spx.lib"', f'"{PDK}/models/spx.lib"')
    )
    args = ["gxnor", "--config", str(cfg), "--corner", "ff", "--csv", str(tmp_path / "g.csv")]
    # without the OSDI model ngspice does not know the device: a one-line error
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "Traceback" not in res.output
    res = CliRunner().invoke(cli, [*args, "--osdi", str(osdi)])
    assert res.exit_code == 0, res.output
    ff = pd.read_csv(tmp_path / "g.csv")
    assert ff["sign_ok"].all()


@pytest.mark.ngspice
def test_corner_checks_4x4(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    # device C without its thermal regime (with it the reads fail on read disturb, Δ = 4.2)
    from dataclasses import replace

    from spinspice.spintronic_cells.fit import shipped_fit

    fit = shipped_fit()
    fit_path = tmp_path / "precessional.fit.json"
    fit_path.write_text(
        replace(
            fit,
            ap_to_p=replace(fit.ap_to_p, thermal=None),
            p_to_ap=replace(fit.p_to_ap, thermal=None),
        ).to_json()
    )
    res = CliRunner().invoke(
        cli,
        [
            "corners",
            "--rows",
            "4",
            "--cols",
            "4",
            "--config",
            str(CONFIG),
            "--csv",
            str(out),
            "--fit",
            str(fit_path),
        ],
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) >= 12 and df["passed"].all(), df  # 4 corners x (ff, bp, update) [+ read disturb]
