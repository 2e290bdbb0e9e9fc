"""MOSFET technology: which model library, corner, model names and sizes a deck uses.

The bundled default (``models/default_28nm.lib``, documented in ``docs/mosfet_models.md``)
is a representative 28 nm-class BSIM4 card set at VDD = 1 V written for spinspice — *not* a
foundry model. Users point to their own foundry library and corner instead, either on
the command line (``--models FILE --corner NAME``) or in a TOML configuration file::

    [technology]
    models = "/path/to/foundry/models.lib"   # relative paths are relative to the config file
    corner = "tt"
    nmos_model = "nch"
    pmos_model = "pch"
    element = "X"            # "M" for .model cards, "X" for subcircuit-wrapped models
    l_m = 30e-9
    wn_m = 200e-9
    wp_m = 260e-9
    vdd_V = 1.0
    osdi = ["psp103.osdi"]   # compiled Verilog-A models the library's devices need
    va = ["bsimcmg.va"]      # ... or their sources, compiled with openvaf-r (cached)

Every library file is scanned by :func:`spinspice.netlists.guard.check_model_library`
before use, so a library carrying a ``.control`` block or ``*#`` line is refused.

**OSDI files are native code.** ``osdi`` (``--osdi FILE``) loads a shared object of the
user's choosing into ngspice, which runs it with the user's rights — exactly like a
plug-in. spinspice checks that the file exists and copies it (hash-verified) into the run
directory; it cannot check what the code does. Give only files you built or trust.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from spinspice.errors import ParameterError
from spinspice.netlists.circuit import LibraryRef, check_path
from spinspice.netlists.guard import check_model_library
from spinspice.netlists.values import check_identifier

#: Drawn channel length of the default models, m.
DEFAULT_L_M = 30e-9
#: Transistor sizes accepted, m (our choice: sanity bounds around any CMOS node).
MIN_SIZE_M = 1e-9
MAX_SIZE_M = 1e-3
#: Supplies accepted, V (our choice: from deep-subthreshold to 5 V I/O devices).
MIN_VDD_V = 0.3
MAX_VDD_V = 5.0


def default_library_path() -> Path:
    """Path of the bundled default model library."""
    return Path(str(resources.files("spinspice.netlists") / "models" / "default_28nm.lib"))


@dataclass(frozen=True, slots=True, kw_only=True)
class MosfetTechnology:
    """Model library, corner, model names and default device sizes.

    Parameters
    ----------
    library:
        Model library file (default: the bundled ``default_28nm.lib``).
    corner:
        Library section to load (``.lib FILE corner``); None loads the file with
        ``.include``. Bundled corners: ``tt``, ``ff``, ``ss``.
    nmos_model, pmos_model:
        Model (or subcircuit) names in the library.
    element:
        ``"M"`` if the names are ``.model`` cards, ``"X"`` if they are subcircuits.
    l_m:
        Channel length used for the access transistors, m. Default 30 nm.
    wn_m, wp_m:
        NMOS and PMOS widths, m. Defaults 600 nm (W/L = 20, seed 001 Table 3) and 900 nm
        (W/L = 30). Table 3's PMOS W/L = 33 balanced the paper's process; with the bundled
        models W/L = 30 equalises the NMOS and PMOS on-resistances best, so that the
        0_s/0_w synapse states cancel (scan in docs/mosfet_models.md).
    vdd_V:
        Supply: gate drive levels are ±vdd_V (seed 001 §4.3: e = ±V_dd). Default 1 V.
    osdi:
        Compiled Verilog-A models (``.osdi``) the library's devices need; every job that
        uses this technology loads them with ``pre_osdi``. Native code, see the module doc.
    """

    library: Path
    corner: str | None = "tt"
    nmos_model: str = "nmos28"
    pmos_model: str = "pmos28"
    element: Literal["M", "X"] = "M"
    l_m: float = DEFAULT_L_M
    wn_m: float = 20 * DEFAULT_L_M
    wp_m: float = 30 * DEFAULT_L_M
    vdd_V: float = 1.0
    osdi: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "library", check_path(self.library, "model library"))
        if self.corner is not None:
            check_identifier(self.corner, what="corner name")
        check_identifier(self.nmos_model, what="NMOS model name")
        check_identifier(self.pmos_model, what="PMOS model name")
        if self.element not in ("M", "X"):
            raise ParameterError(f"element must be 'M' or 'X', got {self.element!r}")
        for name in ("l_m", "wn_m", "wp_m"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not MIN_SIZE_M <= v <= MAX_SIZE_M:
                raise ParameterError(
                    f"{name} must be between {MIN_SIZE_M:g} and {MAX_SIZE_M:g} m, got {v!r}"
                )
        if not isinstance(self.vdd_V, int | float) or not MIN_VDD_V <= self.vdd_V <= MAX_VDD_V:
            raise ParameterError(
                f"vdd_V must be between {MIN_VDD_V:g} and {MAX_VDD_V:g} V, got {self.vdd_V!r}"
            )
        if isinstance(self.osdi, str | Path) or not isinstance(self.osdi, tuple | list):
            raise ParameterError(f"osdi must be a list of files, got {self.osdi!r}")
        object.__setattr__(self, "osdi", tuple(check_path(p, "OSDI model") for p in self.osdi))
        check_model_library(self.library)

    @classmethod
    def default(cls, corner: str = "tt") -> MosfetTechnology:
        """The bundled 28 nm-class models at ``corner`` (tt, ff or ss)."""
        if corner not in ("tt", "ff", "ss"):
            raise ParameterError(
                f"unknown corner {corner!r} of the bundled models; use tt, ff or ss"
            )
        return cls(library=default_library_path(), corner=corner)

    def library_ref(self) -> LibraryRef:
        """The ``.lib``/``.include`` reference for a circuit."""
        return LibraryRef(self.library, self.corner, self.osdi)

    def with_overrides(self, **changes: Any) -> MosfetTechnology:
        """A copy with some fields replaced (validated again)."""
        return replace(self, **changes)


def load_technology(
    config: Path | None = None,
    *,
    models: Path | None = None,
    corner: str | None = None,
    osdi: Sequence[Path] = (),
    va: Sequence[Path] = (),
) -> MosfetTechnology:
    """Build a technology from defaults, an optional TOML config, and command-line overrides.

    Precedence: command line > config file > bundled default. OSDI models add up: those of
    the config (``osdi``, and ``va`` compiled with :func:`~spinspice.netlists.osdi.compile_va`)
    and those given here. The config may hold only a ``[technology]`` table.

    Raises
    ------
    ParameterError
        Unreadable/invalid config, unknown keys, or invalid values.
    spinspice.errors.NetlistError
        A model library that fails the safety scan.
    """
    values: dict[str, Any] = {}
    cfg_osdi: dict[str, list[Path]] = {"osdi": [], "va": []}
    if config is not None:
        try:
            data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ParameterError(f"cannot read config {config}: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ParameterError(f"config {config} is not valid TOML: {exc}") from None
        extra = sorted(set(data) - {"technology"})
        if extra:
            raise ParameterError(
                f"config {config}: unknown table or key {extra[0]!r}; only [technology] is read"
            )
        section = data.get("technology", {})
        if not isinstance(section, dict):
            raise ParameterError(f"config {config}: [technology] must be a table")
        allowed = {f.name for f in fields(MosfetTechnology)} | {"models", "va"}
        unknown = sorted(set(section) - allowed)
        if unknown:
            raise ParameterError(
                f"config {config}: unknown [technology] keys {unknown}; allowed {sorted(allowed)}"
            )
        values.update(section)
        lib = values.pop("models", values.pop("library", None))
        if lib is not None:
            if not isinstance(lib, str):
                raise ParameterError(f"config {config}: models must be a file name")
            p = Path(lib)
            values["library"] = p if p.is_absolute() else Path(config).parent / p
        for key in ("osdi", "va"):
            items = values.pop(key, [])
            if not isinstance(items, list) or not all(isinstance(x, str) and x for x in items):
                raise ParameterError(f"config {config}: {key} must be a list of file names")
            paths = [Path(x).expanduser() for x in items]
            cfg_osdi[key] = [p if p.is_absolute() else Path(config).parent / p for p in paths]
    if models is not None:
        values["library"] = models
        values.setdefault("corner", None)
    if corner is not None:
        values["corner"] = corner
    if "library" not in values:
        values["library"] = default_library_path()
    sources = [*cfg_osdi["va"], *va]
    compiled: list[Path] = []
    if sources:
        from spinspice.netlists.osdi import compile_va

        for src in sources:
            if not Path(src).is_file():
                raise ParameterError(f"Verilog-A source {src} does not exist")
            compiled.append(compile_va(Path(src)))
    values["osdi"] = (*cfg_osdi["osdi"], *osdi, *compiled)
    try:
        return MosfetTechnology(**values)
    except TypeError as exc:
        raise ParameterError(f"invalid technology settings: {exc}") from None


def technology_tag(tech: MosfetTechnology) -> str:
    """Short tag of a technology for job keys and tables: the corner, or ``lib`` if the
    library is loaded without a section."""
    return tech.corner if tech.corner is not None else "lib"
