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
    "cytensor.theano": "cytensor",       # Theano's package names itself: from theano import theano
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
    "cytensor.compile.monitormode": "cytensor.debug.monitormode",
    "cytensor.compile.function_module": "cytensor.function",
    "cytensor.compile.io": "cytensor.function",
    "cytensor.compile.ops": "cytensor.compat.compile_ops",
    "cytensor.gof": "cytensor.compat.gof",
    "cytensor.gof.graph": "cytensor.compat.gof_graph",
    "cytensor.gof.utils": "cytensor.compat.gof_utils",
    "cytensor.gof.opt": "cytensor.compat.gof_opt",
    "cytensor.gof.op": "cytensor.compat.gof",
    "cytensor.gof.fg": "cytensor.compat.gof",
    "cytensor.gof.toolbox": "cytensor.compat.gof_toolbox",
    "cytensor.gof.optdb": "cytensor.compat.optdb",
    "cytensor.tensor.opt": "cytensor.compat.tensor_opt",
    "cytensor.tensor.nnet.abstract_conv": "cytensor.tensor.nnet.conv",
    "cytensor.tensor.nnet.nnet": "cytensor.tensor.nnet.basic",
    "cytensor.tensor.nnet.sigm": "cytensor.tensor.nnet.basic",
    "cytensor.compile.builders": "cytensor.op_from_graph",
    "cytensor.scalar": "cytensor.compat.scalar",
    "cytensor.tests.unittest_tools": "cytensor.compat.unittest_tools",
    "cytensor.gpuarray": "cytensor.compat.gpuarray",
    "cytensor.gpuarray.basic_ops": "cytensor.compat.gpuarray",
    "cytensor.gpuarray.dnn": "cytensor.compat.gpuarray",
}

# Theano's linker names: all run the kernels.
THEANO_LINKERS = {"cvm": "cy", "vm": "cy", "c": "cy", "c|py": "cy", "cvm_nogc": "cy",
                  "vm_nogc": "cy", "c|py_nogc": "cy"}

# Names Theano code reads from a module that cytensor lays out differently:
# module -> {Theano's name: the module that defines it under that name}.
THEANO_NAMES = {
    "cytensor": {"Type": "cytensor.graph"},
    "cytensor.compile": {
        **dict.fromkeys(("function", "In", "Out", "Function", "FunctionMaker"),
                        "cytensor.function"),
        **dict.fromkeys(("Mode", "get_mode", "get_default_mode", "predefined_modes"),
                        "cytensor.compile.mode"),
        **dict.fromkeys(("SharedVariable", "shared"), "cytensor.tensor.sharedvar"),
        "DebugMode": "cytensor.debug.debugmode",
        "NanGuardMode": "cytensor.debug.nanguard",
        "MonitorMode": "cytensor.debug.monitormode",
        "ProfileStats": "cytensor.debug.profiling",
        "as_op": "cytensor.compat.compile_ops",
        "optdb": "cytensor.compat.optdb",
    },
    "cytensor.compile.mode": {"optdb": "cytensor.compat.optdb"},
    "cytensor.debug.printing": {"Print": "cytensor.debug.print_op"},
    "cytensor.gradient": {
        **dict.fromkeys(("verify_grad", "numeric_grad"), "cytensor.debug.gradcheck"),
        **dict.fromkeys(("Rop", "Lop"), "cytensor.rop"),
    },
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


def install():
    """Register every path in THEANO_PATHS as an alias of its module, put
    the names of THEANO_NAMES where Theano code looks for them, and add
    Theano's linker names."""
    LINKER_ALIASES.update(THEANO_LINKERS)
    for theano_path, real in THEANO_PATHS.items():
        module = importlib.import_module(real)
        parent, _, leaf = theano_path.rpartition(".")
        sys.modules[theano_path] = module
        setattr(_parent_package(parent), leaf, module)
    for target, names in THEANO_NAMES.items():
        module = importlib.import_module(target)
        for name, source in names.items():
            setattr(module, name, getattr(importlib.import_module(source), name))
