"""Simulation jobs: a checked deck, the files it needs, the vectors it saves, one hash.

A :class:`Job` is what a family builder hands to an engine
(:mod:`spinspice.analysis.engine`): self-contained, so it can be listed, exported
(``spinspice netlist``), hashed, cached, resumed or sent to another machine.

* The deck refers to every file by a **relative** name (``lib/default_28nm.lib``,
  ``osdi/mtj_stt-….osdi``); an engine copies the files into its private run directory
  under those names and runs the deck there, so nothing outside the run directory is read
  after the job was made, and an exported directory runs with plain ``ngspice -b``.
* A model library travels with every file it references (resolved and checked by
  :func:`~spinspice.netlists.guard.resolve_library`), flat under ``lib/`` with every
  reference line rewritten to the copies, so the simulator reads only checked text.
  OSDI models a library needs (:attr:`LibraryRef.osdi`) become ``osdi/…`` files loaded
  with ``pre_osdi``.
* :attr:`Job.hash` is the SHA-256 of the deck text (with the toolkit's default control
  block), of every file's name and content hash, and of the saved vectors: two jobs with
  the same hash simulate the same thing.

The :class:`~spinspice.netlists.circuit.Circuit` the deck was rendered from travels with
the job, dialect-neutral, for writers of other simulators.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from spinspice.errors import NetlistError
from spinspice.netlists.circuit import Circuit
from spinspice.netlists.guard import resolve_library
from spinspice.netlists.render import Deck, render_circuit
from spinspice.netlists.values import SAFE_RELATIVE_PATH_RE

#: A job key: slash-separated words (family/operation/size/...), safe as a directory name part.
JOB_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_.+-]+(?:/[A-Za-z0-9_.+-]+)*$")
#: Metadata values a job may carry (what a study table needs to place its rows).
MetaValue = str | int | float | bool


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True, slots=True)
class JobFile:
    """A file a job needs: where it is read from and the relative name the deck uses.

    Attributes
    ----------
    name:
        Relative path inside the run directory (``lib/…``, ``osdi/…``, ``va/…``).
    source:
        Absolute path it is copied from.
    sha256:
        Content hash taken when the job was made; engines verify it before use.
    data:
        The checked bytes themselves, when they differ from the source file (a model
        library whose references were rewritten to the copies); None: read ``source``.
    """

    name: str
    source: Path
    sha256: str
    data: bytes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not SAFE_RELATIVE_PATH_RE.match(self.name):
            raise NetlistError(f"job file name {self.name!r} is not a safe relative path")

    @classmethod
    def of(cls, name: str, source: Path) -> JobFile:
        """A job file with its hash taken now."""
        return cls(name, Path(source).resolve(), sha256_file(Path(source)))

    @classmethod
    def of_bytes(cls, name: str, source: Path, data: bytes) -> JobFile:
        """A job file whose content is ``data`` (checked text derived from ``source``)."""
        return cls(name, Path(source).resolve(), hashlib.sha256(data).hexdigest(), data)

    def read_bytes(self) -> bytes:
        """The file's content (verified against :attr:`sha256`)."""
        data = self.data if self.data is not None else self.source.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise NetlistError(
                f"{self.source} changed after the job was made (content hash differs); "
                "rebuild the job"
            )
        return data

    def copy_to(self, directory: Path) -> Path:
        """Copy into ``directory`` under :attr:`name`, verifying the content hash."""
        data = self.data if self.data is not None else self.source.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise NetlistError(
                f"{self.source} changed after the job was made (content hash differs); "
                "rebuild the job"
            )
        target = directory / self.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target


