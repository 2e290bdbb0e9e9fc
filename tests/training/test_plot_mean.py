"""train plots mean ± spread over seeds (issue 12, class 8)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from spinspice.cli import cli


def test_train_plot_over_seeds(tmp_path: Path) -> None:
    png = tmp_path / "t.png"
    res = CliRunner().invoke(
        cli,
        [
            "train",
            "--epochs",
            "2",
            "--seeds",
            "2",
            "--quiet",
            "--csv",
            str(tmp_path / "t.csv"),
            "--plot",
            str(png),
        ],
    )
    assert res.exit_code == 0, res.output
    assert png.stat().st_size > 10_000 and "mean of 2 seeds" in res.output
