"""``spinspice dw``: exact CSV columns (public contract) and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.cli import cli


def _run(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(cli, args)
    return res.exit_code, res.output


@pytest.mark.parametrize(
    "args",
    [
        ["dw", "synapse", "--widths", "1e-9,abc"],
        ["dw", "synapse", "--widths", "1e-9,1Meg"],
        ["dw", "crossbar", "--rows", "0"],
        ["dw", "vote", "--ratios", "0.9"],
        ["dw", "recurrent", "--cycles", "0"],
    ],
)
def test_bad_input_is_a_one_line_error_with_exit_code_2(args: list[str], tmp_path: Path) -> None:
    code, out = _run([*args, "--csv", str(tmp_path / "o.csv")])
    assert code == 2, out
    assert "Traceback" not in out


@pytest.mark.ngspice
@pytest.mark.parametrize(
    ("args", "columns"),
    [
        (["dw", "synapse", "--pulses", "3", "--widths", "1e-9"], ["pulse", "width_s", "x", "g_S"]),
        (["dw", "adc", "--points", "16"], ["i_in_A", "code"]),
        (["dw", "recurrent", "--cycles", "4"], ["cycle", "x", "expected_x", "output"]),
        (
            ["dw", "vote", "--inputs", "3", "--ratios", "2"],
            ["trial", "winner_expected", "winner_simulated", "margin_s"],
        ),
        (
            ["dw", "crossbar", "--rows", "4", "--cols", "3", "--vectors", "5"],
            ["vector", "col", "i_out_A", "i_ideal_A", "error_lsb"],
        ),
    ],
)
def test_commands_write_the_promised_columns(
    args: list[str], columns: list[str], tmp_path: Path
) -> None:
    csv = tmp_path / "out.csv"
    code, out = _run(
        [*args, "--csv", str(csv), "--osdi-cache", str(tmp_path)]
        if "vote" not in args
        else [*args, "--csv", str(csv)]
    )
    assert code == 0, out
    df = pd.read_csv(csv)
    assert list(df.columns[: len(columns)]) == columns
    assert len(df) > 0
