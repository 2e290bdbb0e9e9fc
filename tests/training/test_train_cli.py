"""``spinspice train``: CSV columns, JSON summary, plot, one-line errors with exit code 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinspice.cli import cli


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["train", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_writes_csv_summary_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "run.csv"
    code, stdout, _ = run(
        "--dataset",
        "wbcd",
        "--net",
        "30-2",
        "--synapse",
        "mtj-1t1r",
        "--epochs",
        "2",
        "--seed",
        "3",
        "--csv",
        str(out),
        "--summary",
        str(tmp_path / "s.json"),
        "--plot",
        str(tmp_path / "acc.png"),
        "--quiet",
    )
    assert code == 0, stdout
    rows = rows_of(out)
    assert len(rows) == 2
    assert list(rows[0])[:4] == ["epoch", "train_loss", "train_acc", "test_acc"]
    assert [r["epoch"] for r in rows] == ["1", "2"]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["test_accuracy"] == pytest.approx(float(rows[-1]["test_acc"]))
    for key in ("synapse", "net", "dataset", "epochs", "seed", "effective_lr", "split", "r_rsd"):
        assert key in summary
    assert summary["seed"] == 3 and summary["synapse"] == "mtj-1t1r"
    assert (tmp_path / "acc.png").read_bytes()[:4] == b"\x89PNG"
    assert "test accuracy" in stdout
    leftovers = [p.name for p in tmp_path.rglob(".*.tmp")]
    assert leftovers == []


def test_cli_is_reproducible_and_sweeps(tmp_path: Path) -> None:
    args = [
        "--dataset",
        "wbcd",
        "--net",
        "30-2",
        "--synapse",
        "mtj-1r-2phase",
        "--epochs",
        "1",
        "--quiet",
        "--seeds",
        "2",
        "--sweep",
        "sneak_rate_2phase=0,0.1",
    ]
    assert (
        run(*args, "--csv", str(tmp_path / "a.csv"), "--summary", str(tmp_path / "a.json"))[0] == 0
    )
    assert run(*args, "--csv", str(tmp_path / "b.csv"))[0] == 0
    a = rows_of(tmp_path / "a.csv")
    b = rows_of(tmp_path / "b.csv")
    assert len(a) == 4 and list(a[0])[:2] == ["sneak_rate_2phase", "seed"]
    strip = [{k: v for k, v in r.items() if k != "wall_s"} for r in a]
    assert strip == [{k: v for k, v in r.items() if k != "wall_s"} for r in b]
    summary = json.loads((tmp_path / "a.json").read_text())
    assert summary["sweep_param"] == "sneak_rate_2phase"
    assert [row["sneak_rate_2phase"] for row in summary["sweep"]] == [0.0, 0.1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--net", "64-x-10"], "bad net spec"),
        (["--net", "64-100-3"], "10 outputs"),
        (["--epochs", "0"], "0"),
        (["--v-up", "-1"], "-1"),
        (["--t-up", "2n"], "2n"),
        (["--synapse", "pcm"], "pcm"),
        (["--dataset", "mnist"], "data-dir"),
        (["--sweep", "bogus=1"], "bogus"),
        (["--plot", "x.txt"], ".png"),
        (["--a", "0.9"], "window"),
        (["--temperature", "400"], "400"),
        (["--psw-table", "/no/such.csv"], "does not exist"),
        (["--synapse", "mtj-1t1r", "--net", "conv4x3-fc10"], "dense"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    code, out, err = run("--csv", str(tmp_path / "x.csv"), "--epochs", "1", "--quiet", *args)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "x.csv").exists()


def test_bad_sneak_table_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "s.json"
    bad.write_text("[1, 2]")
    code, _, err = run(
        "--csv",
        str(tmp_path / "x.csv"),
        "--dataset",
        "wbcd",
        "--net",
        "30-2",
        "--synapse",
        "mtj-1r-2phase",
        "--epochs",
        "1",
        "--quiet",
        "--sneak-table",
        str(bad),
    )
    assert code == 2
    assert "JSON object" in err
    assert len(err.strip().splitlines()) == 1


def test_help_names_units() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for word in ("seconds", "volts", "kelvin", "--synapse", "--summary", "--plot"):
        assert word in out


def test_mnist_from_user_idx_files(tmp_path: Path) -> None:
    import numpy as np

    from spinspice.training.data import write_idx

    rng = np.random.default_rng(0)
    d = tmp_path / "idx"
    d.mkdir()
    for stem, n in (("train", 40), ("t10k", 20)):
        y = (np.arange(n) % 10).astype(np.uint8)
        x = rng.integers(0, 30, size=(n, 5, 5)).astype(np.uint8)
        x[np.arange(n), y // 5, y % 5] = 255
        write_idx(d / f"{stem}-images-idx3-ubyte", x)
        write_idx(d / f"{stem}-labels-idx1-ubyte", y, compress=True)
    for f in d.glob("*labels*"):
        f.rename(f.with_name(f.name + ".gz"))
    code, _, err = run(
        "--dataset", "mnist", "--data-dir", str(d), "--net", "25-10", "--synapse", "float",
        "--epochs", "30", "--lr", "0.05", "--quiet", "--csv", str(tmp_path / "m.csv"),
        "--summary", str(tmp_path / "m.json"),
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads((tmp_path / "m.json").read_text())
    assert summary["n_train"] == 40 and summary["n_test"] == 20
    assert summary["test_accuracy"] > 0.5  # the class pixel makes it separable; chance 0.1
