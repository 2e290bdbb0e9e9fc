"""``spinspice doctor``: what the installation offers, each feature checked by using it."""

from __future__ import annotations

import sys

import click

from spinspice import __version__
from spinspice.cli._common import (
    EXIT_BAD_INPUT,
    _console,
    handle_errors,
)


@click.command()
@handle_errors
def doctor() -> None:
    """Report ngspice (path, version, KLU, OSDI), the Verilog-A compiler and Python packages.

    Each feature is checked by actually using it. Exit code 2 if something required
    is missing; each missing item comes with an install hint.
    """
    from rich.table import Table

    from spinspice.analysis.environment import run_checks
    from spinspice.analysis.runner import NgspiceOptions, NgspiceSubprocess
    from spinspice.analysis.vacask_engine import VacaskEngine

    checks = run_checks(NgspiceSubprocess(NgspiceOptions(timeout_s=60)), VacaskEngine())
    table = Table(title=f"spinspice {__version__} environment")
    table.add_column("component")
    table.add_column("status")
    table.add_column("detail")
    table.add_column("how to fix")
    for c in checks:
        status = "[green]ok[/]" if c.ok else "[red]MISSING[/]"
        table.add_row(c.name, status, c.detail, "" if c.ok else c.hint)
    _console().print(table)
    if not all(c.ok for c in checks):
        sys.exit(EXIT_BAD_INPUT)

