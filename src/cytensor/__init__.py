"""cytensor: a Theano-style symbolic tensor library with precompiled Cython kernels.

    import cytensor as theano
    import cytensor.tensor as T

    x = T.matrix('x')
    f = theano.function([x], T.exp(x).sum())
"""
__version__ = "0.1.0"

import os as _os

# OpenMP threads that wait for work by spinning steal the CPU from the thread
# doing it whenever the machine is busy (other processes, pytest-xdist):
# passive waiting made the digits demo 6x faster on a loaded 2-core machine.
# Set OMP_WAIT_POLICY yourself to override; it is read when libgomp loads.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .config import config, change_flags                     # noqa: F401
from . import kernels                                        # noqa: F401
from .graph import Apply, Constant, Op, Variable, clone      # noqa: F401
from . import tensor                                         # noqa: F401
from .tensor import dot                                      # noqa: F401
from .tensor.sharedvar import SharedVariable, shared         # noqa: F401
from .gradient import grad                                   # noqa: F401
from . import gradient                                       # noqa: F401
from .compile.mode import Mode                               # noqa: F401
from .debug.debugmode import DebugMode, NanGuardMode         # noqa: F401
from .function import In, Out, function                      # noqa: F401
from .debug.profiling import ProfileStats                    # noqa: F401
from .debug.printing import pp, pprint                       # noqa: F401
from .scan import scan, map, reduce, foldl, foldr            # noqa: F401,A004
from .op_from_graph import OpFromGraph                       # noqa: F401
from . import compat                                         # noqa: F401
from .compat.param import Param                              # noqa: F401

compat.install()          # Theano's module paths: cytensor.printing, cytensor.scan_module...


def show_config(file=None):
    """Print the version, the kernels' build (OpenMP, threads), BLAS and floatX."""
    import numpy
    import scipy
    build = kernels.build_config()
    lines = [
        f"cytensor {__version__}",
        f"  floatX: {config.floatX}   mode: {config.mode}   linker: {config.linker}",
        f"  OpenMP: {'on' if kernels.openmp_enabled() else 'off (kernels run serially)'}, "
        f"threads: {kernels.get_num_threads()}",
        f"  libmvec (vector math): {'on' if build['MVEC'] else 'off'}",
        f"  compile flags: {' '.join(build['CFLAGS'] or ['unknown'])}",
        f"  BLAS: {_blas_description()} (through scipy {scipy.__version__})",
        f"  numpy {numpy.__version__}",
    ]
    print("\n".join(lines), file=file)


def _blas_description():
    try:
        from threadpoolctl import threadpool_info
        for lib in threadpool_info():
            if lib.get("user_api") == "blas" and "scipy.libs" in lib.get("filepath", ""):
                return f"{lib['internal_api']} {lib.get('version')}"
    except ImportError:
        pass
    import scipy
    config_info = scipy.show_config(mode="dicts")
    blas = config_info.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
