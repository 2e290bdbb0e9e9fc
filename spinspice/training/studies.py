"""Sweeps over one setting and several seeds (seed 001 Tables 5–7, the V_up study).

:func:`run_sweep` trains one network per (value, seed) with every other setting fixed and
returns the runs plus a table with one row per value: mean and sample standard deviation
of the final test accuracy over the seeds. The sweepable settings are :data:`SWEEPABLE`
(the names of :class:`~spinspice.training.loop.TrainingConfig` fields):

==================  ======================================  ==============================
setting             study                                   seed 001
==================  ======================================  ==============================
``r_rsd``           device-to-device resistance variation   Table 5, left column
``theta0_rsd``      device-to-device θ0 variation           Table 5, right column
``theta0``          θ0 of every device, rad                 Table 6
``temperature_K``   θ0(T), R_off(T) of the device, K        Table 7 (260–373 K)
``v_up_V``          update voltage, V                       §5.4.2 (0.5–2.5 V)
``t_up_s``          update period, s                        (calibration of P_sw(T_up))
``leak_prob``       leakage flips                           §4.4.2
``sneak_rate_2phase``, ``sneak_rate_4phase``, ``lr``, ``m``  (other studies)
==================  ======================================  ==============================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from spinspice.errors import ParameterError
from spinspice.training.data import Dataset, load_dataset
from spinspice.training.loop import EpochRecord, TrainingConfig, TrainingResult, train

__all__ = ["SWEEPABLE", "SweepResult", "SweepRow", "parse_sweep", "run_sweep"]

#: Settings :func:`run_sweep` accepts.
SWEEPABLE: Final = (
    "r_rsd",
    "theta0_rsd",
    "theta0",
    "temperature_K",
    "v_up_V",
    "t_up_s",
    "leak_prob",
    "sneak_rate_2phase",
    "sneak_rate_4phase",
    "lr",
    "m",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepRow:
    """Test accuracy at one value of the swept setting, over the seeds.

    Attributes
    ----------
    value:
        Value of the swept setting (in the unit of its name).
    mean_test_accuracy, std_test_accuracy:
        Mean and sample standard deviation (0 for one seed) of the final test accuracy.
    seeds:
        Seeds used.
    """

    value: float
    mean_test_accuracy: float
    std_test_accuracy: float
    seeds: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepResult:
    """All runs of a sweep and the per-value table."""

    param: str
    runs: tuple[tuple[float, TrainingResult], ...]
    rows: tuple[SweepRow, ...]

    def table(self) -> list[dict[str, Any]]:
        """Rows as dicts (``<param>, mean_test_accuracy, std_test_accuracy, n_seeds``)."""
        return [
            {
                self.param: r.value,
                "mean_test_accuracy": r.mean_test_accuracy,
                "std_test_accuracy": r.std_test_accuracy,
                "n_seeds": len(r.seeds),
            }
            for r in self.rows
        ]


def parse_sweep(text: str) -> tuple[str, tuple[float, ...]]:
    """Parse ``NAME=V1,V2,...`` (NAME in :data:`SWEEPABLE`, values plain SI numbers).

    Raises
    ------
    ParameterError
        Unknown setting, empty or non-numeric values.
    """
    name, sep, values = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in SWEEPABLE:
        raise ParameterError(
            f"sweep {text!r}: use NAME=V1,V2,... with NAME one of {', '.join(SWEEPABLE)}"
        )
    try:
        vals = tuple(float(v) for v in values.split(",") if v.strip())
    except ValueError:
        raise ParameterError(f"sweep {text!r}: values must be plain numbers") from None
    if not vals or not all(math.isfinite(v) for v in vals):
        raise ParameterError(f"sweep {text!r}: give at least one finite value")
    return name, vals


def _with(base: TrainingConfig, param: str, value: float, seed: int) -> TrainingConfig:
    changes: dict[str, Any] = {param: value, "seed": seed}
    return replace(base, **changes)


def run_sweep(
    base: TrainingConfig,
    param: str,
    values: Sequence[float],
    seeds: Sequence[int],
    *,
    dataset: Dataset | None = None,
    on_run: Callable[[float, int, TrainingResult], None] | None = None,
    progress: Callable[[int, int, EpochRecord], None] | None = None,
) -> SweepResult:
    """Train ``base`` with ``param`` set to each value, once per seed.

    Every configuration is validated before the first run, so a bad value fails fast.
    """
    if param not in SWEEPABLE:
        raise ParameterError(f"cannot sweep {param!r}; choose one of {', '.join(SWEEPABLE)}")
    if not values or not seeds:
        raise ParameterError("a sweep needs at least one value and one seed")
    configs = [[_with(base, param, float(v), int(s)) for s in seeds] for v in values]
    data = dataset or load_dataset(base.dataset, split_seed=base.split_seed, data_dir=base.data_dir)
    runs: list[tuple[float, TrainingResult]] = []
    rows: list[SweepRow] = []
    for v, cfgs in zip(values, configs, strict=True):
        accs: list[float] = []
        for cfg in cfgs:
            res = train(cfg, dataset=data, progress=progress)
            runs.append((float(v), res))
            accs.append(res.test_accuracy)
            if on_run is not None:
                on_run(float(v), cfg.seed, res)
        mean = sum(accs) / len(accs)
        std = (
            math.sqrt(sum((a - mean) ** 2 for a in accs) / (len(accs) - 1))
            if len(accs) > 1
            else 0.0
        )
        rows.append(
            SweepRow(
                value=float(v),
                mean_test_accuracy=mean,
                std_test_accuracy=std,
                seeds=tuple(int(s) for s in seeds),
            )
        )
    return SweepResult(param=param, runs=tuple(runs), rows=tuple(rows))
