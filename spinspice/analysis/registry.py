"""The family registry: every cell family registered once, every command finds it here.

A :class:`Family` ties together what the pipeline needs of a cell family:

* ``make_design``: a validated design from a :class:`DesignSpec` (size, MOSFET
  technology, the device law of its MTJs) — so device values come from a preset or a
  fit, never from literals scattered through the builders;
* ``operations`` and ``jobs``: the simulation jobs of one operation
  (:class:`~spinspice.netlists.job.Job`; built in :mod:`spinspice.array_builder`);
* optional measures: ``corners`` (corner checks as a table), ``energy`` (one row of the
  energy/power/area table), ``plot_worst_corner``, ``decode_sweep``.

``spinspice corners|energy|netlist --cell`` take their choices from
:func:`spinspice.analysis.families.names`, with the capability they need; nothing
dispatches on a family's name or type elsewhere.

Families register themselves in the modules of :mod:`spinspice.analysis.families`, whose
``__init__`` imports them all and offers the lookups (so this module imports no family and
there is no import cycle). Adding a family: one module there plus one import line (see
``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from spinspice.array_builder.array_4t2r import MAX_ARRAY_SIDE
from spinspice.errors import ParameterError
from spinspice.netlists.job import Job
from spinspice.netlists.mtj_model import MTJModelKind
from spinspice.netlists.technology import MosfetTechnology
from spinspice.spintronic_cells.fit import BehaviouralFit

if TYPE_CHECKING:
    import pandas as pd

    from spinspice.analysis.runner import Engine, SimResult

def _shipped_fit() -> BehaviouralFit:
    from spinspice.spintronic_cells.fit import shipped_fit

    return shipped_fit()


#: What a command may ask of a family.
Capability = Literal["jobs", "corners", "energy", "sweep"]

#: Largest array side any family accepts from the command line (the array builders' bound).
MAX_SIDE = MAX_ARRAY_SIDE


@dataclass(frozen=True, slots=True, kw_only=True)
class DesignSpec:
    """What every family's design is made from.

    Attributes
    ----------
    rows, cols:
        Array size M×N (1..1024).
    technology:
        MOSFET models, corner and sizes.
    fit:
        The device law of the family's MTJs (a preset's fit or a user's): its R_P, TMR
        and switching law reach every netlist of the design.
    """

    rows: int
    cols: int
    technology: MosfetTechnology
    fit: BehaviouralFit

    def __post_init__(self) -> None:
        for name in ("rows", "cols"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SIDE:
                raise ParameterError(f"{name} must be an integer in 1..{MAX_SIDE}, got {v!r}")


#: (design, device fit, operation, seed, MTJ model kind) -> the jobs of that operation.
JobsBuilder = Callable[[Any, BehaviouralFit, str, int, MTJModelKind], list[Job]]
#: (design, fit, operation, seed, its jobs, their results) -> problems found (empty: the
#: simulated results are what the family expects).
GoldenCheck = Callable[
    [Any, BehaviouralFit, str, int, Sequence[Job], Sequence["SimResult"]], list[str]
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Family:
    """One registered cell family (module docstring).

    Attributes
    ----------
    name:
        The ``--cell`` value, e.g. ``4t2r``.
    title:
        One line for help texts.
    source:
        The seed paper and figure it implements.
    operations:
        Operations whose jobs :attr:`jobs` builds (``spinspice netlist --op``).
    make_design:
        The design from a :class:`DesignSpec`.
    jobs:
        The jobs of one operation.
    check_golden:
        Sanity check of an operation's simulated results (used by the golden-deck tests
        and after ``spinspice netlist`` exports): returns the problems found.
    golden_size:
        The (rows, cols) of the family's golden decks.
    corners:
        ``(design, fit, *, operations, seed, engine) -> DataFrame`` of corner checks.
    corner_operations:
        Operations :attr:`corners` accepts.
    energy:
        ``(design, fit, *, seed, engine, method) -> dict`` one energy-table row.
    energy_methods:
        ``method`` values :attr:`energy` accepts.
    plot_worst_corner:
        ``(design, seed, engine, target)``: waveform plot of the worst corner.
    decode_sweep:
        ``(make_design(size), sizes, *, seed, engine) -> DataFrame``: largest decoding size.
    mtj_models:
        MTJ model kinds its decks can use (``--mtj-model``).
    default_fit:
        The device law used when the user names none (seed 001 device C's shipped fit,
        unless the family's seed defines its own device).
    """

    name: str
    title: str
    source: str
    operations: tuple[str, ...]
    make_design: Callable[[DesignSpec], Any]
    jobs: JobsBuilder
    check_golden: GoldenCheck
    golden_size: tuple[int, int] = (2, 2)
    corners: Callable[..., pd.DataFrame] | None = None
    corner_operations: tuple[str, ...] = ()
    energy: Callable[..., dict[str, Any]] | None = None
    energy_methods: tuple[str, ...] = ("transient",)
    plot_worst_corner: Callable[..., Any] | None = None
    decode_sweep: Callable[..., pd.DataFrame] | None = None
    mtj_models: tuple[MTJModelKind, ...] = field(default=("behavioural", "osdi"))
    default_fit: Callable[[], BehaviouralFit] = field(default=_shipped_fit)

    def has(self, capability: Capability) -> bool:
        """True if the family offers ``capability``."""
        return {
            "jobs": True,
            "corners": self.corners is not None,
            "energy": self.energy is not None,
            "sweep": self.decode_sweep is not None,
        }[capability]

    def build_jobs(
        self,
        design: Any,
        fit: BehaviouralFit,
        operation: str,
        *,
        seed: int = 0,
        mtj_model: MTJModelKind = "behavioural",
    ) -> list[Job]:
        """The jobs of ``operation`` (validated against :attr:`operations`)."""
        if operation not in self.operations:
            raise ParameterError(
                f"family {self.name} has no operation {operation!r}; "
                f"use one of {', '.join(self.operations)}"
            )
        if mtj_model not in self.mtj_models:
            raise ParameterError(
                f"family {self.name} supports --mtj-model {', '.join(self.mtj_models)}"
            )
        return self.jobs(design, fit, operation, seed, mtj_model)

    def run_corners(
        self, design: Any, fit: BehaviouralFit, *, operations: Sequence[str], seed: int,
        engine: Engine,
    ) -> pd.DataFrame:
        """The family's corner checks (raises if it has none)."""
        if self.corners is None:
            raise ParameterError(f"family {self.name} has no corner checks")
        return self.corners(design, fit, operations=operations, seed=seed, engine=engine)


_REGISTRY: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` to the registry (its name must be new)."""
    if family.name in _REGISTRY and _REGISTRY[family.name] is not family:
        raise ValueError(f"family {family.name!r} is registered twice")
    _REGISTRY[family.name] = family
    return family


def registered() -> dict[str, Family]:
    """Every family registered so far, by name, in registration order.

    Use :func:`spinspice.analysis.families.names` / :func:`~spinspice.analysis.families.get`,
    which first import every family module.
    """
    return dict(_REGISTRY)
