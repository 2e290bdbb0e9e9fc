"""Issue 12, classes 4-7 through the command line: output targets, signals and leftovers,
numbers, errors. (Class 1 lives in tests/netlists/test_library_includes.py, 2 in
test_open_pdk.py, 3 in test_osdi_cache.py; the fuzz test in test_cli_fuzz.py.)"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.cli import cli
from spinspice.cli._common import FiniteFloat, handle_errors, ngspice_error_line
from spinspice.errors import ParameterError

PSW = ["device", "psw", "--from", "AP", "--voltage", "1", "--widths", "1e-9"]


def _run(args: list[str]) -> click.testing.Result:
    return CliRunner().invoke(cli, args)


# ----------------------------------------------------------------- 4. output targets


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink-fd", "directory"])
def test_non_regular_output_refused_before_work(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = tmp_path / "out.csv"
        os.mkfifo(target)
    elif kind == "device":
        target = Path("/dev/null")
    elif kind == "symlink-fd":
        target = tmp_path / "fd.csv"
        target.symlink_to("/proc/self/fd/1")
    else:
        target = tmp_path / "dir.csv"
        target.mkdir()
    res = _run([*PSW, "--csv", str(target)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "give a regular file name" in res.output or "directory" in res.output
    if kind == "fifo":
        assert stat.S_ISFIFO(os.stat(target).st_mode)  # untouched
    if kind == "symlink-fd":
        assert target.is_symlink()


def test_output_names_checked_before_work(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    res = _run([*PSW, "--csv", str(csv), "--plot", str(csv)])
    assert res.exit_code == 2 and "two outputs" in res.output
    res = _run([*PSW, "--csv", str(csv), "--plot", str(tmp_path / "p.txt")])
    assert res.exit_code == 2 and "must end in" in res.output
    res = _run([*PSW, "--csv", str(tmp_path / "a.txt")])
    assert res.exit_code == 2 and "must end in .csv" in res.output
    assert list(tmp_path.iterdir()) == []


def test_umask_honoured_and_dash_is_stdout(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        res = _run([*PSW, "--csv", str(tmp_path / "a.csv")])
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o640
    res = _run([*PSW, "--csv", "-"])
    assert res.exit_code == 0 and res.output.startswith("width_s,")
    res = _run([*PSW, "--csv", str(tmp_path / "b.csv"), "--plot", "-"])
    assert res.exit_code == 2 and "stdout" in res.output
    assert not (tmp_path / "b.csv").exists()


# ----------------------------------------------------------------- 6. numbers


def test_every_float_option_is_finite() -> None:
    """One option type everywhere: every float option of every command refuses NaN/inf."""

    def walk(cmd: click.Command, path: str) -> list[str]:
        bad = []
        for p in cmd.params:
            t = p.type
            if isinstance(t, click.types.FloatParamType) and not isinstance(t, FiniteFloat):
                bad.append(f"{path} {p.name}")
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                bad += walk(sub, f"{path} {name}")
        return bad

    assert walk(cli, "spinspice") == []


def test_every_seed_option_is_a_non_negative_32_bit_integer() -> None:
    def walk(cmd: click.Command, path: str) -> list[str]:
        bad = [f"{path} --seed" for p in cmd.params
               if p.name == "seed" and not (isinstance(p.type, click.IntRange)
                                            and p.type.min == 0 and p.type.max == 2**32 - 1)]
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                bad += walk(sub, f"{path} {name}")
        return bad

    assert walk(cli, "spinspice") == []


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["device", "psw", "--from", "AP", "--voltage", "nan", "--widths", "1e-9"], "finite"),
        (["device", "psw", "--from", "AP", "--voltage", "inf", "--widths", "1e-9"], "finite"),
        (["device", "psw", "--from", "AP", "--voltage", "1000", "--widths", "1e-9"], "range"),
        (
            [
                "device",
                "psw",
                "--from",
                "AP",
                "--voltage",
                "1",
                "--widths",
                "1e-9,,2e-9",
                "--csv",
                "x.csv",
            ],
            "empty",
        ),
        (
            [
                "device",
                "psw",
                "--from",
                "AP",
                "--voltage",
                "1",
                "--widths",
                "nan",
                "--csv",
                "x.csv",
            ],
            "finite",
        ),
        (["gxnor", "--v-rd", "-inf"], "finite"),
        (["corners", "--rows", "4", "--cols", "4", "--csv", "x.csv", "--timeout", "nan"], "finite"),
        (["corners", "--rows", "4", "--cols", "4", "--csv", "x.csv", "--sweep", "4,,8"], "empty"),
        (["dw", "synapse", "--widths", "1e-9,,2e-9", "--csv", "x.csv"], "empty"),
        (["dw", "vote", "--ratios", "1.5,inf", "--csv", "x.csv"], "finite"),
        (["dw", "crossbar", "--seed", "-99999999999", "--csv", "x.csv"], "range"),
        (["corners", "--rows", "4", "--cols", "4", "--csv", "x.csv", "--seed", "4294967296"],
         "range"),
    ],
)
def test_bad_numbers_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], match: str
) -> None:
    monkeypatch.chdir(tmp_path)
    res = _run(args)
    assert res.exit_code == 2, res.output
    assert match in res.output and "Traceback" not in res.output
    assert res.output.count("\n") == 1  # one line
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- 7. errors


def test_usage_errors_one_line() -> None:
    for args in (["gxnor", "--bogus"], ["corners"], ["nosuchcommand"], ["gxnor", "--v-rd"]):
        res = _run(args)
        assert res.exit_code == 2
        assert res.output.startswith("error: ") and res.output.count("\n") == 1, res.output


def test_unknown_toml_table_and_key_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[technolgy]\ncorner = "ff"\n')
    res = _run(["gxnor", "--config", str(cfg), "--csv", str(tmp_path / "g.csv")])
    assert res.exit_code == 2 and "'technolgy'" in res.output
    cfg.write_text("[technology]\nosdi = 'one.osdi'\n")
    res = _run(["gxnor", "--config", str(cfg), "--csv", str(tmp_path / "g.csv")])
    assert res.exit_code == 2 and "list of file names" in res.output


def test_ngspice_error_line_not_banner() -> None:
    tail = (
        "******\n** ngspice-46 : Circuit level simulation program\n"
        "Error: Could not find include file lib/x.inc\n"
        "Error in netlist line no. 4, new internal line no. 15:\n"
        "ERROR: fatal error in ngspice, exit(1)\n"
    )
    assert ngspice_error_line(tail) == "Error: Could not find include file lib/x.inc"


@pytest.mark.ngspice
def test_failed_run_message_names_ngspice_error_and_kept_dir(tmp_path: Path) -> None:
    from spinspice.analysis.runner import NgspiceOptions, NgspiceSubprocess, run_one
    from spinspice.netlists.circuit import (
        GROUND,
        Circuit,
        Dc,
        OperatingPoint,
        SubcktInstance,
        VoltageSource,
    )
    from spinspice.netlists.job import make_job

    job = make_job(
        Circuit(
            title="bad",
            elements=(
                VoltageSource("V1", "a", GROUND, Dc(1.0)),
                SubcktInstance("X1", ("a", GROUND), "nosuchcell"),
            ),
            analyses=(OperatingPoint(),),
        ),
        key="test/bad",
    )

    @click.command()
    @click.option("--keep", is_flag=True)
    @handle_errors
    def cmd(keep: bool) -> None:
        opts = NgspiceOptions(keep_run_dir=keep, workdir_parent=tmp_path / "runs")
        run_one(NgspiceSubprocess(opts), job)

    res = CliRunner().invoke(cmd, [])
    assert res.exit_code == 2 and "ngspice: " in res.output and "nosuchcell" in res.output
    assert "******" not in res.output and list((tmp_path / "runs").iterdir()) == []
    res = CliRunner().invoke(cmd, ["--keep"])
    kept = list((tmp_path / "runs").iterdir())
    assert res.exit_code == 2 and len(kept) == 1 and str(kept[0]) in res.output


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"r_on_ohm": -1500.0}, "r_on_ohm must be > 0"),
        ({"r_on_ohm": "1500"}, "r_on_ohm must be a finite number"),
        ({"tsw_s": True}, "tsw_s must be a finite number"),
        ({"r_off_ohm": 100.0}, "r_off_ohm must exceed"),
        ({"ap_to_p": {"c_As": -1.0}}, "c_As must be > 0"),
        ({"p_to_ap": {"ic_A": float("nan")}}, "ic_A must be a finite number"),
    ],
)
def test_fit_json_validated(tmp_path: Path, change: dict[str, object], match: str) -> None:
    import json

    from spinspice.analysis.families import get
    from spinspice.spintronic_cells.fit_checks import load_checked_fit

    data = json.loads(get("4t2r").default_fit().to_json())
    for k, v in change.items():
        if isinstance(v, dict):
            data[k].update(v)
        else:
            data[k] = v
    bad = tmp_path / "fit.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ParameterError, match=match):
        load_checked_fit(bad)
    out = tmp_path / "c.csv"
    res = _run(["corners", "--rows", "2", "--cols", "2", "--csv", str(out), "--fit", str(bad)])
    assert (
        res.exit_code == 2
        and match.split(maxsplit=1)[0] in res.output
        and "Traceback" not in res.output
    )
    assert not out.exists()


# ----------------------------------------------------------------- 5. signals


def _procs_in(directory: Path) -> list[int]:
    """PIDs whose working directory lies under ``directory``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd.startswith(str(directory)):
            found.append(int(entry.name))
    return found


