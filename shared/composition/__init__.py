"""The parts of the one composition root, ``shared.bootstrap.Container``."""
