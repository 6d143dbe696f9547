"""The ``cuda`` marker: tests that need an NVIDIA GPU and CuPy (and ``nvrtc``:
tests that need only CuPy's compiler, NVRTC, which runs without a GPU).

They are skipped, with the reason the CUDA backend gives (CuPy missing,
no GPU, the driver's error), on a machine that cannot run them.

And the second backend the device tests run on without a GPU: the
reference backend (``ref``), with ``tiny`` (a third party's, with a table
of one row) and ``offbyone`` (a wrong one), registered as packages
register them (``plugins``).
"""
import importlib
import sys

import pytest

import cytensor as theano
from cytensor.compile.devices import BACKEND_GROUP, BackendUnavailable, get_backend


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs an NVIDIA GPU and the CuPy backend "
                            "(pip install 'cytensor[cuda]'); skipped, with the reason, without")
    config.addinivalue_line("markers", "nvrtc: compiles the CUDA kernels with NVRTC, no GPU "
                            "needed (pip install cupy-cuda12x); skipped, with the reason, without")


def cuda_missing():
    """Why device=cuda cannot run here, or None when it can."""
    try:
        get_backend("cuda")
    except BackendUnavailable as exc:
        return str(exc)
    return None


def pytest_collection_modifyitems(config, items):
    marked = [item for item in items if item.get_closest_marker("cuda")]
    reason = cuda_missing() if marked else None
    if reason:
        skip = pytest.mark.skip(reason=f"needs CUDA: {reason}")
        for item in marked:
            item.add_marker(skip)


# A third party's backends, as its own module: the reference backend with a
# per-op table of one row (elementwise programs), so everything else falls
# back; and one whose elementwise programs are wrong, for DebugMode to catch.
TINY_BACKEND = '''
from cytensor.backends.reference import ReferenceBackend, reference_thunk
from cytensor.tensor.elemwise import Elemwise


class TinyBackend(ReferenceBackend):
    """Runs elementwise programs only."""
    name = "tiny"
    implementations = {Elemwise: reference_thunk}


def off_by_one_thunk(backend, node, input_cells, output_cells):
    right = reference_thunk(backend, node, input_cells, output_cells)

    def thunk():
        right()
        for cell in output_cells:
            cell[0].data += 1
    return thunk


class OffByOneBackend(ReferenceBackend):
    """The reference backend, but its elementwise programs add one to every result."""
    name = "offbyone"
    implementations = {Elemwise: off_by_one_thunk, **ReferenceBackend.implementations}
'''


@pytest.fixture(scope="session")
def plugins(tmp_path_factory):
    """The folder holding the plugins' distribution metadata and module, on sys.path."""
    root = tmp_path_factory.mktemp("plugins")
    info = root / "cytensor_test_backends-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cytensor-test-backends\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{BACKEND_GROUP}]\n"
        "ref = cytensor.backends.reference:ReferenceBackend\n"
        "tiny = tiny_backend:TinyBackend\n"
        "offbyone = tiny_backend:OffByOneBackend\n")
    (root / "tiny_backend.py").write_text(TINY_BACKEND)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    yield root
    sys.path.remove(str(root))


@pytest.fixture
def on_ref(plugins):
    with theano.config.change_flags(device="ref"):
        yield get_backend("ref")