@pytest.mark.ngspice
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_corners_leave_nothing(tmp_path: Path, signum: int) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out" / "corners.csv"
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spinspice.cli",
            "corners",
            "--rows",
            "16",
            "--cols",
            "16",
            "--csv",
            str(out),
            "--timeout",
            "600",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _procs_in(tmp) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert _procs_in(tmp), "ngspice never started"
        time.sleep(0.3)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    time.sleep(0.2)
    assert _procs_in(tmp) == []  # no ngspice left running
    assert list(tmp.iterdir()) == []  # no run directory
    assert not out.exists() and list(out.parent.glob("*")) == []  # no partial output


def test_module_entry_point_exists() -> None:
    import importlib

    assert hasattr(importlib.import_module("spinspice.cli.__main__"), "main")


def test_write_csv_refuses_devices(tmp_path: Path) -> None:
    from spinspice.analysis.tables import write_csv

    with pytest.raises(ParameterError, match="device"):
        write_csv(pd.DataFrame({"a": [1]}), "/dev/null")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_train_keeps_finished_epochs(tmp_path: Path, signum: int) -> None:
    csv, summary = tmp_path / "t.csv", tmp_path / "t.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spinspice.cli",
            "train",
            "--epochs",
            "100000",
            "--quiet",
            "--csv",
            str(csv),
            "--summary",
            str(summary),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(10)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum and "Traceback" not in err, err
    import json

    rows = pd.read_csv(csv)
    info = json.loads(summary.read_text())
    assert info["complete"] is False and info["epochs_finished"] == len(rows) > 0
    assert list(rows["epoch"])[:3] == [1, 2, 3] or list(rows["epoch"])[:3] == [0, 1, 2]


