"""Runnable examples: ``python -m cytensor.examples.digits``."""
