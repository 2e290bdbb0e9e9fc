"""Where study jobs run: a local process pool, or a ``dask.distributed`` cluster.

Both go through :func:`schedule`: jobs are submitted as soon as the jobs they depend on
have finished (two per worker at a time, so no worker waits for the runner; jobs that
others depend on go first), results are handed to a callback in completion order (the
callback stores them, so a finished job is on disk before the next one is reported), and a
job whose dependency failed fails without running.

Local pool: ``spawn``-started worker processes (no fork of a process that already runs
threads) that die with the runner (``PR_SET_PDEATHSIG``), ignore SIGINT (the runner
decides) and run one job at a time. A worker that dies (killed, out of memory) breaks the
whole ``ProcessPoolExecutor``: every job in flight then comes back as "worker died", and
:func:`schedule` runs each of them once more on a rebuilt pool. A job in flight at a
second worker death fails with that message (so a job that kills its worker every time
fails after its retry, and so may a retried job that was in flight beside it).

Dask: ``Client(address)``; each job is one task (``pure=False``; ~200 µs scheduling cost
per task is negligible against seconds-long jobs).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from spinspice.studies.plan import StudyJob
from spinspice.studies.tasks import execute

#: Linux prctl option: signal sent to this process when its parent dies.
_PR_SET_PDEATHSIG = 1

ResultCallback = Callable[[StudyJob, dict[str, Any]], None]

#: Jobs submitted per worker at a time (running + queued).
_QUEUE_DEPTH = 2


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc: no-op
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _worker_init() -> None:
    """Worker set-up: die with the runner, leave SIGINT to it."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _failed(job: StudyJob, message: str) -> dict[str, Any]:
    return {
        "key": job.key,
        "hash": job.hash,
        "kind": job.kind,
        "status": "failed",
        "error": message,
        "log_tail": "",
        "run_dir": None,
        "sim_jobs": [],
        "wall_s": 0.0,
    }


class LocalPool:
    """A pool of ``workers`` local processes (module docstring)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self._pool: cf.ProcessPoolExecutor | None = None

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
        )

    def submit(self, job: StudyJob, inputs: dict[str, Any]) -> Any:
        if self._pool is None:
            self._pool = self._new_pool()
        return self._pool.submit(execute, job.to_dict(), inputs)

    def wait(self, futures: Sequence[Any]) -> set[Any]:
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return done

    def result(self, future: Any, job: StudyJob) -> dict[str, Any]:
        try:
            out: dict[str, Any] = future.result()
            return out
        except cf.process.BrokenProcessPool:
            self._pool = None  # rebuilt on the next submit
            return {
                **_failed(job, "the worker process died while running this job"),
                "worker_died": True,  # schedule() runs it once more
            }

    def close(self, *, kill: bool = False) -> None:
        if self._pool is None:
            return
        if kill:
            for p in list(getattr(self._pool, "_processes", {}).values()):
                with contextlib.suppress(ProcessLookupError, OSError):
                    os.kill(p.pid, signal.SIGKILL)
        self._pool.shutdown(wait=not kill, cancel_futures=True)
        self._pool = None


class DaskCluster:
    """Jobs as tasks on a running ``dask.distributed`` scheduler at ``address``."""

    def __init__(self, address: str) -> None:
        from spinspice.errors import ParameterError

        try:
            from dask.distributed import Client
        except ImportError:
            raise ParameterError(
                "--scheduler needs dask.distributed: pip install 'spinspice[cluster]'"
            ) from None
        try:
            self.client = Client(address, timeout="20s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise ParameterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def submit(self, job: StudyJob, inputs: dict[str, Any]) -> Any:
        return self.client.submit(
            execute, job.to_dict(), inputs, key=f"spinspice-{job.hash}", pure=False
        )

    def wait(self, futures: Sequence[Any]) -> set[Any]:
        from dask.distributed import wait

        done, _ = wait(list(futures), return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
        return set(done)

    def result(self, future: Any, job: StudyJob) -> dict[str, Any]:
        try:
            out: dict[str, Any] = future.result()
            return out
        except Exception as exc:  # a worker lost or a task error: this job fails alone
            return _failed(job, f"Dask task failed: {type(exc).__name__}: {exc}")

    def close(self, *, kill: bool = False) -> None:
        del kill  # closing the client releases (and so cancels) its unfinished tasks
        self.client.close()  # type: ignore[no-untyped-call]


def schedule(
    backend: LocalPool | DaskCluster,
    jobs: Sequence[StudyJob],
    done: dict[str, dict[str, Any]],
    on_result: ResultCallback,
) -> None:
    """Run ``jobs`` (none of them in ``done``) on ``backend`` (module docstring).

    ``done`` maps job keys to the results of jobs finished earlier (a resumed run); it is
    updated as jobs finish.
    """
    # jobs that others wait for first (a study's training waits for its P_sw job: started
    # last, that chain would run alone at the end while the other workers idle)
    needed = {k for j in jobs for k in j.after}
    pending = sorted(jobs, key=lambda j: j.key not in needed)  # stable: plan order otherwise
    running: dict[Any, StudyJob] = {}
    # one job queued behind each running one: a worker that finishes starts its next job at
    # once instead of idling while the runner stores the result and submits the next
    limit = _QUEUE_DEPTH * max(1, backend.workers)
    retried: set[str] = set()
    while pending or running:
        progressed = True
        while progressed and len(running) < limit:
            progressed = False
            for job in list(pending):
                deps = [done.get(k) for k in job.after]
                if any(d is not None and d.get("status") != "ok" for d in deps):
                    pending.remove(job)
                    res = _failed(job, "a job it depends on failed")
                    done[job.key] = res
                    on_result(job, res)
                    progressed = True
                    break
                if all(d is not None for d in deps):
                    pending.remove(job)
                    inputs = {k: done[k] for k in job.after}
                    running[backend.submit(job, inputs)] = job
                    progressed = True
                    break
        if not running:
            if pending:  # pragma: no cover - plan() orders dependencies first
                raise RuntimeError("study jobs wait on jobs that are not in the study")
            break
        for fut in backend.wait(list(running)):
            job = running.pop(fut)
            res = backend.result(fut, job)
            if res.pop("worker_died", False) and job.key not in retried:
                retried.add(job.key)  # in flight when a worker died: once more
                pending.insert(0, job)
                continue
            done[job.key] = res
            on_result(job, res)
