"""The registered cell families, one module each (imported for their registration).

``stt_4t2r``
    4T2R ternary MTJ synapse arrays (seed 001).
``stt_2t1r``
    2T1R binary MTJ synapse arrays (seed 001 style, reference-decoded).
``crossbar``
    1T1R and 1R MTJ crossbars with 2-/4-phase stochastic writes (seed 002).
``dw``
    Domain-wall synapse crossbar with offset column (seed 004).
``maap``
    SHE-MTJ Multiply-Accumulate-Activate-Pool sets (seed 003).

Adding a family: a module here that calls :func:`spinspice.analysis.registry.register`,
and one import line below (docs/architecture.md has the checklist).
"""

from spinspice.analysis.families import crossbar, dw, maap, stt_2t1r, stt_4t2r
from spinspice.analysis.registry import Capability, Family, registered
from spinspice.errors import ParameterError

#: The order families are listed in (``--cell`` choices); others follow in registration order.
PREFERRED_ORDER = ("4t2r", "2t1r", "1t1r", "1r")


def _ordered() -> list[Family]:
    fams = registered()
    first = [fams[n] for n in PREFERRED_ORDER if n in fams]
    return first + [f for n, f in fams.items() if n not in PREFERRED_ORDER]


def names(capability: Capability = "jobs") -> tuple[str, ...]:
    """Registered family names that offer ``capability``."""
    return tuple(f.name for f in _ordered() if f.has(capability))


def get(name: str, capability: Capability = "jobs") -> Family:
    """The family called ``name``; a clear error if it is unknown or lacks ``capability``."""
    fams = registered()
    if name not in fams:
        raise ParameterError(f"unknown cell family {name!r}; use one of {', '.join(names())}")
    fam = fams[name]
    if not fam.has(capability):
        raise ParameterError(
            f"family {name} has no {capability}; families with it: {', '.join(names(capability))}"
        )
    return fam


__all__ = ["crossbar", "dw", "get", "maap", "names", "stt_2t1r", "stt_4t2r"]
