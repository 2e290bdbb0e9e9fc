"""Stage 3: cells and M×N arrays built as circuit descriptions.

What lives here
---------------
``synapse_4t2r``
    The 4T2R ternary MTJ synapse (seed 001 Fig. 3a), its weight encoding (Table 1)
    and the GXNOR testbench.
``array_4t2r``
    M×N 4T2R arrays (seed 001 Fig. 3b): weights, feedforward and backprop decks.
``update_4t2r``
    Stochastic in-situ update decks, general and SGD schemes (eq. 18–24, Table 2).
``synapse_2t1r``, ``array_2t1r``
    The 2T1R binary synapse, its reference-decoded arrays and update decks.
``parasitics``
    Wire (per-unit-length R, C) and layout (area) models.
``dw_devices``, ``dw_crossbar``, ``dw_neurons``
    Seed 004 domain-wall circuits: synapse/racetrack benches, the DW crossbar with offset
    column and V_DD/2 clamp buffers, recurrent neuron and time-domain majority vote.
``crossbar``, ``crossbar_spice``
    Seed 002 1T1R/1R crossbars: schedules (2-/4-phase), the typed resistive network shared
    by ngspice and the sparse solver, transient update decks.

Adding a cell family: write a module with a frozen design dataclass (validated), a
function returning its :class:`~spinspice.netlists.circuit.Subcircuit`, and testbench
builders returning a :class:`~spinspice.netlists.circuit.Circuit`. Fix the conventions
(which MTJ state is which weight, which current direction switches which way) once, in
the module docstring.
"""
