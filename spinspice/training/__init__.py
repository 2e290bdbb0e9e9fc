"""Stage 5: training ternary and binary networks with MTJ stochastic updates.

What lives here
---------------
``data``
    Bundled datasets (scikit-learn digits, WBCD) with fixed splits; MNIST IDX reader.
``gxnor``
    Net specs, the numpy network, GXNOR maths of seed 001 §2.3 (eq. 8–13), SGD/Adam.
``mtj_update``
    MTJ-GXNOR update of the 4T2R synapse (seed 001 eq. 17/24, §4.1/§4.4 state machine),
    switching probabilities from :mod:`spinspice.spintronic_cells` or a P_sw table,
    device-to-device variation.
``binary``
    Seed 002 in-situ training of binary MTJ crossbars (1T1R, 1R 2-/4-phase), write
    mapping eq. 6–7, seed 002 device calibration, sneak-path false switches, DP baseline.
``loop``
    :class:`TrainingConfig` → :func:`train` → :class:`TrainingResult` for every synapse.
``studies``
    Sweeps over one setting and several seeds (seed 001 Tables 5–7, V_up).
``output``
    Per-epoch CSV, JSON summary, accuracy plot (atomic writes).

The stage imports :mod:`spinspice.spintronic_cells` (device model) and
:mod:`spinspice.analysis` (atomic writers), never the CLI. To add a synapse type: add its
name to ``loop.SYNAPSES``, give it an update rule that consumes the update values ΔW (or
δ, x for crossbars), and a branch in :func:`train`; keep randomness on generators seeded
from the config.
"""
