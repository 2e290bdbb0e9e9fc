"""Stage 3: cells and M×N arrays built as circuit descriptions.

What lives here
---------------
``synapse_4t2r``
    The 4T2R ternary MTJ synapse (seed 001 Fig. 3a), its weight encoding (Table 1)
    and the GXNOR testbench.

Adding a cell family: write a module with a frozen design dataclass (validated), a
function returning its :class:`~spinspice.netlists.circuit.Subcircuit`, and testbench
builders returning a :class:`~spinspice.netlists.circuit.Circuit`. Fix the conventions
(which MTJ state is which weight, which current direction switches which way) once, in
the module docstring.
"""
