"""Files of a training run: per-epoch CSV, JSON summary, accuracy plot (all atomic).

CSV columns (one row per epoch and run, tidy): ``epoch, train_loss, train_acc, test_acc,
wall_s, weight_changes, device_switches`` and, for sweeps, ``seed`` and the swept setting
in front. Accuracies are fractions in [0, 1]; ``wall_s`` is in seconds. Files are written
to a temporary sibling and moved into place (:func:`spinspice.analysis.tables.write_atomic`).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from spinspice.analysis.tables import write_atomic
from spinspice.training.loop import EpochRecord, TrainingResult

__all__ = ["EPOCH_COLUMNS", "epoch_rows", "plot_curves", "write_epochs_csv", "write_summary"]

#: Per-epoch CSV columns, in order.
EPOCH_COLUMNS: Final = (
    "epoch",
    "train_loss",
    "train_acc",
    "test_acc",
    "wall_s",
    "weight_changes",
    "device_switches",
)


def epoch_rows(records: Sequence[EpochRecord], **prefix: Any) -> list[dict[str, Any]]:
    """One dict per epoch with ``prefix`` columns (e.g. ``seed=0, r_rsd=0.05``) first."""
    out: list[dict[str, Any]] = []
    for rec in records:
        row: dict[str, Any] = dict(prefix)
        d = asdict(rec)
        row.update({k: d[k] for k in EPOCH_COLUMNS})
        out.append(row)
    return out


def write_epochs_csv(rows: Sequence[dict[str, Any]], target: Path | str) -> Path:
    """Write the per-epoch rows (all with the same keys) as CSV, atomically."""
    if not rows:
        raise ValueError("no rows to write")
    fields = list(rows[0])

    def _write(p: Path) -> None:
        with p.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({k: (f"{v:.9g}" if isinstance(v, float) else v) for k, v in r.items()})

    return write_atomic(target, _write)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if hasattr(x, "item") and callable(x.item):  # numpy scalars
        return _jsonable(x.item())
    return x


def write_summary(summary: dict[str, Any], target: Path | str) -> Path:
    """Write the summary dict as indented JSON with sorted keys, atomically."""
    text = json.dumps(_jsonable(summary), indent=2, sort_keys=True) + "\n"
    return write_atomic(target, lambda p: p.write_text(text))


def _save_accuracy_plot(fig: Any, ax: Any, target: Path | str, ylabel: str, title: str) -> Path:
    """Label, title and legend of an accuracy-vs-epoch plot; write it atomically in the
    format of ``target``'s suffix (png, pdf, svg)."""
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fmt = Path(target).suffix.lstrip(".").lower() or "png"
    return write_atomic(target, lambda p: fig.savefig(p, format=fmt))


def plot_curves(
    runs: Sequence[tuple[str, TrainingResult]], target: Path | str, *, title: str = ""
) -> Path:
    """Accuracy (%) versus epoch: test (solid) and train (dashed) for each labelled run.

    The image format comes from the suffix of ``target`` (png, pdf, svg).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    try:
        for i, (label, res) in enumerate(runs):
            ep = [r.epoch for r in res.records]
            color = f"C{i % 10}"
            ax.plot(ep, [100 * r.test_acc for r in res.records], color=color, label=f"{label} test")
            ax.plot(
                ep,
                [100 * r.train_acc for r in res.records],
                color=color,
                ls="--",
                alpha=0.6,
                label=f"{label} train",
            )
        return _save_accuracy_plot(fig, ax, target, "accuracy (%)", title)
    finally:
        plt.close(fig)


def plot_curves_mean(
    groups: Sequence[tuple[str, Sequence[TrainingResult]]],
    target: Path | str,
    *,
    title: str = "",
) -> Path:
    """Accuracy (%) versus epoch, mean over the seeds of each group with a ±1 standard
    deviation band (test solid with band, train dashed), one colour per group.

    Runs of a group are cut to the shortest of them (all have the same epochs normally).
    """
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    try:
        for i, (label, results) in enumerate(groups):
            n = min(len(r.records) for r in results)
            ep = [r.epoch for r in results[0].records[:n]]
            test = 100 * np.array([[r.test_acc for r in res.records[:n]] for res in results])
            train = 100 * np.array([[r.train_acc for r in res.records[:n]] for res in results])
            color = f"C{i % 10}"
            mean, std = test.mean(axis=0), test.std(axis=0)
            ax.plot(ep, mean, color=color, label=f"{label} test (mean of {len(results)})")
            ax.fill_between(ep, mean - std, mean + std, color=color, alpha=0.2, lw=0)
            ax.plot(ep, train.mean(axis=0), color=color, ls="--", alpha=0.6, label=f"{label} train")
        return _save_accuracy_plot(fig, ax, target, "accuracy (%), mean ± 1 s.d. over seeds", title)
    finally:
        plt.close(fig)
