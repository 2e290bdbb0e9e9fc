"""Stage 7: the command-line interface — parses options and delegates.

What lives here
---------------
``_common``
    One-line errors (exit 2), output preparation, the shared technology and simulator
    options, the engine chosen on the command line.
``doctor``, ``gxnor``, ``device``, ``arrays`` (corners, energy), ``netlist``, ``sneak``,
``train``
    One module per command or command group.

The group is assembled here; command modules never import this package's ``__init__``,
so there is no import cycle.
"""

from __future__ import annotations

import click

from spinspice import __version__
from spinspice.cli._common import SpinspiceGroup, harden_options
from spinspice.cli.arrays import corners, energy
from spinspice.cli.crosscheck import crosscheck
from spinspice.cli.device import device
from spinspice.cli.doctor import doctor
from spinspice.cli.dw import dw
from spinspice.cli.gxnor import gxnor
from spinspice.cli.maap import maap
from spinspice.cli.netlist import netlist
from spinspice.cli.run import run
from spinspice.cli.sneak import sneak
from spinspice.cli.train import train


@click.group(
    cls=SpinspiceGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="spinspice")
def cli() -> None:
    """spinspice: MTJ synapse circuits, simulated in ngspice.

    All values are SI: volts (V), ohms, seconds (s), amperes (A). Numbers are plain
    decimals or exponent form (1.5e3, 2e-9); SPICE suffixes such as 1Meg are refused.
    """


for _command in (doctor, run, gxnor, device, corners, energy, netlist, sneak, train, maap, dw,
                 crosscheck):
    cli.add_command(_command)
harden_options(cli)  # every float option refuses NaN/inf (one option type everywhere)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="spinspice")


__all__ = ["cli", "main"]
