"""Regenerate the golden decks: one export per registered family and operation.

Run from the repository root:

    .venv/bin/python tests/golden/regenerate.py

Each ``tests/golden/<family>/<operation>/`` is exactly what
``spinspice netlist --cell <family> --op <operation> --rows R --cols C --seed 0 -o DIR``
writes at the family's golden size (``Family.golden_size``), with the bundled tt models
and the family's default device fit. ``tests/test_golden.py`` compares freshly built decks
with these files and simulates them with plain ngspice.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spinspice.analysis.export import export_jobs
from spinspice.analysis.families import get, names
from spinspice.analysis.registry import DesignSpec
from spinspice.netlists.technology import MosfetTechnology

GOLDEN = Path(__file__).resolve().parent
SEED = 0


def golden_jobs(family_name: str, operation: str) -> list:  # type: ignore[type-arg]
    """The jobs of one golden export (also used by the test)."""
    fam = get(family_name)
    rows, cols = fam.golden_size
    fit = fam.default_fit()
    spec = DesignSpec(rows=rows, cols=cols, technology=MosfetTechnology.default("tt"), fit=fit)
    design = fam.make_design(spec)
    return fam.build_jobs(design, fit, operation, seed=SEED)


def header(family_name: str, operation: str) -> dict[str, object]:
    """The manifest header of a golden export (no version, so that releases do not churn)."""
    fam = get(family_name)
    rows, cols = fam.golden_size
    return {"family": family_name, "operation": operation, "rows": rows, "cols": cols,
            "seed": SEED, "golden": True}


def main() -> int:
    for name in names():
        for op in get(name).operations:
            target = GOLDEN / name / op
            export_jobs(golden_jobs(name, op), target, header=header(name, op), overwrite=True)
            print(f"wrote {target.relative_to(GOLDEN.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
