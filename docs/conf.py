"""Sphinx configuration for the cytensor documentation."""
project = "cytensor"
author = "the cytensor developers"
copyright = "2026, the cytensor developers"
extensions = ["sphinx.ext.doctest", "sphinx.ext.autodoc"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
doctest_global_setup = """
import numpy
numpy.set_printoptions(legacy="1.13")
import cytensor as theano
import cytensor.tensor as T
from cytensor import shared
"""
