"""Typed circuit description: the layer between cells/arrays and netlist text.

Cells and arrays (``spinspice.array_builder``) build these frozen dataclasses; only
:mod:`spinspice.netlists.render` turns them into ngspice text. Every field is validated
on construction — identifiers by :func:`~spinspice.netlists.values.check_identifier`,
numbers must be finite reals (they are written by
:func:`~spinspice.netlists.values.format_number`) — so nothing a user types can reach a
netlist except through these checks.

Units are SI: ohm, farad, volt, second, metre. Node ``"0"`` is ground.

Sign conventions follow SPICE: a voltage source ``V n+ n-`` sets V(n+) − V(n-); its
branch current ``i(Vname)`` is positive when current flows *into* ``n+`` through the
source, i.e. a source delivering power has a negative branch current.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from spinspice.errors import NetlistError
from spinspice.netlists.values import SAFE_PATH_RE, check_element_name, check_identifier

GROUND = "0"

#: Largest array side a CellArray describes (our choice: 4096² cells is ~17 M elements,
#: far beyond what a simulator handles).
MAX_ARRAY_SIDE: Final = 4096
#: Absolute zero, °C.
ABSOLUTE_ZERO_C: Final = -273.15
#: Hottest circuit temperature accepted, °C (our choice: a sanity bound, not a model limit).
MAX_TEMPERATURE_C: Final = 1000.0


def check_node(node: str) -> str:
    """Validate a node name: ``"0"`` (ground) or a safe identifier."""
    if node == GROUND:
        return node
    return check_identifier(node, what="node name")


@dataclass(frozen=True, slots=True)
class Param:
    """Reference to a subcircuit parameter, written as ``{name}`` in the netlist."""

    name: str

    def __post_init__(self) -> None:
        check_identifier(self.name, what="parameter name")


#: A number (SI units) or a reference to a subcircuit parameter.
Value = float | Param


def _check_value(value: Value, what: str, *, positive: bool = False) -> Value:
    if isinstance(value, Param):
        return value
    return _check_real(value, what, positive=positive)


def _check_real(value: float, what: str, *, positive: bool = False, nonneg: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NetlistError(f"{what} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise NetlistError(f"{what} must be finite, got {v!r}")
    if positive and v <= 0:
        raise NetlistError(f"{what} must be > 0, got {v!r}")
    if nonneg and v < 0:
        raise NetlistError(f"{what} must be >= 0, got {v!r}")
    return v


def check_path(path: Path | str, what: str = "file") -> Path:
    """Validate a path that will be written into a netlist (absolute, safe characters, exists)."""
    p = Path(path).expanduser().resolve()
    if not SAFE_PATH_RE.match(str(p)):
        raise NetlistError(
            f"{what} path {str(p)!r} contains characters not allowed in a netlist; "
            "use letters, digits and _ . / + - only (no spaces or quotes)"
        )
    if not p.is_file():
        raise NetlistError(f"{what} {str(p)!r} does not exist or is not a file")
    return p


def _check_params(params: Mapping[str, float], what: str) -> dict[str, float]:
    return {
        check_identifier(k, what=f"{what} parameter name"): _check_real(v, f"{what} parameter {k}")
        for k, v in params.items()
    }


def _check_instance_params(params: Mapping[str, Value], what: str) -> dict[str, Value]:
    return {
        check_identifier(k, what=f"{what} parameter name"): _check_value(v, f"{what} parameter {k}")
        for k, v in params.items()
    }


# --------------------------------------------------------------------------- waveforms


@dataclass(frozen=True, slots=True)
class Dc:
    """A constant value (V or A)."""

    value: Value

    def __post_init__(self) -> None:
        _check_value(self.value, "DC value")


@dataclass(frozen=True, slots=True)
class Pulse:
    """SPICE ``PULSE(v1 v2 td tr tf pw per)``; times in s, levels in V or A."""

    v1: float
    v2: float
    delay_s: float
    rise_s: float
    fall_s: float
    width_s: float
    period_s: float

    def __post_init__(self) -> None:
        _check_real(self.v1, "pulse v1")
        _check_real(self.v2, "pulse v2")
        _check_real(self.delay_s, "pulse delay", nonneg=True)
        _check_real(self.rise_s, "pulse rise time", positive=True)
        _check_real(self.fall_s, "pulse fall time", positive=True)
        _check_real(self.width_s, "pulse width", nonneg=True)
        _check_real(self.period_s, "pulse period", positive=True)


@dataclass(frozen=True, slots=True)
class Pwl:
    """Piece-wise linear waveform: ``points`` is a tuple of (time_s, value) pairs."""

    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        if len(self.points) < 1:
            raise NetlistError("a PWL waveform needs at least one (time, value) point")
        last = -math.inf
        for t, v in self.points:
            _check_real(t, "PWL time", nonneg=True)
            _check_real(v, "PWL value")
            if t <= last:
                raise NetlistError("PWL times must be strictly increasing")
            last = t


Waveform = Dc | Pulse | Pwl


# --------------------------------------------------------------------------- elements


@dataclass(frozen=True, slots=True)
class Resistor:
    """Linear resistor ``R name n1 n2 value`` (ohm)."""

    name: str
    n1: str
    n2: str
    resistance_ohm: Value
    kind: Literal["R"] = field(default="R", init=False)

    def __post_init__(self) -> None:
        check_element_name(self.name, "R")
        check_node(self.n1)
        check_node(self.n2)
        _check_value(self.resistance_ohm, f"resistance of {self.name}", positive=True)


@dataclass(frozen=True, slots=True)
class Capacitor:
    """Linear capacitor (F), optional initial condition ``ic_V``."""

    name: str
    n1: str
    n2: str
    capacitance_F: Value
    ic_V: float | None = None
    kind: Literal["C"] = field(default="C", init=False)

    def __post_init__(self) -> None:
        check_element_name(self.name, "C")
        check_node(self.n1)
        check_node(self.n2)
        _check_value(self.capacitance_F, f"capacitance of {self.name}", positive=True)
        if self.ic_V is not None:
            _check_real(self.ic_V, f"initial voltage of {self.name}")


@dataclass(frozen=True, slots=True)
class VoltageSource:
    """Independent voltage source ``V name n+ n- waveform``."""

    name: str
    n_plus: str
    n_minus: str
    waveform: Waveform
    kind: Literal["V"] = field(default="V", init=False)

    def __post_init__(self) -> None:
        check_element_name(self.name, "V")
        check_node(self.n_plus)
        check_node(self.n_minus)
        if not isinstance(self.waveform, Dc | Pulse | Pwl):
            raise NetlistError(f"waveform of {self.name} must be Dc, Pulse or Pwl")


@dataclass(frozen=True, slots=True)
class Mosfet:
    """MOSFET instance ``M name d g s b model W= L=`` (m).

    ``element`` is ``"M"`` for a ``.model`` card, ``"X"`` for foundry models wrapped in a
    subcircuit (then the instance name must start with ``X``).
    """

    name: str
    drain: str
    gate: str
    source: str
    bulk: str
    model: str
    w_m: Value
    l_m: Value
    element: Literal["M", "X"] = "M"
    kind: Literal["M"] = field(default="M", init=False)

    def __post_init__(self) -> None:
        check_element_name(self.name, self.element)
        for n in (self.drain, self.gate, self.source, self.bulk):
            check_node(n)
        check_identifier(self.model, what="MOSFET model name")
        _check_value(self.w_m, f"W of {self.name}", positive=True)
        _check_value(self.l_m, f"L of {self.name}", positive=True)


@dataclass(frozen=True, slots=True)
class SubcktInstance:
    """Subcircuit instance ``X name nodes... subckt [params: k=v ...]``."""

    name: str
    nodes: tuple[str, ...]
    subckt: str
    params: Mapping[str, Value] = field(default_factory=dict)
    kind: Literal["X"] = field(default="X", init=False)

    def __post_init__(self) -> None:
        check_element_name(self.name, "X")
        for n in self.nodes:
            check_node(n)
        check_identifier(self.subckt, what="subcircuit name")
        object.__setattr__(self, "params", _check_instance_params(self.params, self.name))


@dataclass(frozen=True, slots=True)
class OsdiInstance:
    """Instance of a compiled Verilog-A (OSDI) model: ``N name nodes... model k=v ...``."""

    name: str
    nodes: tuple[str, ...]
    model: str
    params: Mapping[str, Value] = field(default_factory=dict)
    kind: Literal["N"] = field(default="N", init=False)

    def __post_init__(self) -> None:
        check_element_name(self.name, "N")
        for n in self.nodes:
            check_node(n)
        check_identifier(self.model, what="OSDI model name")
        object.__setattr__(self, "params", _check_instance_params(self.params, self.name))


@dataclass(frozen=True, slots=True)
class CellArray:
    """A regular M×N array of subcircuit cells with distributed wire parasitics.

    Rendered by loops in the template (no per-element Python objects), so a 128×128
    array of 4T2R cells (≈ 300 000 elements) renders in about a second.

    Geometry and naming (1-based cell indices m = 1..rows, n = 1..cols):

    * a *column line* ``L`` (e.g. an input u1) runs down column n; its node at row m is
      ``{name}_{L}_{m}_{n}`` and its driver end is row 0 (``col_end(L, n)``);
      segment (m, n) joins rows m−1 and m: resistor ``R{name}_{L}_{m}_{n}`` of
      ``col_r_ohm`` and capacitor ``C{name}_{L}_{m}_{n}`` of ``col_c_F`` to ground at row m;
    * a *row line* ``L`` (e.g. a control or the output) runs along row m; its node at
      column n is ``{name}_{L}_{m}_{n}`` and its driver/sense end is column cols+1
      (``row_end(L, m)``); segment (m, n) joins columns n and n+1 with ``row_r_ohm`` and
      ``row_c_F`` (capacitor at column n);
    * cell (m, n) is ``X{name}_{m}_{n}`` of subcircuit ``cell`` with ports ``ports``,
      each a column line, a row line or a global node name, and per-cell numeric
      parameters ``cell_params[k][m-1][n-1]``.

    Hence the cell at row ``rows``, column 1 is the farthest from every driver (the
    worst case of seed 001 §5.2.1).
    """

    name: str
    rows: int
    cols: int
    cell: str
    ports: tuple[str, ...]
    col_lines: tuple[str, ...]
    row_lines: tuple[str, ...]
    col_r_ohm: float
    col_c_F: float
    row_r_ohm: float
    row_c_F: float
    cell_params: Mapping[str, tuple[tuple[float, ...], ...]] = field(default_factory=dict)
    kind: Literal["A"] = field(default="A", init=False)

    def __post_init__(self) -> None:
        check_identifier(self.name, what="array name")
        check_identifier(self.cell, what="cell subcircuit name")
        for what, v in (("rows", self.rows), ("cols", self.cols)):
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_ARRAY_SIDE:
                raise NetlistError(
                    f"array {what} must be an integer in 1..{MAX_ARRAY_SIDE}, got {v!r}"
                )
        lines = self.col_lines + self.row_lines
        for line in lines:
            check_identifier(line, what="array line name")
        if len({x.lower() for x in lines}) != len(lines):
            raise NetlistError("array line names must be distinct")
        for p in self.ports:
            check_node(p)
        _check_real(self.col_r_ohm, "column segment resistance", positive=True)
        _check_real(self.row_r_ohm, "row segment resistance", positive=True)
        _check_real(self.col_c_F, "column segment capacitance", nonneg=True)
        _check_real(self.row_c_F, "row segment capacitance", nonneg=True)
        checked: dict[str, tuple[tuple[float, ...], ...]] = {}
        for key, grid in self.cell_params.items():
            check_identifier(key, what="cell parameter name")
            rows = tuple(tuple(_check_real(v, f"cell parameter {key}") for v in r) for r in grid)
            if len(rows) != self.rows or any(len(r) != self.cols for r in rows):
                raise NetlistError(f"cell parameter {key} must be a {self.rows}x{self.cols} grid")
            checked[key] = rows
        object.__setattr__(self, "cell_params", checked)

    def node(self, line: str, m: int, n: int) -> str:
        """Node of ``line`` at row ``m``, column ``n``."""
        return f"{self.name}_{line}_{m}_{n}"

    def col_end(self, line: str, n: int) -> str:
        """Driver-end node (row 0) of column line ``line`` in column ``n``."""
        return self.node(line, 0, n)

    def row_end(self, line: str, m: int) -> str:
        """Driver/sense-end node (column cols+1) of row line ``line`` in row ``m``."""
        return self.node(line, m, self.cols + 1)

    @property
    def n_segments(self) -> int:
        """Number of wire segments (each one resistor and, if C > 0, one capacitor)."""
        return self.rows * self.cols * (len(self.col_lines) + len(self.row_lines))

    def port_nodes(self, m: int, n: int) -> tuple[str, ...]:
        """Nodes the ports of cell (m, n) connect to."""
        out = []
        for p in self.ports:
            out.append(self.node(p, m, n) if p in self.col_lines or p in self.row_lines else p)
        return tuple(out)


Element = Resistor | Capacitor | VoltageSource | Mosfet | SubcktInstance | OsdiInstance | CellArray


def _check_elements(elements: tuple[Element, ...], where: str) -> None:
    seen: set[str] = set()
    for e in elements:
        if not isinstance(e, Element):
            raise NetlistError(f"{where}: {e!r} is not a circuit element")
        key = e.name.lower()
        if key in seen:
            raise NetlistError(f"{where}: duplicate element name {e.name!r}")
        seen.add(key)


@dataclass(frozen=True, slots=True)
class Subcircuit:
    """``.subckt name ports... params: defaults`` … ``.ends``."""

    name: str
    ports: tuple[str, ...]
    elements: tuple[Element, ...]
    params: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_identifier(self.name, what="subcircuit name")
        if not self.ports:
            raise NetlistError(f"subcircuit {self.name} needs at least one port")
        for p in self.ports:
            if p == GROUND:
                raise NetlistError(f"subcircuit {self.name}: ground cannot be a port")
            check_node(p)
        if len({p.lower() for p in self.ports}) != len(self.ports):
            raise NetlistError(f"subcircuit {self.name}: duplicate port names")
        _check_elements(self.elements, f"subcircuit {self.name}")
        object.__setattr__(self, "params", _check_params(self.params, self.name))


#: Subcircuit bodies the toolkit ships as templates, with the parameters each requires.
TEMPLATE_SUBCIRCUITS: dict[str, frozenset[str]] = {
    "mtj_stt_behavioural.j2": frozenset(
        {
            "rp",
            "tmr0",
            "vh",
            "ic_ap2p",
            "c_ap2p",
            "l_ap2p",
            "ic_p2ap",
            "c_p2ap",
            "l_p2ap",
            "tsw",
            "s0",
            "nb_ap2p",
            "kth_ap2p",
            "ih_ap2p",
            "h0_ap2p",
            "tw_ap2p",
            "e_ap2p",
            "nb_p2ap",
            "kth_p2ap",
            "ih_p2ap",
            "h0_p2ap",
            "tw_p2ap",
            "e_p2ap",
        }
    ),
    "she_mtj_behavioural.j2": frozenset(
        {"rhm", "fb", "rp", "tmr0", "vh", "isat", "tau", "eps"}
    ),
    "maap_ota.j2": frozenset({"gm", "imax", "iq", "ro", "cin", "cout"}),
    "maap_isrc.j2": frozenset({"idc"}),
    "dw_synapse_behavioural.j2": frozenset(
        {"rtrack", "gp", "gap", "kx", "ith", "eps", "ws", "x0"}
    ),
    "dw_racetrack_behavioural.j2": frozenset(
        {"rw", "gp", "gap", "kd", "ith", "eps", "ws", "dmax", "span", "es", "d0"}
    ),
    "dw_vccs.j2": frozenset({"gm"}),
    "dw_readout.j2": frozenset({"vmid", "gain", "rout", "k", "ri"}),
    "dw_offset_readout.j2": frozenset({"vmid", "gain", "rout", "ri"}),
    "dw_readout_gated.j2": frozenset({"vmid", "gain", "rout", "k", "ri"}),
    "dw_mirror.j2": frozenset({"k"}),
    "dw_isrc_limited.j2": frozenset({"gm", "vmax", "vw"}),
    "dw_and2.j2": frozenset({"vdd", "r", "c"}),
}


@dataclass(frozen=True, slots=True)
class TemplateSubcircuit:
    """A subcircuit whose body is one of the toolkit's own templates.

    Used for behavioural device models whose equations are fixed text we wrote
    (``templates/mtj_stt_behavioural.j2``); only numeric parameter defaults come in.
    """

    template: str
    name: str
    params: Mapping[str, float]

    def __post_init__(self) -> None:
        if self.template not in TEMPLATE_SUBCIRCUITS:
            raise NetlistError(
                f"unknown subcircuit template {self.template!r}; "
                f"available: {sorted(TEMPLATE_SUBCIRCUITS)}"
            )
        check_identifier(self.name, what="subcircuit name")
        params = _check_params(self.params, self.name)
        missing = TEMPLATE_SUBCIRCUITS[self.template] - set(params)
        extra = set(params) - TEMPLATE_SUBCIRCUITS[self.template]
        if missing or extra:
            raise NetlistError(
                f"template {self.template}: missing parameters {sorted(missing)}, "
                f"unknown parameters {sorted(extra)}"
            )
        object.__setattr__(self, "params", params)


@dataclass(frozen=True, slots=True)
class ModelCard:
    """``.model name type (k=v ...)``: a built-in type (nmos, pmos, d, ...) or an OSDI module."""

    name: str
    device_type: str
    params: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_identifier(self.name, what="model name")
        check_identifier(self.device_type, what="model type")
        object.__setattr__(self, "params", _check_params(self.params, self.name))


@dataclass(frozen=True, slots=True)
class LibraryRef:
    """``.lib 'path' section`` (section given) or ``.include 'path'`` (section None).

    The file is checked by :func:`spinspice.netlists.guard.resolve_library` before a
    deck that references it is accepted. ``osdi`` are compiled Verilog-A models the
    library's devices need (a PDK whose MOSFETs are OSDI models): every job whose circuit
    uses the library loads them with ``pre_osdi``. They are native code, run as is.
    """

    path: Path
    section: str | None = None
    osdi: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", check_path(self.path, "model library"))
        if self.section is not None:
            check_identifier(self.section, what="library section (corner)")
        object.__setattr__(
            self, "osdi", tuple(check_path(p, "OSDI model") for p in self.osdi)
        )


# --------------------------------------------------------------------------- analyses


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """``.op``."""

    kind: Literal["op"] = field(default="op", init=False)


@dataclass(frozen=True, slots=True)
class Transient:
    """``.tran step stop [start [max_step]]`` (s)."""

    step_s: float
    stop_s: float
    start_s: float = 0.0
    max_step_s: float | None = None
    kind: Literal["tran"] = field(default="tran", init=False)

    def __post_init__(self) -> None:
        _check_real(self.step_s, "transient step", positive=True)
        _check_real(self.stop_s, "transient stop time", positive=True)
        _check_real(self.start_s, "transient start time", nonneg=True)
        if self.start_s >= self.stop_s:
            raise NetlistError("transient start time must be before the stop time")
        if self.max_step_s is not None:
            _check_real(self.max_step_s, "transient max step", positive=True)


@dataclass(frozen=True, slots=True)
class DcSweep:
    """``.dc source start stop step`` (V or A)."""

    source: str
    start: float
    stop: float
    step: float
    kind: Literal["dc"] = field(default="dc", init=False)

    def __post_init__(self) -> None:
        check_identifier(self.source, what="swept source name")
        _check_real(self.start, "DC sweep start")
        _check_real(self.stop, "DC sweep stop")
        _check_real(self.step, "DC sweep step")
        if self.step == 0:
            raise NetlistError("DC sweep step must be non-zero")


Analysis = OperatingPoint | Transient | DcSweep


@dataclass(frozen=True, slots=True)
class Save:
    """A vector to keep in the raw file: ``v(node)`` or ``i(source)``.

    ``path`` addresses a node or source inside subcircuit instances, outermost first,
    e.g. ``("x1", "f1")`` → ``v(x1.f1)``.
    """

    quantity: Literal["v", "i"]
    path: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.quantity not in ("v", "i"):
            raise NetlistError(f"save quantity must be 'v' or 'i', got {self.quantity!r}")
        if not self.path:
            raise NetlistError("save path must name a node or source")
        for p in self.path:
            check_node(p)

    @property
    def vector(self) -> str:
        """The ngspice vector name, lower case (as the raw file lists it)."""
        return f"{self.quantity}({'.'.join(self.path)})".lower()


#: Simulator options the toolkit may set, with their allowed values.
_OPTION_KEYS = frozenset(
    {"reltol", "abstol", "vntol", "chgtol", "gmin", "itl1", "itl4", "temp", "tnom", "rshunt"}
)
_METHODS = frozenset({"gear", "trap"})


@dataclass(frozen=True, slots=True)
class Options:
    """``.options``: KLU is always on (ENGINEERING_NOTES §1); other numeric options opt-in."""

    method: Literal["gear", "trap"] = "gear"
    numeric: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise NetlistError(f"integration method must be one of {sorted(_METHODS)}")
        for k in self.numeric:
            if k not in _OPTION_KEYS:
                raise NetlistError(f"unsupported option {k!r}; allowed: {sorted(_OPTION_KEYS)}")
        object.__setattr__(self, "numeric", _check_params(self.numeric, "options"))


@dataclass(frozen=True, slots=True)
class Circuit:
    """A complete simulation deck before rendering.

    Parameters
    ----------
    title:
        First line of the deck (letters, digits, spaces and ``_-.,:()`` only).
    elements:
        Top-level elements.
    subcircuits, models, libraries:
        Definitions used by the elements.
    analyses:
        At least one analysis.
    saves:
        Vectors to keep; empty means ngspice's default (every node and source current).
    options:
        Simulator options (``.options klu`` is always written).
    temperature_C:
        Circuit temperature in °C (ngspice's ``.temp``), default 27 °C.
    """

    title: str
    elements: tuple[Element, ...]
    analyses: tuple[Analysis, ...]
    subcircuits: tuple[Subcircuit, ...] = ()
    template_subcircuits: tuple[TemplateSubcircuit, ...] = ()
    models: tuple[ModelCard, ...] = ()
    libraries: tuple[LibraryRef, ...] = ()
    saves: tuple[Save, ...] = ()
    options: Options = field(default_factory=Options)
    temperature_C: float = 27.0

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9 _\-.,:()]{1,80}", self.title):
            raise NetlistError(
                f"invalid title {self.title!r}: up to 80 letters, digits, spaces or _-.,:()"
            )
        if not self.analyses:
            raise NetlistError("a circuit needs at least one analysis")
        _check_elements(self.elements, "circuit")
        names = [s.name.lower() for s in self.subcircuits]
        names += [t.name.lower() for t in self.template_subcircuits]
        if len(set(names)) != len(names):
            raise NetlistError("duplicate subcircuit definitions")
        _check_real(self.temperature_C, "temperature (degC)")
        if not ABSOLUTE_ZERO_C < self.temperature_C < MAX_TEMPERATURE_C:
            raise NetlistError(f"temperature {self.temperature_C} degC is out of range")
