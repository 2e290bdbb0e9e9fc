"""Every command with random option values (issue 12): the exit code is 0, 1 or 2, there
is never a traceback, and a command that exits 2 leaves no output file behind.

Each generated invocation carries at least one value that must fail validation (NaN, an
empty list item, a device as output, an unknown choice ...), so the commands stop before
any simulation and the test stays fast; a few tiny valid invocations run for real.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinspice.cli import cli
from spinspice.cli._common import FiniteFloat


def _leaves(
    cmd: click.Command, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    if isinstance(cmd, click.Group):
        out = []
        for name in sorted(cmd.commands):
            out += _leaves(cmd.commands[name], (*path, name))
        return out
    return [(path, cmd)]


COMMANDS = [(p, c) for p, c in _leaves(cli) if p and p[0] not in ("doctor",)]

BAD_FLOATS = ["nan", "inf", "-inf", "NaN", "1e309", "abc", "", "1Meg", "0x10"]
GOOD_FLOATS = ["0", "-1", "1e-9", "0.1", "1", "3.3", "1e3"]
BAD_INTS = ["abc", "", "1.5", "-99999999999", "1e3"]
GOOD_INTS = ["0", "1", "2", "4", "-1"]
BAD_TEXT = ["1e-9,,2e-9", ",", "nan,1", "4x", "x4x4", "\n", "a b", "../../etc", "*#shell id"]
GOOD_TEXT = ["4", "1e-9", "2x2", "4,8", "tt", "ff", "1"]
BAD_PATHS = ["/dev/null", "/proc/self/fd/1", ".", "missing/dir/x.cfg", "-", "out.txt", "fifo"]
GOOD_PATHS = ["out.csv", "plot.png", "sum.json", "sub/out.csv"]


def _values(param: click.Parameter, bad: bool) -> list[str]:
    t = param.type
    if isinstance(t, click.Choice):
        # --backend pyspice runs ngspice inside this process, where no alarm can stop it
        return ["bogus", "", "TT"] if bad else [str(c) for c in t.choices if c != "pyspice"]
    if isinstance(t, FiniteFloat | click.types.FloatParamType):
        return BAD_FLOATS if bad else GOOD_FLOATS
    if isinstance(t, click.types.IntParamType):
        return BAD_INTS if bad else GOOD_INTS
    if isinstance(t, click.Path):
        return BAD_PATHS if bad else GOOD_PATHS
    return BAD_TEXT if bad else GOOD_TEXT


@st.composite
def invocations(draw: st.DrawFn) -> list[str]:
    path, cmd = draw(st.sampled_from(COMMANDS))
    opts = [p for p in cmd.params if isinstance(p, click.Option) and p.name not in ("help",)]
    valued = [p for p in opts if not p.is_flag]
    assert valued, path
    args = list(path)
    required = [p for p in valued if p.required]
    chosen = draw(st.lists(st.sampled_from(opts), max_size=4, unique_by=lambda p: p.name))
    bad_one = draw(st.sampled_from(valued))
    seen: set[str | None] = set()
    for p in [*required, *chosen, bad_one]:
        if p.name in seen and p is not bad_one:
            continue
        seen.add(p.name)
        flag = max(p.opts, key=len)
        if p.is_flag:
            args.append(flag)
            continue
        args += [flag, draw(st.sampled_from(_values(p, p is bad_one)))]
    return args


#: Artefacts of a compiled-model cache the command line pointed into the work directory
#: (``dw --osdi-cache .``): a cache, not an output.
CACHE_SUFFIXES = (".osdi", ".sha256", ".lock")


def _files(d: Path) -> set[Path]:
    return {
        p
        for p in d.rglob("*")
        if (p.is_file() or p.is_fifo()) and not p.name.endswith(CACHE_SUFFIXES)
    }


#: Wall-clock budget of one invocation, s: past it the command is doing real work (its
#: arguments passed validation), and is stopped (ngspice killed, run directory removed).
BUDGET_S = 2.0


class OutOfBudget(BaseException):
    """Raised by the alarm inside a command that runs longer than :data:`BUDGET_S`."""


def _out_of_budget(_signum: int, _frame: object) -> None:
    raise OutOfBudget


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=invocations())
def test_fuzz_every_command(workdir: Path, args: list[str]) -> None:
    fifo = workdir / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    before = _files(workdir)
    previous = signal.signal(signal.SIGALRM, _out_of_budget)
    signal.setitimer(signal.ITIMER_REAL, BUDGET_S)
    try:
        res = CliRunner().invoke(cli, args)
    except OutOfBudget:
        return  # valid enough to start real work: that is not what this test is about
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert res.exit_code in (0, 1, 2), (args, res.output)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, res.exception)
    assert "Traceback" not in res.output, (args, res.output)
    if res.exit_code == 2:
        assert _files(workdir) == before, (args, res.output)


def test_fuzz_covers_every_command() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    for expected in ("gxnor", "corners", "energy", "device psw", "sneak", "train", "netlist"):
        assert any(n == expected or n.startswith(expected) for n in names), expected


@pytest.mark.ngspice
@pytest.mark.parametrize(
    "args",
    [
        ["gxnor", "--csv", "g.csv"],
        ["device", "psw", "--from", "AP", "--voltage", "1", "--widths", "1e-9", "--csv", "p.csv"],
        ["netlist", "--cell", "4t2r", "--op", "ff", "--rows", "2", "--cols", "2", "--out", "n"],
    ],
)
def test_tiny_valid_runs(workdir: Path, args: list[str]) -> None:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code in (0, 1), res.output
    assert "Traceback" not in res.output
    assert _files(workdir)
