"""The ``cuda`` marker: tests that need an NVIDIA GPU and CuPy.

They are skipped, with the reason the CUDA backend gives (CuPy missing,
no GPU, the driver's error), on a machine that cannot run them.
"""
import pytest

from cytensor.compile.devices import BackendUnavailable, get_backend


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs an NVIDIA GPU and the CuPy backend "
                            "(pip install 'cytensor[cuda]'); skipped, with the reason, without")


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
