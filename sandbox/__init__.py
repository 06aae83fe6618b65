"""verigrade.sandbox."""
