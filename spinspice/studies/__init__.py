"""Stage 5: studies — one TOML file, many simulation jobs, one report.

What lives here
---------------
``spec``
    The study file: strict TOML schema and validation (docs/studies.md).
``plan``
    Expansion into study jobs (kind, family, size, corner, temperature, seed), content
    hashes, per-job seeds from the study seed and the job key.
``tasks``
    One job's execution in a worker: builds the engine, runs the family's measures.
``executors``
    A local process pool or a ``dask.distributed`` cluster, dependency-aware scheduling.
``store``
    The output directory: atomic per-job results, failures, the lock (resume).
``report``
    Tidy tables, plots and the self-contained ``report.html``.
``runner``
    :func:`run_study`, the whole run.
"""
