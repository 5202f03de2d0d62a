"""Training code for the models qa ships (not imported by the qa runtime)."""
