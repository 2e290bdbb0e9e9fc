"""Stage 1: MTJ device physics (numpy/scipy only; SI units).

What lives here
---------------
``mtj``
    :class:`~spinspice.spintronic_cells.mtj.MTJParams` (frozen, validated), sign conventions
    (P = R_on = m_x = +1; current free → fixed switches AP → P), temperature (seed 001 Table 7).
``presets``
    Named parameter sets citing their source (``seed001-device-c``: seed 001 Table 3).
``switching``
    Closed-form switching: critical current, τ(I, θ) (seed 001 eq. 14–15), ``analytic`` and
    ``analytic-hc`` (eq. 16), thermally activated (seed 000), precessional (seed 002 eq. 5).
``llg``
    Stochastic LLG Monte Carlo (Slonczewski torque, Brown's thermal field, Heun), P_sw
    tables, switching-time distributions, mean resistance traces (seed 001 §5.2.2).
``domain_wall``
    Seed 004 DW devices: eq. 1 wall motion, G(X), pulse-width programming with variation,
    racetrack converter, recurrent neuron and vote timing; preset ``seed004-dw``.
``fit``
    The behavioural switching law fitted to the Monte Carlo, its versioned JSON, and the
    shipped fit ``data/seed001-device-c.fit.json``.
"""
