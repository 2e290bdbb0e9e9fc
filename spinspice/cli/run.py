"""``spinspice run STUDY.toml -o OUT/``: a whole study on a local pool or a Dask cluster."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from spinspice.cli._common import _console, handle_errors


@click.command("run")
@click.argument(
    "study_path", metavar="STUDY.toml", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Output directory (tables/, plots/, report.html, jobs/).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Local worker processes (default: the number of cores).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on a dask.distributed cluster instead, e.g. tcp://host:8786.",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Recompute every job (default: reuse the finished jobs in OUT/jobs).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def run(
    study_path: Path,
    out_dir: Path,
    workers: int | None,
    scheduler: str | None,
    fresh: bool,
    quiet: bool,
) -> None:
    """Run a study: expand STUDY.toml into jobs, run them, write tables, plots and a report.

    Finished jobs are stored under OUT/jobs/<hash>/ as they complete; a rerun (after an
    interruption, say) computes only the missing ones. Exit code 0 when every check
    passes, 1 when a check or a job fails (the rest of the study still completes), 2 for a
    bad study file or installation. Schema: docs/studies.md.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from spinspice.studies.runner import run_study

    if scheduler is not None and workers is not None:
        raise click.BadParameter("give --workers or --scheduler, not both", param_hint="--workers")
    if out_dir.exists() and not out_dir.is_dir():
        raise click.BadParameter(f"{out_dir} is not a directory", param_hint="-o")
    err = _console(stderr=True)
    bar = Progress(
        TextColumn("[bold]study[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failures]} failed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}"),
        console=err,
        disable=quiet,
        transient=False,
    )
    state: dict[str, Any] = {}

    def on_start(todo: int, total: int) -> None:
        if total > todo and not quiet:
            err.print(f"reusing {total - todo} finished jobs of {total} in {out_dir / 'jobs'}")
        state["task"] = bar.add_task("study", total=max(todo, 1), failures=0, last="")

    def progress(job: Any, res: dict[str, Any], n: int, total: int, failures: int) -> None:
        del total
        bar.update(state["task"], completed=n, failures=failures, last=job.key)
        if res.get("status") != "ok":
            bar.console.print(
                f"[red]failed[/] {job.key}: {res.get('error', '')}", markup=True, highlight=False
            )

    with bar:
        summary = run_study(
            study_path,
            out_dir,
            workers=workers,
            scheduler=scheduler,
            fresh=fresh,
            progress=progress,
            on_start=on_start,
        )
    con = _console()
    v = summary.tables["verdicts"]
    n_pass = int(v["passed"].sum()) if len(v) else 0
    con.print(
        f"{summary.study.name}: {len(summary.jobs)} jobs ({len(summary.computed)} run, "
        f"{len(summary.reused)} reused, {len(summary.failed)} failed), "
        f"{n_pass}/{len(v)} checks passed, {summary.wall_s:.1f} s"
    )
    con.print(f"wrote {out_dir / 'report.html'}, {out_dir / 'tables'}/, {out_dir / 'plots'}/")
    if summary.interrupted:
        con.print("[yellow]interrupted[/]: run the same command again to finish the missing jobs")
    if summary.exit_code:
        sys.exit(summary.exit_code)
