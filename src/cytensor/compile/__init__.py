"""The compile stage: lowering, the linker (schedule of thunks) and the modes.

Its entry point is ``cytensor.function`` (src/cytensor/function.py).
"""
