"""The study file: one TOML document describing many simulations (schema: docs/studies.md).

:func:`load_study` reads and validates it strictly: every unknown table or key is an error,
and every message names the file, the table (with its index for arrays of tables) and the
key, e.g. ``study.toml: [[corners]] #2: rows must be 1..1024, got 0``. Relative paths are
relative to the study file. Nothing is simulated here.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spinspice.analysis.registry import MAX_SIDE
from spinspice.errors import ParameterError

#: Temperatures a study may ask for, °C (the bundled models are characterised over this).
TEMPERATURE_RANGE_C = (-55.0, 150.0)
#: Longest simulator time limit per job, s.
MAX_TIMEOUT_S = 86_400.0
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SIZE_RE = re.compile(r"^\s*(\d{1,4})\s*[xX]\s*(\d{1,4})\s*$")
#: Simulators a study job may name (``[study] engine`` or per entry).
ENGINES = ("ngspice", "vacask")
#: Largest Monte Carlo / SPICE instance counts (memory and run time stay sane).
MAX_SPICE_INSTANCES = 5000
MAX_MC_TRIALS = 1_000_000
MAX_EPOCHS = 1000
MAX_SEEDS = 100

TABLES = (
    "study",
    "technology",
    "device",
    "gxnor",
    "corners",
    "energy",
    "operation",
    "sneak",
    "psw",
    "training",
)


class StudyError(ParameterError):
    """The study file is wrong; the message names the key, its table and the file."""


class _Where:
    """Error messages that name the file and table."""

    def __init__(self, path: Path, table: str, index: int | None = None) -> None:
        self.path, self.table, self.index = path, table, index

    def __str__(self) -> str:
        name = f"[[{self.table}]] #{self.index}" if self.index is not None else f"[{self.table}]"
        return f"{self.path.name}: {name}"

    def error(self, message: str) -> StudyError:
        return StudyError(f"{self}: {message}")

    def keys(self, table: Mapping[str, Any], allowed: Sequence[str]) -> None:
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise self.error(
                f"unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(allowed))}"
            )

    def integer(self, table: Mapping[str, Any], key: str, lo: int, hi: int, default: int) -> int:
        v = table.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise self.error(f"{key} must be {lo}..{hi}, got {v!r}")
        return v

    def number(
        self, table: Mapping[str, Any], key: str, lo: float, hi: float, default: float | None
    ) -> float:
        v = table.get(key, default)
        if v is None:
            raise self.error(f"{key} is required")
        ok = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
        if not ok or not lo <= float(v) <= hi:
            raise self.error(f"{key} must be a number in [{lo:g}, {hi:g}], got {v!r}")
        return float(v)

    def choice(
        self, table: Mapping[str, Any], key: str, options: Sequence[str], default: str | None
    ) -> str:
        v = table.get(key, default)
        if v is None:
            raise self.error(f"{key} is required (one of {', '.join(options)})")
        if not isinstance(v, str) or v not in options:
            raise self.error(f"{key} must be one of {', '.join(options)}, got {v!r}")
        return v

    def choices(
        self, table: Mapping[str, Any], key: str, options: Sequence[str], default: Sequence[str]
    ) -> tuple[str, ...]:
        v = table.get(key, list(default))
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not v:
            raise self.error(f"{key} must be a non-empty list of {', '.join(options)}")
        for x in v:
            if not isinstance(x, str) or x not in options:
                raise self.error(f"{key}: {x!r} is not one of {', '.join(options)}")
        if len(set(v)) != len(v):
            raise self.error(f"{key} lists a value twice")
        return tuple(v)

    def numbers(
        self, table: Mapping[str, Any], key: str, lo: float, hi: float, default: Sequence[float]
    ) -> tuple[float, ...]:
        v = table.get(key, list(default))
        if not isinstance(v, list) or not v:
            raise self.error(f"{key} must be a non-empty list of numbers in [{lo:g}, {hi:g}]")
        out = []
        for x in v:
            ok = not isinstance(x, bool) and isinstance(x, int | float) and math.isfinite(x)
            if not ok or not lo <= float(x) <= hi:
                raise self.error(f"{key}: {x!r} is not a number in [{lo:g}, {hi:g}]")
            out.append(float(x))
        if len(set(out)) != len(out):
            raise self.error(f"{key} lists a value twice")
        return tuple(out)

    def file(self, table: Mapping[str, Any], key: str, base: Path) -> Path | None:
        v = table.get(key)
        if v is None:
            return None
        if not isinstance(v, str) or not v.strip():
            raise self.error(f"{key} must be a file path")
        p = Path(v).expanduser()
        p = p if p.is_absolute() else base / p
        if not p.is_file():
            raise self.error(f"{key}: {str(p)!r} does not exist or is not a file")
        return p.resolve()

    def sizes(self, table: Mapping[str, Any]) -> tuple[tuple[int, int], ...]:
        """``sizes = [8, 16]`` (square) or ``["8x16", ...]``, or ``rows``/``cols``."""
        if "sizes" in table and ("rows" in table or "cols" in table):
            raise self.error("give either sizes or rows/cols, not both")
        if "sizes" not in table:
            rows = self.integer(table, "rows", 1, MAX_SIDE, -1)
            cols = self.integer(table, "cols", 1, MAX_SIDE, rows)
            return ((rows, cols),)
        raw = table["sizes"]
        if not isinstance(raw, list) or not raw:
            raise self.error('sizes must be a non-empty list like [8, 16] or ["8x16"]')
        out: list[tuple[int, int]] = []
        for s in raw:
            if isinstance(s, int) and not isinstance(s, bool):
                m, n = s, s
            elif isinstance(s, str) and (match := _SIZE_RE.match(s)):
                m, n = int(match.group(1)), int(match.group(2))
            else:
                raise self.error(f'sizes: {s!r} is not a size like 16 or "8x16"')
            if not (1 <= m <= MAX_SIDE and 1 <= n <= MAX_SIDE):
                raise self.error(f"sizes: rows and cols must be 1..{MAX_SIDE}, got {m}x{n}")
            out.append((m, n))
        if len(set(out)) != len(out):
            raise self.error("sizes lists a size twice")
        return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Conditions:
    """Process corners and temperatures a section runs at."""

    corners: tuple[str, ...]
    temperatures_C: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One ``[[gxnor]]``, ``[[corners]]``, ``[[energy]]``, ``[[operation]]``, ``[[sneak]]`` or
    ``[[psw]]`` entry."""

    kind: str
    index: int
    params: Mapping[str, Any]
    conditions: Conditions
    timeout_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Study:
    """A validated study (module docstring).

    Attributes
    ----------
    path:
        The study file.
    sha256:
        Hash of its bytes (provenance).
    name, seed, timeout_s:
        ``[study]``: name, study seed, default simulator time limit per job (s).
    models, tech_config:
        ``[technology]``: a user model library and/or a technology TOML (as ``--config``).
    preset, fit:
        ``[device]``: the STT-MTJ preset or fit file of the MTJ families.
    sections:
        Every simulation section in file order.
    training:
        ``[training]`` parameters, or None.
    """

    path: Path
    sha256: str
    name: str
    seed: int
    timeout_s: float
    models: Path | None
    tech_config: Path | None
    preset: str
    fit: Path | None
    sections: tuple[Section, ...]
    training: Mapping[str, Any] | None = None
    files: tuple[Path, ...] = field(default=())


