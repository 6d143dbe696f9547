"""DebugMode and NanGuardMode on a device: they read its arrays through the backend.

On the reference device (``ref0``: NumPy refuses its arrays, so a check
that read them as NumPy arrays would fail, and one that skipped what is
not a NumPy array would check nothing), and on ``offbyone0``, whose
elementwise kernels are wrong (tests/conftest.py).  The ``cuda`` tests
repeat them on a GPU.
"""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.debugmode import BadThunkOutput, DebugMode
from cytensor.debug.nanguard import NanGuardError, NanGuardMode


def small_model(mode):
    """A layer, a loss and its gradient, with an update of a shared weight."""
    rng = np.random.default_rng(4)
    x = T.dmatrix("x")
    w = theano.shared(rng.normal(size=(3, 2)), name="w")
    hidden = T.tanh(T.dot(x, w))
    cost = (hidden ** 2).mean() + T.exp(-hidden).sum()
    step = theano.function([x], [hidden, cost], updates=[(w, w - 0.1 * T.grad(cost, w))],
                           mode=mode)
    values = [step(rng.normal(size=(4, 3))) for _ in range(2)]
    return [v for pair in values for v in pair] + [w.get_value()]


@pytest.mark.parametrize("device", ["ref", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_debugmode_checks_every_node_on_the_device_and_gives_the_cpus_numbers(plugins, device):
    on_cpu = small_model(DebugMode(check_preallocated_output=True))
    with theano.config.change_flags(device=device):
        on_device = small_model(DebugMode(check_preallocated_output=True))
    for want, got in zip(on_cpu, on_device):
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_debugmode_catches_a_wrong_kernel_on_the_device(plugins):
    x = T.dvector("x")
    with theano.config.change_flags(device="offbyone"):
        plain = theano.function([x], T.exp(x))
        checked = theano.function([x], T.exp(x), mode=DebugMode())
    assert plain(np.zeros(2)).tolist() == [2.0, 2.0]          # the wrong kernel, unchecked
    with pytest.raises(BadThunkOutput, match=r"kernel of Elemwise\{exp"):
        checked(np.zeros(2))


def test_debugmode_checks_a_scans_step_on_the_device(plugins):
    x = T.dvector("x")
    with theano.config.change_flags(device="offbyone"):
        total, _ = theano.scan(lambda v, acc: acc + T.exp(v), sequences=[x],
                               outputs_info=[T.constant(np.float64(0))], mode=DebugMode())
        f = theano.function([x], total[-1], mode=DebugMode())
    with pytest.raises(BadThunkOutput, match=r"kernel of Elemwise"):
        f(np.zeros(3))


def nan_at(device, values):
    """Run log(x) * w on ``device`` under NanGuardMode; the error's message."""
    x = T.dvector("x")
    with theano.config.change_flags(device=device):
        w = theano.shared(np.array([1.0, 2.0]), name="w")
        f = theano.function([x], T.log(x) * w, mode=NanGuardMode())
    assert type(w.container[0]).__name__ != "ndarray"
    f(np.array([1.0, 2.0]))                                    # clean values pass
    with pytest.raises(NanGuardError) as caught:
        f(values)
    return str(caught.value)


@pytest.mark.parametrize("device", ["ref", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_nanguard_names_the_device_node_that_made_a_nan(plugins, device):
    message = nan_at(device, np.array([-1.0, 1.0]))
    assert message.startswith("NanGuardMode: nan in output 0 of Elemwise")
    assert "1 nan, 0 inf" in message                      # the device's values, summarized
    message = nan_at(device, np.array([0.0, 1.0]))
    assert "inf in output 0 of Elemwise" in message


@pytest.mark.parametrize("device", ["ref", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_nanguard_finds_a_nan_in_a_shared_value_on_the_device(plugins, device):
    with theano.config.change_flags(device=device):
        w = theano.shared(np.array([1.0, np.nan]), name="w")
        f = theano.function([], w * 2, mode=NanGuardMode())
    assert type(w.container[0]).__name__ != "ndarray"
    with pytest.raises(NanGuardError, match="nan in w, an input of the function"):
        f()
