"""Wire parasitics and the layout (area) model of synapse arrays.

Wire model
----------
Each array line is cut into one segment per cell pitch, a series resistor and a capacitor
to ground (``CellArray`` in :mod:`spinspice.netlists.circuit`). The array lines carry the
summed current of a whole row or column, so they are routed on an intermediate metal at
twice the minimum width: 100 nm × 200 nm copper with an effective resistivity of
≈ 2.5 µΩ·cm including barrier and size effects gives ≈ 1.25 Ω/µm (default), with
≈ 0.2 fF/µm total capacitance (ITRS interconnect tables for the 28 nm node give the same
order). A minimum-width lower-level line (45 nm × 90 nm, ≈ 4.5 µΩ·cm) is ≈ 11 Ω/µm:
:data:`MIN_WIDTH_WIRE`. Both values are parameters: set your own.

Layout model
------------
A transistor's footprint is its width plus one feature size on each side (diffusion
edge) times its length plus two contacted diffusion strips of 2F each:
``(W + 2F)·(L + 4F)``; the MTJs sit on vias above the transistors and add no area. The
cell's devices are multiplied by a routing overhead (default 3, for the four column and
five row lines each cell must carry at metal pitch) and the cell is taken square, so its
pitch is the square root of its area. Everything is in SI units with the feature size F as
a parameter (default 28 nm).
"""

from __future__ import annotations

from dataclasses import dataclass

from spinspice.errors import ParameterError, require_positive


@dataclass(frozen=True, slots=True, kw_only=True)
class WireModel:
    """Per-unit-length wire parasitics.

    Parameters
    ----------
    r_per_m_ohm:
        Line resistance, Ω/m. Default 1.25e6 Ω/m (1.25 Ω/µm), see module docstring.
    c_per_m_F:
        Line capacitance to ground, F/m. Default 2e-10 F/m (0.2 fF/µm).
    """

    r_per_m_ohm: float = 1.25e6
    c_per_m_F: float = 2e-10

    def __post_init__(self) -> None:
        require_positive("r_per_m_ohm", self.r_per_m_ohm)
        require_positive("c_per_m_F", self.c_per_m_F)

    def segment(self, length_m: float) -> tuple[float, float]:
        """(R in Ω, C in F) of one segment of ``length_m``."""
        require_positive("segment length", length_m)
        return self.r_per_m_ohm * length_m, self.c_per_m_F * length_m


#: Minimum-width lower-level copper line at 28 nm (see module docstring).
MIN_WIDTH_WIRE = WireModel(r_per_m_ohm=1.1e7, c_per_m_F=2e-10)


@dataclass(frozen=True, slots=True, kw_only=True)
class LayoutModel:
    """Area of a cell from its transistors (see module docstring).

    Parameters
    ----------
    feature_size_m:
        F, m. Default 28 nm.
    routing_overhead:
        Cell area / sum of transistor footprints. Default 3.
    """

    feature_size_m: float = 28e-9
    routing_overhead: float = 3.0

    def __post_init__(self) -> None:
        require_positive("feature_size_m", self.feature_size_m)
        if not isinstance(self.routing_overhead, int | float) or self.routing_overhead < 1:
            raise ParameterError(f"routing_overhead must be >= 1, got {self.routing_overhead!r}")

    def transistor_area_m2(self, w_m: float, l_m: float) -> float:
        """Footprint ``(W + 2F)·(L + 4F)`` of one transistor, m²."""
        f = self.feature_size_m
        return (w_m + 2 * f) * (l_m + 4 * f)

    def cell_area_m2(self, transistors: list[tuple[float, float]]) -> float:
        """Area of a cell made of ``transistors`` ((W, L) pairs in m), m²."""
        return self.routing_overhead * sum(self.transistor_area_m2(w, ln) for w, ln in transistors)

    def cell_area_F2(self, transistors: list[tuple[float, float]]) -> float:
        """The same area in units of F²."""
        return self.cell_area_m2(transistors) / self.feature_size_m**2