def _conditions(where: _Where, table: Mapping[str, Any], default: Conditions) -> Conditions:
    corners = table.get("corners", list(default.corners))
    if isinstance(corners, str):
        corners = [corners]
    if (
        not isinstance(corners, list)
        or not corners
        or not all(
            isinstance(c, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", c) for c in corners
        )
    ):
        raise where.error(f"corners must be a list of library section names, got {corners!r}")
    if len(set(corners)) != len(corners):
        raise where.error("corners lists a corner twice")
    temps = where.numbers(table, "temperatures_C", *TEMPERATURE_RANGE_C, default.temperatures_C)
    return Conditions(corners=tuple(corners), temperatures_C=temps)


def load_study(path: Path) -> Study:
    """Read and validate a study file (module docstring).

    Raises
    ------
    StudyError
        Naming the file, table and key of the first problem.
    """
    from spinspice.analysis.families import names

    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise StudyError(f"cannot read study file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StudyError(f"{path.name}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise StudyError(f"{path.name}: unknown table [{unknown[0]}]; tables: {', '.join(TABLES)}")
    base = path.resolve().parent

    def table(name: str) -> dict[str, Any]:
        t = data.get(name, {})
        if not isinstance(t, dict):
            raise StudyError(f"{path.name}: [{name}] must be a table, not an array of tables")
        return t

    def array(name: str) -> list[dict[str, Any]]:
        t = data.get(name, [])
        if (
            isinstance(t, dict)
            or not isinstance(t, list)
            or not all(isinstance(x, dict) for x in t)
        ):
            raise StudyError(f"{path.name}: {name} must be an array of tables [[{name}]]")
        return t

    st = table("study")
    w = _Where(path, "study")
    w.keys(st, ("name", "seed", "timeout_s", "engine"))
    name = st.get("name", path.stem)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise w.error(f"name must be 1-64 letters, digits or _.- , got {name!r}")
    seed = w.integer(st, "seed", 0, 2**32 - 1, 0)
    timeout = w.number(st, "timeout_s", 1e-3, MAX_TIMEOUT_S, 600.0)
    engine = w.choice(st, "engine", ENGINES, "ngspice")

    tech = table("technology")
    w = _Where(path, "technology")
    w.keys(tech, ("models", "config", "corners", "temperatures_C"))
    models = w.file(tech, "models", base)
    tech_config = w.file(tech, "config", base)
    default_cond = _conditions(w, tech, Conditions(corners=("tt",), temperatures_C=(27.0,)))

    dev = table("device")
    w = _Where(path, "device")
    w.keys(dev, ("preset", "fit"))
    preset = dev.get("preset", "seed001-device-c")
    if not isinstance(preset, str):
        raise w.error(f"preset must be a preset name, got {preset!r}")
    from spinspice.spintronic_cells.presets import PRESETS

    if preset not in PRESETS:
        raise w.error(f"preset must be one of {', '.join(PRESETS)}, got {preset!r}")
    fit = w.file(dev, "fit", base)

    common = ("corners", "temperatures_C", "timeout_s", "engine")
    sections: list[Section] = []

    def section(kind: str, index: int, t: Mapping[str, Any], params: dict[str, Any]) -> None:
        wh = _Where(path, kind, index)
        cond = _conditions(wh, t, default_cond)
        to = wh.number(t, "timeout_s", 1e-3, MAX_TIMEOUT_S, timeout)
        eng = wh.choice(t, "engine", ENGINES, engine)
        sections.append(
            Section(
                kind=kind,
                index=index,
                params={**params, "engine": eng},
                conditions=cond,
                timeout_s=to,
            )
        )

    for i, t in enumerate(array("gxnor"), 1):
        wh = _Where(path, "gxnor", i)
        wh.keys(t, ("v_rd_V", *common))
        section("gxnor", i, t, {"v_rd_V": wh.number(t, "v_rd_V", 1e-3, 1.0, 0.1)})
    for i, t in enumerate(array("corners"), 1):
        wh = _Where(path, "corners", i)
        wh.keys(t, ("cell", "sizes", "rows", "cols", "operations", *common))
        cell = wh.choice(t, "cell", names("corners"), None)
        from spinspice.analysis.families import get

        fam = get(cell, "corners")
        ops = wh.choices(t, "operations", fam.corner_operations, fam.corner_operations)
        section("corners", i, t, {"cell": cell, "sizes": wh.sizes(t), "operations": ops})
    for i, t in enumerate(array("energy"), 1):
        wh = _Where(path, "energy", i)
        wh.keys(t, ("cell", "sizes", "rows", "cols", "method", *common))
        cell = wh.choice(t, "cell", names("energy"), None)
        from spinspice.analysis.families import get

        methods = get(cell, "energy").energy_methods
        method = wh.choice(t, "method", methods, methods[0])
        section("energy", i, t, {"cell": cell, "sizes": wh.sizes(t), "method": method})
    for i, t in enumerate(array("sneak"), 1):
        wh = _Where(path, "sneak", i)
        wh.keys(
            t, ("crossbar", "schemes", "sizes", "rows", "cols", "pattern", "timeout_s", "engine")
        )
        arch = wh.choice(t, "crossbar", ("1t1r", "1r"), None)
        schemes = wh.choices(t, "schemes", ("2phase", "4phase"), ("2phase",))
        if arch == "1t1r" and "4phase" in schemes:
            raise wh.error("schemes: the 4-phase schedule is for the 1R crossbar only")
        pattern = wh.choice(t, "pattern", ("uniform", "signs", "worst"), "uniform")
        section(
            "sneak",
            i,
            t,
            {"crossbar": arch, "schemes": schemes, "sizes": wh.sizes(t), "pattern": pattern},
        )
    for i, t in enumerate(array("operation"), 1):
        wh = _Where(path, "operation", i)
        wh.keys(t, ("cell", "operation", "sizes", "rows", "cols", "mtj_model", *common))
        cell = wh.choice(t, "cell", names("jobs"), None)
        from spinspice.analysis.families import get

        fam = get(cell)
        op = wh.choice(t, "operation", fam.operations, None)
        kind = wh.choice(t, "mtj_model", fam.mtj_models, fam.mtj_models[0])
        section(
            "operation",
            i,
            t,
            {"cell": cell, "operation": op, "sizes": wh.sizes(t), "mtj_model": kind},
        )
    for i, t in enumerate(array("psw"), 1):
        wh = _Where(path, "psw", i)
        wh.keys(
            t,
            (
                "from_state",
                "voltage_V",
                "widths_s",
                "spice_instances",
                "mc_trials",
                "mtj_model",
                "timeout_s",
                "engine",
            ),
        )
        params = {
            "from_state": wh.choice(t, "from_state", ("AP", "P"), None),
            "voltage_V": wh.number(t, "voltage_V", 1e-3, 5.0, None),
            "widths_s": wh.numbers(t, "widths_s", 1e-12, 1e-6, (0.5e-9, 1e-9, 2e-9)),
            "spice_instances": wh.integer(t, "spice_instances", 0, MAX_SPICE_INSTANCES, 500),
            "mc_trials": wh.integer(t, "mc_trials", 0, MAX_MC_TRIALS, 10_000),
            "mtj_model": wh.choice(t, "mtj_model", ("behavioural", "osdi"), "behavioural"),
        }
        if params["spice_instances"] == 0 and params["mc_trials"] == 0:
            raise wh.error("give spice_instances and/or mc_trials > 0")
        section("psw", i, t, params)

    training = None
    if "training" in data:
        tr = table("training")
        wh = _Where(path, "training")
        wh.keys(tr, ("dataset", "synapse", "epochs", "seeds", "net", "psw_from_study"))
        from spinspice.training.loop import SYNAPSES

        training = {
            "dataset": wh.choice(tr, "dataset", ("digits", "wbcd"), "digits"),
            "synapse": wh.choice(tr, "synapse", SYNAPSES, "mtj-4t2r"),
            "epochs": wh.integer(tr, "epochs", 1, MAX_EPOCHS, 10),
            "seeds": wh.integer(tr, "seeds", 1, MAX_SEEDS, 1),
            "net": tr.get("net"),
            "psw_from_study": tr.get("psw_from_study", False),
        }
        if training["net"] is not None and not isinstance(training["net"], str):
            raise wh.error(f'net must be a net spec like "64-100-10", got {training["net"]!r}')
        if not isinstance(training["psw_from_study"], bool):
            raise wh.error("psw_from_study must be true or false")
        if training["psw_from_study"]:
            if training["synapse"] != "mtj-4t2r":
                raise wh.error('psw_from_study needs synapse = "mtj-4t2r"')
            if not any(s.kind == "psw" and s.params["spice_instances"] > 0 for s in sections):
                raise wh.error("psw_from_study needs a [[psw]] section with spice_instances > 0")
    if not sections and training is None:
        raise StudyError(f"{path.name}: the study has nothing to run (no sections, no [training])")
    files = tuple(p for p in (models, tech_config, fit) if p is not None)
    return Study(
        path=path.resolve(),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        name=name,
        seed=seed,
        timeout_s=timeout,
        models=models,
        tech_config=tech_config,
        preset=preset,
        fit=fit,
        sections=tuple(sections),
        training=training,
        files=files,
    )
