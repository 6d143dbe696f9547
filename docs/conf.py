"""Sphinx configuration for the cytensor documentation.

Builds without the network: intersphinx reads local inventories (see
``_inventories/make_inventories.py``), and the gallery runs ``examples/``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

import cytensor  # noqa: E402

project = "cytensor"
author = "the cytensor developers"
copyright = "2026, the cytensor developers"
release = cytensor.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "_inventories", "_templates", "gallery/*.ipynb", "gallery/*.py",
                    "gallery/*.zip", "gallery/*.md5", "gallery/*.json"]

html_theme = "furo"
html_title = f"cytensor {release}"
pygments_style = "sphinx"

# The API reference: one page per public name, NumPy-style docstrings.
autosummary_generate = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_param = False      # types as text: "optional", "list of Variable" are no targets

# Links to NumPy, SciPy and Python from local inventories only. Python's is
# Debian's python3.11-doc when installed, else the small one made here.
_python_inventory = "/usr/share/doc/python3.11/html/objects.inv"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/",
               (_python_inventory if os.path.exists(_python_inventory)
                else os.path.join(HERE, "_inventories", "python.inv"))),
    "numpy": ("https://numpy.org/doc/stable/", os.path.join(HERE, "_inventories", "numpy.inv")),
    "scipy": ("https://docs.scipy.org/doc/scipy/", os.path.join(HERE, "_inventories", "scipy.inv")),
}
intersphinx_timeout = 1

# Copy buttons leave out the prompts and the output.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

# The gallery: every examples/plot_*.py runs at build time; its plots and
# printed output go on its page.
sphinx_gallery_conf = {
    "examples_dirs": os.path.join(HERE, "..", "examples"),
    "gallery_dirs": "gallery",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
}

doctest_global_setup = """
import numpy
import cytensor as theano
import cytensor.tensor as T
from cytensor import shared
"""

# Tutorials draw their graphs into docs/tutorial/pictures, which the pages show.
doctest_global_setup += f"""
import os
def picture(name):
    return os.path.join({os.path.join(HERE, "tutorial", "pictures")!r}, name)
"""
doctest_global_setup += f"""
def data_file(name):
    return os.path.join({os.path.join(HERE, "tutorial", "data")!r}, name)
"""
