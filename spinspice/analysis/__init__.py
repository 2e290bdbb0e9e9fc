"""Stage analysis (docstring completed by its modules)."""
