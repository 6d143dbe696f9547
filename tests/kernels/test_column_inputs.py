"""Column inputs on the contiguous path: ``m + c[:, None]`` (an input of the
outputs' leading axes, each element repeated along the trailing ones) runs
in the contiguous kernel, small (expanded at once) and large (walked in
blocks), and gives NumPy's values; layouts it does not take return None
(and the general kernel runs)."""
import numpy as np
import pytest

import cytensor as C
import cytensor.kernels as K
import cytensor.tensor as T

ADD = [("add", 2, 0, 1)]
MULADD = [("mul", 3, 0, 1), ("add", 3, 3, 2)]


def contiguous(instrs, inputs, out_shape, dtype):
    code, nreg = K.compile_program(instrs, len(inputs), 1)
    out = np.empty(out_shape, dtype)
    return K.elemwise_contiguous(code, nreg, list(inputs), [out])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint64"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 1), (3, 4), (7, 300), (3000, 5), (40, 30, 20)])
def test_column_plus_matrix(dtype, shape):
    rng = np.random.default_rng(0)
    m = (rng.standard_normal(shape) * 100).astype(dtype)
    col = (rng.standard_normal(shape[:1] + (1,) * (len(shape) - 1)) * 100).astype(dtype)
    got = contiguous(ADD, [m, col], shape, dtype)
    assert got is not None
    np.testing.assert_array_equal(got[0], m + col)


@pytest.mark.parametrize("shape", [(5, 6, 7), (50, 60, 7)])
def test_two_leading_axes_column_with_a_row_of_its_length(shape):
    rng = np.random.default_rng(1)
    m = rng.standard_normal(shape)
    col = rng.standard_normal(shape[:2] + (1,))      # rows of length shape[2]
    row = rng.standard_normal(shape[2])
    got = contiguous(MULADD, [m, col, row], shape, "float64")
    np.testing.assert_allclose(got[0], m * col + row, rtol=1e-15)


def test_rows_and_columns_of_different_lengths_are_left_to_the_general_kernel():
    m = np.ones((4, 6))
    np.testing.assert_array_equal(
        contiguous(MULADD, [m, np.full((4, 1), 2.0), np.ones(6)], (4, 6), "float64")[0], 3.0)
    assert contiguous(MULADD, [np.ones((4, 6, 5)), np.ones((4, 1, 1)), np.ones(5)], (4, 6, 5),
                      "float64") is None
    assert contiguous(ADD, [m, np.ones((4,))[:, None][::-1]], (4, 6), "float64") is None
    assert contiguous(ADD, [np.ones((2, 4, 6)), np.ones((4, 1))], (2, 4, 6), "float64") is None


def test_empty_and_nan_inf_columns():
    assert contiguous(ADD, [np.ones((0, 3)), np.ones((0, 1))], (0, 3), "float64")[0].shape \
        == (0, 3)
    col = np.array([[np.nan], [np.inf], [-np.inf]])
    m = np.array([[1.0, np.inf], [-np.inf, 2.0], [0.0, np.nan]])
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(contiguous(ADD, [m, col], (3, 2), "float64")[0], m + col)


def test_a_large_column_overlapping_the_output_is_not_taken():
    m = np.ones((100, 100))
    assert contiguous(ADD, [m, m[:, :1]], (100, 100), "float64") is None


@pytest.mark.parametrize("layout", ["C", "F", "neg", "strided"])
@pytest.mark.parametrize("shape", [(1, 1), (10, 10), (100, 100), (1000, 30), (0, 4)])
def test_compiled_matrix_plus_column(layout, shape):
    m, c = T.dmatrix("m"), T.dvector("c")
    f = C.function([m, c], m + c.dimshuffle(0, "x"))
    rng = np.random.default_rng(2)
    x, v = rng.standard_normal(shape), rng.standard_normal(shape[0])
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "neg":
        x, v = x[::-1, ::-1], v[::-1]
    elif layout == "strided":
        x, v = np.repeat(x, 2, axis=1)[:, ::2], np.repeat(v, 2)[::2]
    np.testing.assert_array_equal(f(x, v), x + v[:, None])
