"""Stage training (docstring completed by its modules)."""
