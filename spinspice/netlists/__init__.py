"""Stage netlists (docstring completed by its modules)."""
