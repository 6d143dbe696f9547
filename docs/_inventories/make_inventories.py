"""Write small Sphinx object inventories for NumPy, SciPy and Python.

The documentation links to NumPy, SciPy and Python through intersphinx, but
the docs build must not use the network (CI reaches only package
registries). Debian ships Python's real inventory (``python3.11-doc``) and
conf.py prefers it; Debian's bookworm has no NumPy documentation package, so
these inventories are made here, from the installed packages' public names
and the documented page layout of each project (``reference/generated/NAME.html``
for NumPy and SciPy). Run it again after upgrading NumPy or SciPy::

    python docs/_inventories/make_inventories.py

The files hold names and addresses only: no text from the projects' docs.
"""
import builtins
import inspect
import os
import zlib

import numpy
import scipy
import scipy.linalg
import scipy.signal
import scipy.special
import scipy.stats

HERE = os.path.dirname(os.path.abspath(__file__))


def _role(obj):
    if inspect.isclass(obj):
        return "py:exception" if issubclass(obj, BaseException) else "py:class"
    if callable(obj):
        return "py:function"
    return "py:data"


def _generated_entries(module, prefix):
    """One entry per public attribute of ``module``: its generated page."""
    entries = []
    for name in sorted(dir(module)):
        if name.startswith("_") or inspect.ismodule(getattr(module, name)):
            continue
        full = f"{prefix}.{name}"
        entries.append((full, _role(getattr(module, name)),
                        f"reference/generated/{full}.html#{full}"))
    return entries


def numpy_entries():
    entries = [("numpy", "py:module", "reference/index.html#module-numpy")]
    entries += _generated_entries(numpy, "numpy")
    for name in sorted(dir(numpy.ndarray)):
        if not name.startswith("_"):
            full = f"numpy.ndarray.{name}"
            role = "py:method" if callable(getattr(numpy.ndarray, name)) else "py:attribute"
            entries.append((full, role, f"reference/generated/{full}.html#{full}"))
    return entries


def scipy_entries():
    entries = [("scipy", "py:module", "reference/index.html#module-scipy")]
    for module in (scipy.linalg, scipy.signal, scipy.special, scipy.stats):
        short = module.__name__
        entries.append((short, "py:module", f"reference/{short.split('.')[1]}.html#module-{short}"))
        entries += _generated_entries(module, short)
    return entries


def python_entries():
    """A fallback for machines without Debian's python3.11-doc."""
    entries = []
    for name in sorted(dir(builtins)):
        obj = getattr(builtins, name)
        if name.startswith("_"):
            continue
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            entries.append((name, "py:exception", f"library/exceptions.html#{name}"))
        elif inspect.isclass(obj):
            page = "stdtypes" if name in {"dict", "list", "tuple", "set", "frozenset", "str",
                                          "bytes", "bytearray", "range", "memoryview"} else "functions"
            entries.append((name, "py:class", f"library/{page}.html#{name}"))
        elif callable(obj):
            entries.append((name, "py:function", f"library/functions.html#{name}"))
    entries.append(("None", "py:data", "library/constants.html#None"))
    entries.append(("True", "py:data", "library/constants.html#True"))
    entries.append(("False", "py:data", "library/constants.html#False"))
    return entries


def write_inventory(path, project, version, entries):
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n")
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in entries)
    with open(path, "wb") as out:
        out.write(header.encode())
        out.write(zlib.compress(body.encode(), 9))


if __name__ == "__main__":
    write_inventory(os.path.join(HERE, "numpy.inv"), "NumPy", numpy.__version__, numpy_entries())
    write_inventory(os.path.join(HERE, "scipy.inv"), "SciPy", scipy.__version__, scipy_entries())
    write_inventory(os.path.join(HERE, "python.inv"), "Python", "3", python_entries())
