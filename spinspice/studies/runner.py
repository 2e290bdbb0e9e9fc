"""``run_study``: plan → skip finished → execute the rest → tables, plots, report.

The runner holds the output directory's lock for the whole run, stores every result as it
arrives (:class:`~spinspice.studies.store.Store`), and on SIGINT/SIGTERM stops the workers
and writes the report of what finished; a rerun computes only the missing jobs.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from spinspice.studies.executors import DaskCluster, LocalPool, schedule
from spinspice.studies.plan import StudyJob, plan
from spinspice.studies.report import write_report
from spinspice.studies.spec import Study, load_study
from spinspice.studies.store import Store


class StudyInterrupted(Exception):
    """SIGINT or SIGTERM arrived during a run."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run did.

    Attributes
    ----------
    study:
        The study.
    jobs:
        Every job of the study.
    computed, reused:
        Jobs run now, and jobs taken from an earlier run.
    failed:
        Jobs that failed (now).
    checks_failed:
        Checks that did not pass.
    interrupted:
        True if a signal stopped the run.
    wall_s:
        Wall time of the run, s.
    tables:
        The tables written (by name).
    """

    study: Study
    jobs: tuple[StudyJob, ...]
    computed: tuple[str, ...]
    reused: tuple[str, ...]
    failed: tuple[str, ...]
    checks_failed: int
    interrupted: bool
    wall_s: float
    tables: dict[str, Any]

    @property
    def exit_code(self) -> int:
        """0 every check passed; 1 a check or a job failed (or the run was interrupted)."""
        return 0 if not (self.failed or self.checks_failed or self.interrupted) else 1


#: Called after every job: (job, result, finished count, total, failures so far).
Progress = Callable[[StudyJob, dict[str, Any], int, int, int], None]


def run_study(
    path: Path,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    fresh: bool = False,
    progress: Progress | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Run the study file ``path`` into ``out`` (module docstring).

    Raises
    ------
    spinspice.studies.spec.StudyError
        A bad study file (nothing is run or written).
    spinspice.studies.store.StudyLockedError
        Another run holds ``out``.
    """
    t0 = time.perf_counter()
    study = load_study(path)
    jobs = plan(study)
    store = Store(out)
    store.lock()
    previous: dict[signal.Signals, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _raise_interrupt)
        if fresh:
            store.clear()
        store.clean_partial()
        done: dict[str, dict[str, Any]] = {}
        for j in jobs:
            if store.has(j.hash):
                done[j.key] = store.load(j.hash)
        reused = tuple(done)
        todo = [j for j in jobs if j.key not in done]
        if on_start is not None:
            on_start(len(todo), len(jobs))
        computed: list[str] = []
        failed: list[str] = []

        def on_result(job: StudyJob, res: dict[str, Any]) -> None:
            store.save(job.to_dict(), res)
            computed.append(job.key)
            if res.get("status") != "ok":
                failed.append(job.key)
            if progress is not None:
                progress(job, res, len(computed), len(todo), len(failed))

        interrupted = False
        backend = DaskCluster(scheduler) if scheduler else LocalPool(workers or os.cpu_count() or 1)
        try:
            schedule(backend, todo, done, on_result)
        except StudyInterrupted:
            interrupted = True
        finally:
            backend.close(kill=interrupted)
        # failures of earlier runs that were not retried now are reported too
        tables = write_report(
            study, jobs, done, Path(out), wall_s=time.perf_counter() - t0, interrupted=interrupted
        )
        verdicts = tables["verdicts"]
        checks_failed = int((~verdicts["passed"].astype(bool)).sum()) if len(verdicts) else 0
        return RunSummary(
            study,
            tuple(jobs),
            tuple(computed),
            reused,
            tuple(failed),
            checks_failed,
            interrupted,
            time.perf_counter() - t0,
            tables,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.unlock()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    del frame
    raise StudyInterrupted(signal.Signals(signum).name)
