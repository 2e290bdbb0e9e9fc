"""Stage 2: typed circuit description → checked ngspice text.

What lives here
---------------
``values``
    The one number formatter/parser and the identifier filter.
``circuit``
    Frozen dataclasses: elements, subcircuits, models, libraries, analyses, saves.
``guard``
    The post-render safety check and the only ``.control`` block we write.
``render``
    Jinja (SPICE-configured) rendering of a ``Circuit`` into a ``Deck``.
``technology``
    MOSFET model library, corner, names and sizes (bundled 28 nm-class default).
``osdi``
    Verilog-A → OSDI compilation with ``openvaf-r``.
``templates/``, ``models/``
    Jinja templates and bundled model libraries (package data).

Adding a new cell family: build its subcircuit from these dataclasses in
``spinspice.array_builder`` — never by writing netlist text. If it needs a new element
kind, add a frozen dataclass in ``circuit`` (validate every field) and one branch in the
``element`` macro of ``templates/deck.cir.j2``.
"""
