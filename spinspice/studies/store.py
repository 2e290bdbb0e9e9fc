"""The output directory of a study run: finished jobs, failures, the lock.

Layout of ``OUT/``::

    jobs/<hash>/job.json      the study job (what ran)
    jobs/<hash>/result.json   its result (tables, verdicts, metrics, provenance)
    failed/<hash>.json        the last failure of a job (retried on the next run)
    tables/*.csv  plots/*.png  report.html   (written by the report)
    .lock                     held by the running ``spinspice run``

A job directory is written into ``jobs/.tmp-<hash>-<pid>/`` and renamed into place, so
it is complete or absent: a run killed at any moment loses only unfinished jobs, and a
rerun skips every job whose directory exists.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import Any

from spinspice.errors import ParameterError


class StudyLockedError(ParameterError):
    """Another ``spinspice run`` holds the output directory."""


class Store:
    """Finished results of one output directory (module docstring)."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.jobs_dir = self.out / "jobs"
        self.failed_dir = self.out / "failed"
        self._lock_fd: int | None = None

    # ------------------------------------------------------------------ lock
    def lock(self) -> None:
        """Take the directory's lock (non-blocking); refuse if another run holds it."""
        self.out.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.out / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StudyLockedError(
                f"{self.out} is in use by another 'spinspice run' (lock {self.out / '.lock'}); "
                "wait for it or give another -o directory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release the lock."""
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    # ------------------------------------------------------------------ results
    def has(self, job_hash: str) -> bool:
        """True if the job finished in an earlier (or this) run."""
        return (self.jobs_dir / job_hash / "result.json").is_file()

    def load(self, job_hash: str) -> dict[str, Any]:
        """The stored result of a finished job."""
        out: dict[str, Any] = json.loads((self.jobs_dir / job_hash / "result.json").read_text())
        return out

    def save(self, job: dict[str, Any], result: dict[str, Any]) -> None:
        """Store a result: a finished job atomically under ``jobs/``, a failure under
        ``failed/`` (replacing an older failure; a later success removes it)."""
        h = job["hash"]
        if result.get("status") != "ok":
            self.failed_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.failed_dir / f".tmp-{h}-{os.getpid()}.json"
            tmp.write_text(json.dumps({"job": job, "result": result}, indent=1, default=str))
            tmp.replace(self.failed_dir / f"{h}.json")
            return
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.jobs_dir / f".tmp-{h}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        (tmp / "job.json").write_text(json.dumps(job, indent=1, sort_keys=True, default=str))
        (tmp / "result.json").write_text(json.dumps(result, indent=1, default=str))
        final = self.jobs_dir / h
        if final.exists():  # an identical job finished concurrently: keep the first
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.rename(final)
        (self.failed_dir / f"{h}.json").unlink(missing_ok=True)

    def failures(self, hashes: set[str]) -> list[dict[str, Any]]:
        """Stored failures of the given jobs that have not finished since."""
        out = []
        if self.failed_dir.is_dir():
            for p in sorted(self.failed_dir.glob("*.json")):
                h = p.stem
                if h in hashes and not self.has(h):
                    out.append(json.loads(p.read_text()))
        return out

    def clear(self) -> None:
        """Forget every finished job and failure (``--fresh``)."""
        for d in (self.jobs_dir, self.failed_dir):
            shutil.rmtree(d, ignore_errors=True)

    def clean_partial(self) -> None:
        """Remove temporary directories left by a killed run."""
        for d in (self.jobs_dir, self.failed_dir):
            if d.is_dir():
                for p in d.glob(".tmp-*"):
                    if p.is_dir():
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        p.unlink(missing_ok=True)