def test_memory_estimated_before_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a machine with 8 GiB available: a 4096² sneak needs ~20 GB (the interval solver's
    # ~490 B per cell and phase), the network below far more
    from spinspice.cli import _common

    monkeypatch.setattr(_common, "available_memory_bytes", lambda: 8 * 1024**3)
    res = _run(
        [
            "sneak",
            "--crossbar",
            "1r",
            "--scheme",
            "2phase",
            "--rows",
            "4096",
            "--cols",
            "4096",
            "--random",
            "0",
            "--csv",
            str(tmp_path / "s.csv"),
        ]
    )
    assert res.exit_code == 2 and "GiB of memory" in res.output
    res = _run(["train", "--net", "64-100000000-10", "--csv", str(tmp_path / "t.csv")])
    assert res.exit_code == 2 and "GiB of memory" in res.output
    assert list(tmp_path.iterdir()) == []


def test_fifo_as_input_refused_not_hung(tmp_path: Path) -> None:
    fifo = tmp_path / "fit.json"
    os.mkfifo(fifo)
    res = _run(
        [
            "corners",
            "--rows",
            "2",
            "--cols",
            "2",
            "--csv",
            str(tmp_path / "c.csv"),
            "--fit",
            str(fifo),
        ]
    )
    assert res.exit_code == 2 and "not a regular file" in res.output
    res = _run(["gxnor", "--config", "/dev/zero", "--csv", str(tmp_path / "g.csv")])
    assert res.exit_code == 2 and "not a regular file" in res.output


def test_sneak_outputs_checked_before_work(tmp_path: Path) -> None:
    res = _run(
        [
            "sneak",
            "--crossbar",
            "1r",
            "--scheme",
            "2phase",
            "--rows",
            "64",
            "--cols",
            "64",
            "--random",
            "0",
            "--csv",
            str(tmp_path / "s.csv"),
            "--plot",
            str(tmp_path / "s.csv"),
        ]
    )
    assert res.exit_code == 2 and "two outputs" in res.output
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- 8. progress


@pytest.mark.ngspice
def test_progress_bar_on_stderr_and_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    import spinspice.cli._common as common
    from spinspice.analysis.runner import NgspiceSubprocess
    from spinspice.netlists.circuit import (
        GROUND,
        Circuit,
        Dc,
        OperatingPoint,
        Resistor,
        VoltageSource,
    )
    from spinspice.netlists.job import make_job

    buf = io.StringIO()
    monkeypatch.setattr(
        common, "_console", lambda stderr=False: Console(file=buf, force_terminal=True)
    )
    jobs = [
        make_job(
            Circuit(
                title="p",
                elements=(
                    VoltageSource("V1", "a", GROUND, Dc(1.0)),
                    Resistor("R1", "a", GROUND, r),
                ),
                analyses=(OperatingPoint(),),
            ),
            key=f"test/r{k}",
        )
        for k, r in enumerate((1e3, 2e3))
    ]
    res = common.ProgressEngine(NgspiceSubprocess(), label="corners", quiet=False).run(jobs)
    assert len(res) == 2 and "corners: test/r1" in buf.getvalue() and "2/2" in buf.getvalue()
    buf.truncate(0)
    common.ProgressEngine(NgspiceSubprocess(), label="corners", quiet=True).run(jobs)
    assert buf.getvalue() == ""
    for cmd in (["corners"], ["energy"], ["device", "psw"], ["gxnor"]):
        assert "--quiet" in _run([*cmd, "--help"]).output
    # device psw --model spice takes the simulator options of the other commands
    helptext = _run(["device", "psw", "--help"]).output
    for opt in ("--timeout", "--threads", "--keep-run-dir", "--backend"):
        assert opt in helptext


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["device", "psw", "--from", "AP", "--voltage", "1.0", "--widths", "1e-9",
          "--model", "llg", "--trials", "64"], "device psw: LLG Monte Carlo"),
        (["device", "fit", "--trials", "100"], "device fit: Monte Carlo"),
        (["sneak", "--crossbar", "1r", "--scheme", "2phase", "--rows", "8", "--cols", "8",
          "--random", "1"], "sneak 1r 2phase 8x8 intervals"),
    ],
)
def test_monte_carlo_commands_show_a_progress_bar(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], label: str
) -> None:
    """The non-simulator long runners (LLG P_sw, the fit's Monte Carlo, sneak's pulse
    intervals) draw a bar on stderr with done/total, and none under --quiet."""
    import io

    from rich.console import Console

    import spinspice.cli._common as common
    import spinspice.spintronic_cells.fit as fit_module

    if args[1] == "fit":  # a small fit: two runs per regime and direction
        real = fit_module.fit_behavioural
        monkeypatch.setattr(
            fit_module, "fit_behavioural",
            lambda *a, **k: real(*a, **{**k, "voltages_ap_to_p": (1.0, 1.2),
                                        "voltages_p_to_ap": (0.8, 1.0),
                                        "duration_s": 2e-9, "thermal_duration_s": 1e-9}),
        )
    csv = args[0] == "sneak" or args[1] == "psw"
    out = ["--csv", str(tmp_path / "p.csv")] if csv else ["-o", str(tmp_path / "f.json")]
    buf = io.StringIO()
    monkeypatch.setattr(
        common, "_console", lambda stderr=False: Console(file=buf, force_terminal=True)
    )
    assert _run([*args, *out]).exit_code == 0, buf.getvalue()
    text = buf.getvalue()
    assert label in text and "/" in text.split(label, 1)[1]
    buf.truncate(0)
    buf.seek(0)
    res = _run([*args, *out, "--quiet"])
    assert res.exit_code == 0 and label not in buf.getvalue()
