"""One exception hierarchy for the whole toolkit.

Every error a user can provoke with bad input or a broken installation is a
:class:`SpinspiceError`; the CLI turns each into a one-line message and exit code 2.
"""

from __future__ import annotations

import math
from pathlib import Path


class SpinspiceError(Exception):
    """Base class of every error raised on purpose by spinspice."""


class ParameterError(SpinspiceError, ValueError):
    """A physical or circuit parameter is out of range or of the wrong kind."""


def require_positive(name: str, value: object) -> None:
    """Raise :class:`ParameterError` unless ``value`` is a finite real number > 0.

    Booleans are refused (``True`` is an ``int`` in Python, never a meant magnitude).
    """
    bad = ParameterError(f"{name} must be a finite number, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        finite = False
    if not finite:
        raise bad
    if value <= 0:
        raise ParameterError(f"{name} must be > 0, got {value!r}")


class NetlistError(SpinspiceError, ValueError):
    """A netlist could not be built or failed the safety guard (nothing was simulated)."""


class SimulatorNotFoundError(SpinspiceError):
    """The simulator (or a required feature of it, such as KLU or OSDI) is not installed."""


class SimulationError(SpinspiceError):
    """The simulator ran but failed; carries the run directory and the log tail.

    Parameters
    ----------
    message:
        What went wrong, in one line.
    run_dir:
        Directory holding the deck, log and raw file of the failed run (kept for inspection).
    log_tail:
        Last lines of the simulator log.
    hint:
        What the user can try.
    """

    def __init__(
        self,
        message: str,
        *,
        run_dir: Path | None = None,
        log_tail: str = "",
        hint: str = "",
    ) -> None:
        self.run_dir = run_dir
        self.log_tail = log_tail
        self.hint = hint
        parts = [message]
        if hint:
            parts.append(f"hint: {hint}")
        if run_dir is not None:
            parts.append(f"run directory: {run_dir}")
        super().__init__("; ".join(parts))


class SimulationTimeoutError(SimulationError):
    """The simulator did not finish within the allowed time."""


class ResultParseError(SpinspiceError):
    """A simulator result file (raw file, log) could not be read."""
