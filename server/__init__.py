"""verigrade.server."""
