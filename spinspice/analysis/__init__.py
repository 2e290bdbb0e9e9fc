"""Stage 4: run simulators, read their results, build tables, CSV and plots.

What lives here
---------------
``runner``
    :class:`NgspiceSubprocess` (default backend), options, failure detection.
``pyspice_backend``
    Optional in-process backend through PySpice (GPL-3, extra ``pyspice``).
``rawfile``
    ngspice raw-file reader (binary and ascii, multi-plot, complex).
``tables``
    Atomic CSV/JSON/figure writers.
``gxnor``
    The 4T2R GXNOR check (12 cases) as a table.
``environment``
    Checks behind ``spinspice doctor``.
``mosfet``
    Characterisation of the MOSFET models (Ion, Ioff, Vth).
``device``
    P_sw tables of one MTJ from every model, SPICE instances with recorded draws, plots.
``array_ops``, ``update_ops``, ``array_2t1r_ops``
    Array operations measured: decoded outputs, energy, latency, stochastic updates.
``corners``, ``corners_2t1r``
    Corner-synapse checks and the decoding-size sweep (``spinspice corners``).
``energy``
    Energy, power, area and TOPS/W tables (``spinspice energy``).
``nodal``, ``sneak``
    Sparse nodal solver of crossbars and per-phase sneak-path extraction (``spinspice sneak``).
"""
