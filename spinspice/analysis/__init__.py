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
"""
