"""What a bug report needs: the system, the dependencies and how the kernels were built.

``cytensor.show_config()`` prints it (scikit-learn's ``show_versions`` is the
model); ``system_info()`` returns the same facts as a dict of sections.
"""
import platform
import sys

import numpy
import scipy

from . import kernels
from ._version import __version__
from .config import config


def system_info():
    """{"cytensor": {...}, "system": {...}, "dependencies": {...}, "build": {...}}."""
    build = kernels.build_config()
    return {
        "cytensor": {
            "version": __version__,
            "floatX": config.floatX,
            "mode": config.mode,
            "linker": config.linker,
        },
        "system": {
            "python": sys.version.replace("\n", " "),
            "executable": sys.executable,
            "machine": platform.platform(),
        },
        "dependencies": {
            "numpy": numpy.__version__,
            "scipy": scipy.__version__,
            "BLAS": blas_description(),
        },
        "build": {
            "compiler": build["COMPILER"] or "unknown",
            "OpenMP": "on" if kernels.openmp_enabled() else "off (kernels run serially)",
            "libmvec": {True: "on", False: "off", None: "unknown"}[build["MVEC"]],
            "threads": kernels.get_num_threads(),
            "compile flags": " ".join(build["CFLAGS"] or ["unknown"]),
            "link flags": " ".join(build["LDFLAGS"] or ["unknown"]),
        },
    }


def show_config(file=None):
    """Print cytensor's version, the system, NumPy/SciPy/BLAS and the kernels' build.

    The build facts are the compiler, OpenMP, libmvec and the threads: with
    the rest, what to paste into a bug report.  Also ``show_versions``, as
    scikit-learn names it.

    Parameters
    ----------
    file : stream, optional
        Default: stdout.

    Returns
    -------
    None

    Examples
    --------
    >>> theano.show_config()             # doctest: +ELLIPSIS
    cytensor:
      version: ...
    system:
    ...
    build:
    ...
    """

    lines = []
    for section, facts in system_info().items():
        lines.append(f"{section}:")
        width = max(len(key) for key in facts)
        lines += [f"  {key:>{width}}: {value}" for key, value in facts.items()]
    print("\n".join(lines), file=file)


def blas_description():
    """The BLAS that scipy.linalg.cython_blas calls, with its version."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for lib in threadpool_info():
            if lib.get("user_api") == "blas" and "scipy" in lib.get("filepath", ""):
                return f"{lib['internal_api']} {lib.get('version')}, {lib.get('num_threads')} threads"
    blas = scipy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
