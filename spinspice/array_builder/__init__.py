"""Stage array_builder (docstring completed by its modules)."""
