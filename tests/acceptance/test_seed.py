"""The listings of the seed document, run as written (with floatX=float32, as the book)."""
import numpy
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import shared


@pytest.fixture(autouse=True)
def float32():
    with theano.config.change_flags(floatX="float32"):
        yield


def test_multiple_outputs_listing():
    a = T.matrix()
    ex = theano.function([a], [T.exp(a), T.log(a), a**2])
    data = numpy.random.randn(3, 3).astype(theano.config.floatX)
    out = ex(data)
    assert isinstance(out, list) and len(out) == 3
    for array in out:
        assert array.dtype == numpy.float32 and array.shape == (3, 3)
    numpy.testing.assert_allclose(out[0], numpy.exp(data), rtol=1e-6)
    with numpy.errstate(invalid="ignore"):
        numpy.testing.assert_allclose(out[1], numpy.log(data), rtol=1e-6)
    assert numpy.array_equal(numpy.isnan(out[1]), data < 0)
    numpy.testing.assert_allclose(out[2], data ** 2, rtol=1e-6)


def test_updates_listing():
    w = shared(1.0)
    x = T.scalar('x')
    mul = theano.function([x], updates=[(w, w*x)])
    assert mul(4) == []
    value = w.get_value()
    assert isinstance(value, numpy.ndarray) and value.dtype == numpy.float64
    assert value == numpy.array(4.0) and value.shape == ()


def test_grad_listing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = T.scalar()
    pow = a ** 2
    g = theano.grad(pow, a)
    theano.printing.pydotprint(g)
    theano.printing.pydotprint(theano.function([a], g))
    picture = tmp_path / "cytensor.pydotprint.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    f = theano.function([a], g)
    for value in (-2.5, 0.0, 3.0):
        assert f(value) == pytest.approx(2 * value)
    # The gradient graph is equivalent to 2 * a.
    assert theano.function([a], g - 2 * a)(1.7) == 0


def test_signature_matches_the_seed():
    import inspect
    params = list(inspect.signature(theano.function).parameters)
    assert params[:7] == ["inputs", "outputs", "updates", "givens",
                          "allow_input_downcast", "mode", "profile"]
