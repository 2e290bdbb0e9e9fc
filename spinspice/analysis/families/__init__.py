"""The registered cell families, one module each (imported for their registration).

``stt_4t2r``
    4T2R ternary MTJ synapse arrays (seed 001).
``stt_2t1r``
    2T1R binary MTJ synapse arrays (seed 001 style, reference-decoded).
``crossbar``
    1T1R and 1R MTJ crossbars with 2-/4-phase stochastic writes (seed 002).

Adding a family: a module here that calls :func:`spinspice.analysis.registry.register`,
and one import line below (docs/architecture.md has the checklist).
"""

from spinspice.analysis.families import crossbar, stt_2t1r, stt_4t2r

__all__ = ["crossbar", "stt_2t1r", "stt_4t2r"]
