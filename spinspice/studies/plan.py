"""Expand a study into study jobs: one per (kind, family, size, corner, temperature, seed).

A :class:`StudyJob` is the unit the runner schedules, stores and resumes: small,
JSON-serialisable, and named by a content hash of everything that determines its result
(kind, parameters, the bytes of every file it reads, its seed, the spinspice version and
the hashes of the jobs it depends on). Its random draws come from the study seed and its
key only (:func:`job_seed` of :func:`draw_key`: the same draws at every process corner and
temperature of a design), so results do not depend on the number of workers or on the
order of execution.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spinspice.studies.spec import Study

#: Order of the kinds in tables and the report.
KINDS = ("gxnor", "corners", "energy", "operation", "sneak", "psw", "training")


def job_seed(study_seed: int, key: str) -> int:
    """The seed of one job: from the study seed and the job's key (stable, order-free)."""
    digest = hashlib.sha256(f"{study_seed}/{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def draw_key(key: str) -> str:
    """The part of a job key its random draws depend on: the key without the process
    corner and temperature (``corners/4t2r/8x8/tt/27C/1`` → ``corners/4t2r/8x8/1``), so that
    every PVT condition of a design sees the same weights, inputs and MTJ draws."""
    parts = key.split("/")
    if parts[0] in ("gxnor", "corners", "energy", "operation"):
        parts = [*parts[:3], *parts[5:]]
    return "/".join(parts)


def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True, slots=True)
class StudyJob:
    """One schedulable piece of a study (module docstring).

    Attributes
    ----------
    kind:
        ``gxnor``, ``corners``, ``energy``, ``sneak``, ``psw`` or ``training``.
    key:
        Readable identity, e.g. ``corners/4t2r/8x8/tt/27C``.
    params:
        Everything the worker needs (JSON values; files as absolute paths).
    seed:
        Its random seed (:func:`job_seed`).
    timeout_s:
        Simulator time limit of each simulation it runs, s.
    after:
        Keys of jobs whose results it consumes (run first).
    """

    kind: str
    key: str
    params: Mapping[str, Any]
    seed: int
    timeout_s: float
    after: tuple[str, ...] = ()
    hash: str = field(default="", compare=False)

    def with_hash(self, dependency_hashes: Mapping[str, str]) -> StudyJob:
        """A copy whose :attr:`hash` covers its content and its dependencies' hashes."""
        from spinspice import __version__

        files = {k: _file_digest(v) for k, v in sorted(self.params.get("files", {}).items())}
        blob = json.dumps(
            {
                "kind": self.kind,
                "key": self.key,
                "params": self.params,
                "files": files,
                "seed": self.seed,
                "after": [dependency_hashes[a] for a in self.after],
                "spinspice": __version__,
            },
            sort_keys=True,
            default=str,
        )
        return StudyJob(
            self.kind,
            self.key,
            self.params,
            self.seed,
            self.timeout_s,
            self.after,
            hashlib.sha256(blob.encode()).hexdigest(),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (what a worker receives)."""
        return {
            "kind": self.kind,
            "key": self.key,
            "params": dict(self.params),
            "seed": self.seed,
            "timeout_s": self.timeout_s,
            "after": list(self.after),
            "hash": self.hash,
        }


def _temp_tag(t: float) -> str:
    return f"{t:g}C"


def plan(study: Study) -> list[StudyJob]:
    """Every study job of ``study``, dependencies before the jobs that need them."""
    device: dict[str, Any] = {"preset": study.preset}
    files: dict[str, str] = {}
    if study.fit is not None:
        files["fit"] = str(study.fit)
    if study.models is not None:
        files["models"] = str(study.models)
    if study.tech_config is not None:
        files["tech_config"] = str(study.tech_config)
    jobs: list[StudyJob] = []

    def add(
        kind: str, key: str, params: dict[str, Any], timeout_s: float, after: tuple[str, ...] = ()
    ) -> None:
        p = {**params, "engine": engine[0], "device": device, "files": files}
        jobs.append(StudyJob(kind, key, p, job_seed(study.seed, draw_key(key)), timeout_s, after))

    engine = ["ngspice"]  # the engine of the section being expanded
    for s in study.sections:
        engine[0] = s.params["engine"]
        cond = s.conditions
        if s.kind == "gxnor":
            for corner in cond.corners:
                for t in cond.temperatures_C:
                    key = f"gxnor/4t2r/1x1/{corner}/{_temp_tag(t)}/{s.index}"
                    add(
                        "gxnor",
                        key,
                        {
                            "family": "4t2r",
                            "rows": 1,
                            "cols": 1,
                            "corner": corner,
                            "temperature_C": t,
                            **s.params,
                        },
                        s.timeout_s,
                    )
        elif s.kind in ("corners", "energy"):
            cell = s.params["cell"]
            for rows, cols in s.params["sizes"]:
                for corner in cond.corners:
                    for t in cond.temperatures_C:
                        key = f"{s.kind}/{cell}/{rows}x{cols}/{corner}/{_temp_tag(t)}/{s.index}"
                        extra = (
                            {"operations": list(s.params["operations"])}
                            if s.kind == "corners"
                            else {"method": s.params["method"]}
                        )
                        add(
                            s.kind,
                            key,
                            {
                                "family": cell,
                                "rows": rows,
                                "cols": cols,
                                "corner": corner,
                                "temperature_C": t,
                                **extra,
                            },
                            s.timeout_s,
                        )
        elif s.kind == "sneak":
            arch = s.params["crossbar"]
            for rows, cols in s.params["sizes"]:
                key = f"sneak/{arch}/{rows}x{cols}/{s.params['pattern']}/{s.index}"
                add(
                    "sneak",
                    key,
                    {
                        "family": arch,
                        "rows": rows,
                        "cols": cols,
                        "schemes": list(s.params["schemes"]),
                        "pattern": s.params["pattern"],
                    },
                    s.timeout_s,
                )
        elif s.kind == "operation":
            cell, op = s.params["cell"], s.params["operation"]
            for rows, cols in s.params["sizes"]:
                for corner in cond.corners:
                    for t in cond.temperatures_C:
                        key = f"operation/{cell}/{rows}x{cols}/{corner}/{_temp_tag(t)}/{s.index}"
                        add(
                            "operation",
                            key,
                            {
                                "family": cell,
                                "operation": op,
                                "rows": rows,
                                "cols": cols,
                                "corner": corner,
                                "temperature_C": t,
                                "mtj_model": s.params["mtj_model"],
                            },
                            s.timeout_s,
                        )
        elif s.kind == "psw":
            p = s.params
            key = f"psw/stt-mtj/{p['from_state']}/{p['voltage_V']:g}V/{s.index}"
            add(
                "psw",
                key,
                {"family": "stt-mtj", "rows": 1, "cols": 1, **p, "widths_s": list(p["widths_s"])},
                s.timeout_s,
            )
    engine[0] = "ngspice"  # training simulates nothing itself
    if study.training is not None:
        tr = dict(study.training)
        after = (
            tuple(j.key for j in jobs if j.kind == "psw" and j.params["spice_instances"] > 0)
            if tr["psw_from_study"]
            else ()
        )
        for k in range(tr["seeds"]):
            key = f"training/{tr['synapse']}/{tr['dataset']}/run{k}"
            add(
                "training",
                key,
                {"family": tr["synapse"], "rows": 0, "cols": 0, **tr},
                study.timeout_s,
                after,
            )
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):  # pragma: no cover - keys carry the section index
        raise ValueError("two study jobs share a key")
    hashed: dict[str, str] = {}
    out = []
    for j in jobs:  # dependencies come first (psw before training)
        h = j.with_hash(hashed)
        hashed[j.key] = h.hash
        out.append(h)
    return out
