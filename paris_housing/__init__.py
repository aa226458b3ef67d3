"""paris_housing."""
