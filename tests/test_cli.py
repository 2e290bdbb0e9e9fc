"""The command line: help texts, one-line errors with exit code 2, and real runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [[], ["gxnor"], ["doctor"]])
def test_help_explains_units(command: list[str]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0
    if command == ["gxnor"]:
        assert "volts" in out and "ohms" in out and "(A)" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--v-rd", "1Meg"], "1Meg"),
        (["--v-rd", "-0.1"], "-0.1"),
        (["--r-on", "abc"], "abc"),
        (["--config", "/no/such/file.toml"], "does not exist"),
        (["--models", "/no/such/models.lib"], "does not exist"),
        (["--backend", "hspice"], "hspice"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    code, out, err = run("gxnor", "--csv", str(tmp_path / "g.csv"), *args)
    assert code == 2
    assert needle in err
    assert "Traceback" not in out + err
    assert not (tmp_path / "g.csv").exists()


def test_toolkit_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[technology]\nnmos_modle = 'x'\n")
    code, _, err = run("gxnor", "--csv", str(tmp_path / "g.csv"), "--config", str(bad))
    assert code == 2
    assert "unknown [technology] keys ['nmos_modle']" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run("gxnor", "--csv", str(tmp_path / "g.csv"), "--r-on", "3000")
    assert code == 2 and "must exceed" in err


def test_injection_through_options_never_reaches_ngspice(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    existing = tmp_path / "g.csv"
    existing.write_text("earlier results\n")
    code, _, err = run("gxnor", "--csv", str(existing), "--corner", f"tt\n*# shell touch {marker}")
    assert code == 2 and "corner" in err
    evil = tmp_path / "evil.lib"
    evil.write_text(f".model nmos28 nmos level=1\n.control\nshell touch {marker}\n.endc\n")
    code, _, err = run("gxnor", "--csv", str(existing), "--models", str(evil))
    assert code == 2 and ".control" in err
    evil.write_text(f".model nmos28 nmos level=1\n*# shell touch {marker}\n")
    code, _, err = run("gxnor", "--csv", str(existing), "--models", str(evil))
    assert code == 2 and "*#" in err
    assert not marker.exists()
    assert existing.read_text() == "earlier results\n"  # nothing written before the error lost


@pytest.mark.ngspice
def test_gxnor_command_writes_table_and_plot(tmp_path: Path) -> None:
    csv = tmp_path / "out" / "gxnor.csv"
    png = tmp_path / "out" / "gxnor.png"
    code, out, err = run("gxnor", "--csv", str(csv), "--plot", str(png))
    assert code == 0, err
    assert "PASS" in out
    df = pd.read_csv(csv)
    assert list(df.columns[:2]) == ["input", "weight"]
    assert {"input", "weight", "i_out_A", "expected", "sign_ok"} <= set(df.columns)
    assert len(df) == 12 and df["sign_ok"].all()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.ngspice
def test_gxnor_exit_1_when_check_fails(tmp_path: Path) -> None:
    cfg = tmp_path / "tech.toml"
    cfg.write_text("[technology]\nwp_m = 30e-9\n")
    code, out, _ = run(
        "gxnor", "--csv", str(tmp_path / "g.csv"), "--config", str(cfg), "--zero-ratio", "1e6"
    )
    assert code == 1 and "FAIL" in out


@pytest.mark.ngspice
def test_doctor_reports_real_checks() -> None:
    code, out, _ = run("doctor")
    assert "KLU solver" in out and "OSDI" in out and "ngspice-" in out
    assert code == 0, out


@pytest.mark.ngspice
def test_keep_run_dir_prints_each_kept_directory_and_it_reruns_standalone(tmp_path: Path) -> None:
    import re
    import shutil
    import subprocess

    code, _, err = run("gxnor", "--csv", str(tmp_path / "g.csv"), "--keep-run-dir")
    assert code == 0
    kept = [Path(p) for p in re.findall(r"kept run directory: (\S+)", err)]
    assert len(kept) == 1 and (kept[0] / "deck.cir").is_file()
    # the kept directory is self-contained: the deck names its library relatively
    deck = (kept[0] / "deck.cir").read_text()
    assert ".lib 'lib/default_28nm.lib' tt" in deck and (kept[0] / "lib" / "default_28nm.lib").is_file()
    moved = tmp_path / "moved"
    shutil.move(str(kept[0]), moved)
    exe = shutil.which("ngspice")
    assert exe is not None
    proc = subprocess.run([exe, "-b", "deck.cir"], cwd=moved, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and "Using KLU" in proc.stdout + proc.stderr


@pytest.mark.ngspice
def test_device_psw_at_zero_volts_is_retention(tmp_path: Path) -> None:
    """`--voltage 0` is a retention measurement: device C (Δ = 4.2) hops thermally with no
    current, and the fitted SPICE law agrees with the LLG Monte Carlo within 3σ."""
    n = {"llg": 3000, "spice": 200}
    rows = {}
    for model, trials in n.items():
        out = tmp_path / f"{model}.csv"
        res = CliRunner().invoke(cli, ["device", "psw", "--from", "AP", "--voltage", "0",
                                       "--widths", "2e-9", "--model", model, "--trials",
                                       str(trials), "--seed", "3", "--csv", str(out), "--quiet"])
        assert res.exit_code == 0, res.output
        rows[model] = float(pd.read_csv(out)["psw"].iloc[0])
    p = rows["llg"]
    assert p > 0.03  # ~7 % in 2 ns
    sigma = (p * (1 - p) * (1 / n["llg"] + 1 / n["spice"])) ** 0.5
    assert abs(rows["spice"] - p) < 3 * sigma, rows
