"""`spinspice train` command (being written)."""

from __future__ import annotations

import click


@click.command("train")
def train() -> None:
    """Not yet available."""
    raise click.UsageError("spinspice train is not available yet")
