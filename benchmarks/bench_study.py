"""Study throughput: jobs per minute with 1 and 2 local workers and on a 2-worker Dask
LocalCluster, measured in one run on the same study (ratios, not absolute times).

    .venv/bin/python benchmarks/bench_study.py [--jobs 16]

The study is a batch of independent, equal jobs — 2T1R 8×8 feedforward/backprop corner checks
(~2–4 s of ngspice each; distinct entries, so distinct seeds) — so the ratio shows the runner's
scaling and overhead rather than process start-up.
Targets: 2 workers >= 1.8x one worker; Dask within 10 % of the local pool.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from spinspice.studies.runner import run_study


def _study(directory: Path, n: int) -> Path:
    text = ['[study]\nname = "bench"\nseed = 1\n']
    for _ in range(n):
        text.append('[[corners]]\ncell = "2t1r"\nrows = 8\noperations = ["ff", "bp"]\n')
    p = directory / "bench.toml"
    p.write_text("\n".join(text))
    return p


def _rate(study: Path, out: Path, **kw: object) -> float:
    t0 = time.perf_counter()
    s = run_study(study, out, fresh=True, **kw)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    assert not s.failed and len(s.computed) == len(s.jobs)
    return 60.0 * len(s.jobs) / wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=12)
    args = ap.parse_args()
    from dask.distributed import LocalCluster

    with tempfile.TemporaryDirectory(prefix="spinspice-bench-study-") as tmp:
        d = Path(tmp)
        study = _study(d, args.jobs)
        _rate(study, d / "warm", workers=2)  # warm the file cache and OSDI/templates
        one = _rate(study, d / "one", workers=1)
        two = _rate(study, d / "two", workers=2)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            dask = _rate(study, d / "dask", scheduler=cluster.scheduler_address)
    print(f"{args.jobs} corner-check jobs: 1 worker {one:.1f} jobs/min, 2 workers {two:.1f} jobs/min, "
          f"Dask LocalCluster (2 workers) {dask:.1f} jobs/min")
    print(f"ratio 2 workers / 1 worker: {two / one:.2f}x (target >= 1.8x)")
    print(f"ratio Dask / local pool (2 workers): {dask / two:.2f} (target >= 0.90)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
