"""The `genimg` command line."""
