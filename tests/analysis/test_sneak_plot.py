"""Sneak heat maps (issue 12, class 8): colour scale from the unselected cells, selected
cells marked, axes numbered from 1 like the CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spinspice.analysis.sneak import analyse, heatmap_scale_V, plot_heatmaps
from spinspice.array_builder.crossbar import CrossbarDesign, random_inputs


def test_heatmap_scale_from_unselected_cells(tmp_path: Path) -> None:
    x, delta, st = random_inputs(8, 8, 0)
    result = analyse(CrossbarDesign(architecture="1r", rows=8, cols=8), x, delta, st, "2phase")
    unsel = max(float(np.abs(p.v_cell_V[~p.phase.selected]).max()) for p in result.phases)
    allc = max(float(np.abs(p.v_cell_V).max()) for p in result.phases)
    assert heatmap_scale_V(result) == unsel <= allc
    out = plot_heatmaps(result, tmp_path / "s.png")
    assert out.stat().st_size > 10_000
