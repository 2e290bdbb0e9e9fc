"""Corner-case verification of 2T1R binary arrays (same table as the 4T2R checks).

The checks mirror :mod:`spinspice.analysis.corners` with binary weights ±1 decoded against
the per-row (ff) or per-column (bp) reference current (docs/2t1r.md):

* ``ff``/``bp``: only the corner's column (row) is driven; sign and |error| < 0.5 of one
  synapse's current against W·x (Wᵀ·y); ``error_lsb_loaded`` with random ±1 on every line;
* ``update``: the corner columns are updated (every cell of them pushed towards its other
  state with a 0.5·T_up pulse); every corner MTJ must switch exactly when its integrated
  switching progress (recomputed from the simulated voltages with the fitted law) reaches
  its own random threshold. The progress stops growing once a cell has switched, so no
  per-pulse probability is derived from it (``psw_model`` stays empty for 2T1R).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from spinspice.analysis.array_2t1r_ops import PROGRESS_TOLERANCE, run_2t1r_op, run_2t1r_update
from spinspice.analysis.corners import (
    CORNER_COLUMNS,
    OPERATIONS,
    Corner,
    corner_row,
    corners_of,
    read_checks,
    read_disturb_p,
    read_disturb_row,
)
from spinspice.analysis.runner import Engine
from spinspice.array_builder.array_2t1r import Array2T1RDesign, random_binary_weights
from spinspice.array_builder.array_4t2r import ReadPulse
from spinspice.errors import ParameterError
from spinspice.spintronic_cells.fit import BehaviouralFit

if TYPE_CHECKING:
    import pandas as pd


def _update(
    design: Array2T1RDesign,
    w: np.ndarray,
    corners: list[Corner],
    fit: BehaviouralFit,
    seed: int,
    engine: Engine,
) -> list[dict[str, Any]]:
    cols = sorted({c.n for c in corners})
    sign = np.zeros_like(w)
    sign[:, cols] = -w[:, cols]
    width = 0.5 * 2e-9
    res = run_2t1r_update(design, w, sign, width, seed=seed, fit=fit, engine=engine)
    rows = []
    for c in corners:
        wt = int(w[c.m, c.n])
        prog = float(res.progress[c.m, c.n])
        # near the threshold the edge timing decides: not counted
        near = abs(prog - 1.0) < PROGRESS_TOLERANCE
        agree = near or (prog >= 1.0) == bool(res.switched[c.m, c.n])
        rows.append(
            corner_row(
                "2t1r",
                design,
                c,
                "update",
                passed=bool(agree),
                switch_agrees=bool(agree),
                energy_J=res.energy_J,
                engine=res.engine,
                detail=f"columns {', '.join(str(n + 1) for n in cols)} updated; weight {wt:+d} -> "
                f"{int(res.final_weights[c.m, c.n]):+d}; progress/threshold {prog:.3g}",
            )
        )
    return rows


def check_corners_2t1r(
    design: Array2T1RDesign,
    fit: BehaviouralFit,
    *,
    operations: Sequence[str] = OPERATIONS,
    seed: int = 0,
    engine: Engine,
) -> pd.DataFrame:
    """Corner checks of a 2T1R array; one row per (corner, operation)."""
    import pandas as pd

    bad = set(operations) - set(OPERATIONS)
    if bad or not operations:
        raise ParameterError(f"unknown operations {sorted(bad)}; use {', '.join(OPERATIONS)}")
    w = random_binary_weights(design.rows, design.cols, seed)
    corners = corners_of(design.rows, design.cols)
    rd_p = read_disturb_p(fit, ReadPulse())
    rows: list[dict[str, Any]] = []
    for op in ("ff", "bp"):
        if op in operations:
            n_vec = design.cols if op == "ff" else design.rows
            loaded_vec = np.random.default_rng(seed + 7).choice([-1, 1], n_vec)
            rows += read_checks(
                "2t1r",
                design,
                w,
                op,
                corners,
                lambda d, ww, o, v: run_2t1r_op(d, ww, o, v, engine=engine),  # type: ignore[arg-type]
                loaded_vec,
                rd_p,
            )
    if "ff" in operations or "bp" in operations:
        rows.append(read_disturb_row("2t1r", design, rd_p))
    if "update" in operations:
        rows += _update(design, w, corners, fit, seed, engine)
    return pd.DataFrame(rows, columns=list(CORNER_COLUMNS))
