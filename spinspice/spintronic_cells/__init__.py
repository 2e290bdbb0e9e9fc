"""Stage spintronic_cells (docstring completed by its modules)."""