@dataclass(frozen=True, slots=True)
class Job:
    """One simulation: deck + files + saved vectors + content hash.

    Attributes
    ----------
    key:
        Human-readable identity, e.g. ``4t2r/ff/8x8/tt`` (slash-separated words).
    deck:
        The checked deck body (files referenced by their relative :attr:`JobFile.name`).
    files:
        Files the deck needs.
    circuit:
        The typed description the deck was rendered from (dialect-neutral).
    meta:
        What the job stands for (family, operation, rows, cols, corner, ...), for tables.
    timeout_s:
        Wall-clock limit of this job, s (None: the engine's default).
    """

    key: str
    deck: Deck
    files: tuple[JobFile, ...] = ()
    circuit: Circuit | None = None
    meta: Mapping[str, MetaValue] = field(default_factory=dict)
    timeout_s: float | None = None
    hash: str = field(init=False, default="")

    def __post_init__(self) -> None:
        if not JOB_KEY_RE.match(self.key):
            raise NetlistError(f"job key {self.key!r}: use letters, digits and _.+- separated by /")
        names = [f.name for f in self.files]
        if len(set(names)) != len(names):
            raise NetlistError(f"job {self.key}: two files share a name")
        if self.timeout_s is not None and not self.timeout_s > 0:
            raise NetlistError(f"job {self.key}: timeout must be > 0 s, got {self.timeout_s}")
        h = hashlib.sha256(self.deck.text().encode("ascii"))
        for f in sorted(self.files, key=lambda f: f.name):
            h.update(f"\0{f.name}\0{f.sha256}".encode())
        h.update(("\0" + "\0".join(self.deck.saves)).encode())
        object.__setattr__(self, "hash", h.hexdigest())

    @property
    def saves(self) -> tuple[str, ...]:
        """Vectors the deck saves (lower case; empty: ngspice saves everything)."""
        return self.deck.saves

    @property
    def short_hash(self) -> str:
        """The first 16 hex digits of :attr:`hash` (directory names, manifests)."""
        return self.hash[:16]

    def manifest_entry(self, deck_name: str) -> dict[str, object]:
        """This job as one entry of an export's ``manifest.json``."""
        return {
            "key": self.key,
            "deck": deck_name,
            "hash": self.hash,
            "analyses": list(self.deck.analyses),
            "saves": list(self.deck.saves),
            "files": [{"name": f.name, "sha256": f.sha256} for f in self.files],
            "meta": dict(self.meta),
        }


def make_job(
    circuit: Circuit,
    *,
    key: str,
    osdi: Sequence[Path] = (),
    extra_files: Sequence[JobFile] = (),
    meta: Mapping[str, MetaValue] | None = None,
    timeout_s: float | None = None,
) -> Job:
    """Render ``circuit`` into a self-contained :class:`Job`.

    Model libraries (and everything they include) become ``lib/…`` files, compiled
    Verilog-A models ``osdi/<file name>``; the deck refers to them by those names.
    ``extra_files`` travel with the job without being referenced by the deck (e.g. the
    Verilog-A source of an OSDI model, for an export).

    Raises
    ------
    NetlistError
        If a library fails the safety scan or the circuit cannot be rendered.
    """
    files: dict[str, JobFile] = {}
    lib_names: dict[Path, str] = {}
    lib_osdi: list[Path] = []
    for lib in circuit.libraries:
        bundle = resolve_library(lib.path, lib.section)
        for lf in bundle.files:
            # The checked text itself travels (never re-read from the user's file).
            _add(files, JobFile.of_bytes("lib/" + lf.name, lf.path, lf.text.encode("ascii")))
        lib_names[lib.path] = "lib/" + bundle.top.name
        lib_osdi.extend(lib.osdi)
    osdi_names: list[str] = []
    for p in (*osdi, *lib_osdi):
        name = f"osdi/{Path(p).name}"
        _add(files, JobFile.of(name, Path(p)))
        if name not in osdi_names:
            osdi_names.append(name)
    for f in extra_files:
        _add(files, f)
    deck = render_circuit(circuit, library_names=lib_names, osdi_names=tuple(osdi_names))
    return Job(
        key=key,
        deck=deck,
        files=tuple(files.values()),
        circuit=circuit,
        meta=dict(meta or {}),
        timeout_s=timeout_s,
    )


def _add(files: dict[str, JobFile], f: JobFile) -> None:
    old = files.get(f.name)
    if old is not None and old.sha256 != f.sha256:
        raise NetlistError(f"two different files would both be written as {f.name!r}")
    files[f.name] = f



def at_temperature(job: Job, temperature_C: float) -> Job:
    """The same job simulated at ``temperature_C`` (ngspice ``.temp``), re-rendered from
    its circuit; files, metadata and time limit carry over.

    Only what the netlist models depends on temperature (MOSFET cards through their
    temperature parameters); the behavioural MTJ's constants are those of its fit.

    Raises
    ------
    NetlistError
        If the job carries no circuit.
    """
    from dataclasses import replace

    if job.circuit is None:
        raise NetlistError(f"job {job.key} has no circuit to re-render")
    if job.circuit.temperature_C == temperature_C:
        return job
    lib_osdi = {Path(p).resolve() for lib in job.circuit.libraries for p in lib.osdi}
    osdi = [
        f.source
        for f in job.files
        if f.name.startswith("osdi/") and f.source not in lib_osdi
    ]
    extra = [f for f in job.files if not f.name.startswith(("osdi/", "lib/"))]
    return make_job(
        replace(job.circuit, temperature_C=temperature_C),
        key=f"{job.key}/{temperature_C:g}C",
        osdi=osdi,
        extra_files=extra,
        meta={**job.meta, "temperature_C": temperature_C},
        timeout_s=job.timeout_s,
    )
