"""spinspice: spintronic neural-network hardware to verified ngspice circuits.

The package is a pipeline; each stage only imports the stages before it::

    spintronic_cells -> netlists -> array_builder -> analysis -> training -> cli

``import spinspice`` stays light: heavy dependencies (pandas, jinja2, matplotlib,
PySpice) are imported by the modules that use them.
"""

from spinspice.errors import (
    NetlistError,
    ParameterError,
    ResultParseError,
    SimulationError,
    SimulatorNotFoundError,
    SpinspiceError,
)

__version__ = "0.1.0"

__all__ = [
    "NetlistError",
    "ParameterError",
    "ResultParseError",
    "SimulationError",
    "SimulatorNotFoundError",
    "SpinspiceError",
    "__version__",
]
