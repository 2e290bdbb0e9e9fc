"""Study throughput: jobs per minute with 1 and 2 local workers and on a 2-worker Dask
LocalCluster, measured in one run on the same study (ratios, not absolute times).

    .venv/bin/python benchmarks/bench_study.py [--jobs 24] [--repeat 3]

The study is a batch of independent, equal jobs — 2T1R 16×16 feedforward/backprop corner
checks (~3.7 s each on a quiet machine; distinct entries, so distinct seeds) — so the ratio
shows the runner's scaling rather than process start-up: with 8×8 checks (~1.1 s each) the
~2 s a run spends starting workers and writing its report is 7 % of a 2-worker run and
caps the ratio near 1.75 (measured).
The three runs are interleaved ``--repeat`` times and the median ratios reported: on this
shared 2-vCPU machine two concurrent ngspice jobs slow each other by 7–20 % from one run to
the next, which moves a single ratio by ±0.1. Each line also gives the busy fraction
(summed job time / (workers × wall time)), the part of the scaling the runner controls.
Targets: 2 workers >= 1.8x one worker; Dask within 10 % of the local pool.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from spinspice.studies.runner import run_study

#: Array side of the benchmark's corner checks.
ROWS = 16


def _study(directory: Path, n: int, name: str = "bench") -> Path:
    text = ['[study]\nname = "bench"\nseed = 1\n']
    for _ in range(n):
        text.append(f'[[corners]]\ncell = "2t1r"\nrows = {ROWS}\noperations = ["ff", "bp"]\n')
    p = directory / f"{name}.toml"
    p.write_text("\n".join(text))
    return p


def _rate(study: Path, out: Path, workers: int, **kw: object) -> tuple[float, float]:
    """(jobs per minute, busy fraction): the busy fraction is the jobs' summed wall time
    over ``workers`` × the run's wall time — how well the runner keeps its workers fed,
    apart from how much two jobs running at once slow each other on the machine."""
    t0 = time.perf_counter()
    s = run_study(study, out, fresh=True, workers=workers, **kw)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    assert not s.failed and len(s.computed) == len(s.jobs)
    job_s = float(s.tables["jobs"]["wall_s"].sum())
    return 60.0 * len(s.jobs) / wall, job_s / (workers * wall)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=3,
                    help="interleaved repetitions of the three runs; the medians are reported")
    args = ap.parse_args()
    from dask.distributed import LocalCluster

    scaling, dask_ratio = [], []
    with tempfile.TemporaryDirectory(prefix="spinspice-bench-study-") as tmp:
        d = Path(tmp)
        study = _study(d, args.jobs)
        _rate(_study(d, 2, "warm"), d / "warm", 2)  # warm the file cache and templates
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                          dashboard_address=None) as cluster:
            for k in range(args.repeat):
                one, busy1 = _rate(study, d / "one", 1)
                two, busy2 = _rate(study, d / "two", 2)
                dask, busyd = _rate(study, d / "dask", 2, scheduler=cluster.scheduler_address)
                scaling.append(two / one)
                dask_ratio.append(dask / two)
                print(f"run {k + 1}: {args.jobs} corner-check jobs ({ROWS}x{ROWS}): 1 worker "
                      f"{one:.1f} jobs/min (busy {busy1:.2f}), 2 workers {two:.1f} jobs/min "
                      f"(busy {busy2:.2f}), Dask LocalCluster (2 workers) {dask:.1f} jobs/min "
                      f"(busy {busyd:.2f}); 2/1 {two / one:.2f}x, Dask/local {dask / two:.2f}",
                      flush=True)
    print(f"median ratio 2 workers / 1 worker: {statistics.median(scaling):.2f}x "
          f"(runs {', '.join(f'{r:.2f}' for r in scaling)}; target >= 1.8x)")
    print(f"median ratio Dask / local pool (2 workers): {statistics.median(dask_ratio):.2f} "
          f"(runs {', '.join(f'{r:.2f}' for r in dask_ratio)}; target >= 0.90)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
