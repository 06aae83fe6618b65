"""verigrade.trainer_client."""
