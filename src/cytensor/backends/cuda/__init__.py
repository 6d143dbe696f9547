"""The CuPy backend (``device=cuda``): backend.py holds its table, codegen.py
turns the elementwise and reduction tables into CUDA C, prelude.py holds the
helpers every generated kernel starts with."""
from .backend import CudaBackend  # noqa: F401  (the entry point names it here)
