"""Join writes into the array of its last call when it still fits (a scan
step joins an LSTM's gate gradients at every step): the results are NumPy's
concatenate, over dtypes (mixed ones upcast as NumPy does), layouts and
odd shapes, and a call's result is not written into by the next call."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T

LAYOUTS = {
    "c": lambda a: a,
    "fortran": np.asfortranarray,
    "strided": lambda a: np.repeat(a, 2, axis=0)[::2],
    "reversed": lambda a: a[::-1].copy()[::-1],
}


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float64", "int32"),
                                    ("int8", "bool"), ("uint8", "int16"), ("int64", "uint64")])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_join_matches_numpy_on_repeated_calls(dtypes, layout):
    x, y = T.matrix("x", dtype=dtypes[0]), T.matrix("y", dtype=dtypes[1])
    f = theano.function([x, y], T.concatenate([x, y, x], axis=1))
    rng = np.random.default_rng(0)
    results = []
    for _ in range(3):
        a = LAYOUTS[layout]((rng.normal(size=(3, 2)) * 5).astype(dtypes[0]))
        b = LAYOUTS[layout]((rng.normal(size=(3, 4)) * 5).astype(dtypes[1]))
        expected = np.concatenate([a, b, a], axis=1)
        got = f(a, b)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        results.append((got, expected.copy()))
    for got, expected in results:        # no call wrote into an earlier result
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("shapes,axis", [(((0, 3), (2, 3)), 0), (((2, 0), (2, 0)), 1),
                                         (((1,), (4,)), 0), (((2, 1, 3), (2, 2, 3)), 1)])
def test_join_odd_shapes(shapes, axis):
    ndim = len(shapes[0])
    x, y = T.tensor("float64", (None,) * ndim, "x"), T.tensor("float64", (None,) * ndim, "y")
    f = theano.function([x, y], T.concatenate([x, y], axis=axis))
    a, b = np.ones(shapes[0]), np.full(shapes[1], 2.0)
    for _ in range(2):
        np.testing.assert_array_equal(f(a, b), np.concatenate([a, b], axis=axis))


def test_join_nan_inf():
    x = T.dvector("x")
    f = theano.function([x], T.concatenate([x, x[::-1]]))
    a = np.array([np.nan, np.inf, -np.inf, 0.0])
    np.testing.assert_array_equal(f(a), np.concatenate([a, a[::-1]]))


def test_join_in_a_scan_step_keeps_every_row():
    """The step's Join reuses its array from step to step; every row is kept."""
    x = T.dmatrix("x")
    rows, _ = theano.scan(lambda r: T.concatenate([r, 2 * r]), sequences=x)
    f = theano.function([x], rows)
    xv = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(f(xv), np.concatenate([xv, 2 * xv], axis=1))
