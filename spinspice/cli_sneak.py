"""`spinspice sneak` command (being written)."""

from __future__ import annotations

import click


@click.command("sneak")
def sneak() -> None:
    """Not yet available."""
    raise click.UsageError("spinspice sneak is not available yet")
