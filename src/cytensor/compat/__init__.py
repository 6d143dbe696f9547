"""Theano's names for cytensor's modules, in one place.

Code written for Theano imports modules by paths that cytensor lays out
differently (``theano.scan_module``, ``theano.sandbox.rng_mrg``,
``theano.tensor.signal.downsample``, ``theano.printing``...), and finds some
functions in modules where cytensor does not keep them
(``theano.gradient.verify_grad``).  ``THEANO_PATHS``
maps each such path, spelled under ``cytensor``, to the module that now
holds its contents; ``install()`` (called by ``cytensor/__init__``) makes
every one of them importable and reachable as an attribute of its parent
package, so ``import cytensor as theano`` keeps those imports working.
Only this package knows the old names.
"""
import importlib
import sys
import types

from ..compile.mode import LINKER_ALIASES

# Theano's module path (under cytensor) -> the module that provides it.
THEANO_PATHS = {
    "cytensor.scan_module": "cytensor.compat.scan_module",
    "cytensor.sandbox.rng_mrg": "cytensor.compat.rng_mrg",
    "cytensor.tensor.signal.downsample": "cytensor.compat.downsample",
    "cytensor.tensor.shared_randomstreams": "cytensor.compat.shared_randomstreams",
    "cytensor.printing": "cytensor.debug.printing",
    "cytensor.ifelse": "cytensor.tensor.ifelse",
    "cytensor.sharedvalue": "cytensor.tensor.sharedvar",
    "cytensor.compile.sharedvalue": "cytensor.tensor.sharedvar",
    "cytensor.compile.debugmode": "cytensor.debug.debugmode",
    "cytensor.compile.profiling": "cytensor.debug.profiling",
    "cytensor.compile.nanguardmode": "cytensor.debug.nanguard",
}

# Theano's linker names: all run the kernels.
THEANO_LINKERS = {"cvm": "cy", "vm": "cy", "c": "cy", "c|py": "cy", "cvm_nogc": "cy",
                  "vm_nogc": "cy", "c|py_nogc": "cy"}

# Theano's name for a function that lives elsewhere here -> where it lives.
THEANO_NAMES = {
    "cytensor.gradient.verify_grad": "cytensor.debug.gradcheck.verify_grad",
    "cytensor.gradient.numeric_grad": "cytensor.debug.gradcheck.numeric_grad",
}


def _parent_package(name):
    """The module ``name`` (a package path), made as an empty package if
    Theano had a package there and cytensor has none (``sandbox``)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        package = types.ModuleType(name, f"Theano's ``{name}`` package (compatibility).")
        package.__path__ = []
        sys.modules[name] = package
        grandparent, _, leaf = name.rpartition(".")
        setattr(_parent_package(grandparent), leaf, package)
        return package


def _resolve(dotted):
    module, _, name = dotted.rpartition(".")
    return importlib.import_module(module), name


def install():
    """Register every path in THEANO_PATHS as an alias of its module, and
    every name in THEANO_NAMES in the module Theano users find it in, and
    Theano's linker names."""
    LINKER_ALIASES.update(THEANO_LINKERS)
    for theano_path, real in THEANO_PATHS.items():
        module = importlib.import_module(real)
        parent, _, leaf = theano_path.rpartition(".")
        sys.modules[theano_path] = module
        setattr(_parent_package(parent), leaf, module)
    for theano_name, real in THEANO_NAMES.items():
        module, name = _resolve(real)
        theano_module, theano_attr = _resolve(theano_name)
        setattr(theano_module, theano_attr, getattr(module, name))
