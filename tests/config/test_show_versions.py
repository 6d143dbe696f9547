"""show_config(): the facts a bug report needs, as scikit-learn's show_versions gives."""
import io
import platform
import sys

import numpy
import scipy

import cytensor
from cytensor import kernels
from cytensor.sysinfo import system_info


def test_show_config_names_system_dependencies_and_build():
    out = io.StringIO()
    cytensor.show_config(file=out)
    text = out.getvalue()
    assert text.startswith("cytensor:\n")
    for fact in (f"version: {cytensor.__version__}", sys.version.split()[0],
                 platform.platform(), f"numpy: {numpy.__version__}",
                 f"scipy: {scipy.__version__}", "BLAS: ", "compiler: ", "OpenMP: ",
                 "libmvec: ", f"threads: {kernels.get_num_threads()}", "compile flags: "):
        assert fact in text, fact
    assert cytensor.show_versions is cytensor.show_config


def test_build_facts_come_from_the_build():
    build = system_info()["build"]
    assert build["OpenMP"].startswith("on" if kernels.openmp_enabled() else "off")
    assert "-ffast-math" not in build["compile flags"]
    # Built by setup.py, the compiler and libmvec are known.
    if kernels.buildinfo is not None and hasattr(kernels.buildinfo, "COMPILER"):
        assert build["compiler"] != "unknown" and build["libmvec"] in ("on", "off")
