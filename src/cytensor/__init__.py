"""cytensor: a Theano-style symbolic tensor library with precompiled Cython kernels.

    import cytensor as theano
    import cytensor.tensor as T

    x = T.matrix('x')
    f = theano.function([x], T.exp(x).sum())
"""
from ._version import __version__                          # noqa: F401

import os as _os

# OpenMP threads that wait for work by spinning steal the CPU from the thread
# doing it whenever the machine is busy (other processes, pytest-xdist):
# passive waiting made the digits demo 6x faster on a loaded 2-core machine.
# Set OMP_WAIT_POLICY yourself to override; it is read when libgomp loads.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# OpenBLAS's threads (the BLAS the kernels call, scipy's) spin for 2**28 cycles
# after each product: one multi-threaded trial of the adaptive thread choice
# then left a thread spinning through the following steps, and the book's
# MLP step with the default threads ran 1.4-1.5x slower than on one.  2**4
# cycles: they sleep at once.  Read when OpenBLAS loads (scipy's, here,
# unless scipy was imported first); set OPENBLAS_THREAD_TIMEOUT to override.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from .config import config, change_flags                     # noqa: F401
from . import kernels                                        # noqa: F401
config.watch("openmp_threads",                               # 0: OpenMP's default
             lambda n: kernels.set_num_threads(n) if n > 0 else None)
from . import threadpool                                     # noqa: F401
from .graph import Apply, Constant, Op, Variable, clone      # noqa: F401
from . import tensor                                         # noqa: F401
from .tensor import dot                                      # noqa: F401
from .tensor.sharedvar import SharedVariable, shared         # noqa: F401
from .gradient import grad                                   # noqa: F401
from . import gradient                                       # noqa: F401
from .compile.mode import Mode                               # noqa: F401
from .debug.debugmode import DebugMode                      # noqa: F401
from .debug.nanguard import NanGuardMode                     # noqa: F401
from .function import In, Out, function                      # noqa: F401
from .debug.profiling import ProfileStats                    # noqa: F401
from .debug.printing import pp, pprint                       # noqa: F401
from .debug import gradcheck, testvalue                      # noqa: F401
from .scan import scan, map, reduce, foldl, foldr            # noqa: F401,A004
from .op_from_graph import OpFromGraph                       # noqa: F401
from . import compat                                         # noqa: F401
from .compat.param import Param                              # noqa: F401
from .sysinfo import show_config                             # noqa: F401

compat.install()          # Theano's module paths: cytensor.printing, cytensor.scan_module...

show_versions = show_config

