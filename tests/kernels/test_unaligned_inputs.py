"""Unaligned inputs keep their shape in every kernel.

The kernels copy an unaligned or byte-swapped input into an aligned native
array before reading it.  np.ascontiguousarray, the obvious tool, returns
shape (1,) for a 0-d array, which made ``s + 1`` fail ("input shape (1,) does
not broadcast to output shape ()") and reductions of 0-d inputs come back
with shape (1,).  The arrays here are views of a byte buffer at offset 1, so
they really are unaligned (checked)."""
import numpy as np
import pytest

import cytensor.kernels as K

SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 2)]


def unaligned(values, dtype):
    """A copy of ``values`` whose data starts one byte past an aligned address."""
    values = np.asarray(values, dtype=dtype)
    raw = np.zeros(values.nbytes + 1, dtype=np.uint8)
    out = raw[1:].view(dtype).reshape(values.shape)
    out[...] = values
    assert not out.flags.aligned
    return out


def swapped(values, dtype):
    values = np.asarray(values, dtype=dtype)
    return values.astype(values.dtype.newbyteorder())


def sample(shape, dtype, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)


@pytest.mark.parametrize("make", [unaligned, swapped])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32])
def test_elemwise_keeps_the_shape(make, shape, dtype):
    x = sample(shape, dtype)
    ct = np.int64 if np.dtype(dtype).kind == "i" else dtype
    code, nreg = K.compile_program([("add", 2, 0, 1)], 2, 1)
    (out,) = K.elemwise(code, nreg, [make(x, dtype), np.ones((), dtype)], [dtype], ct)
    assert out.shape == shape
    np.testing.assert_array_equal(out, x + np.ones((), dtype))


@pytest.mark.parametrize("shape", SHAPES)
def test_elemwise_with_an_unaligned_output(shape):
    x = sample(shape, np.float64)
    out = unaligned(np.zeros(shape), np.float64)
    code, nreg = K.compile_program([("neg", 1, 0)], 1, 1)
    (res,) = K.elemwise(code, nreg, [unaligned(x, np.float64)], None, np.float64,
                        outputs=[out])
    assert res is out
    np.testing.assert_array_equal(out, -x)


@pytest.mark.parametrize("make", [unaligned, swapped])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "all", "any", "argmax"])
def test_reduce_keeps_the_shape(make, shape, op):
    x = sample(shape, np.float64)
    got = K.reduce(op, make(x, np.float64), None)
    expect = getattr(np, op)(x)
    assert got.shape == np.shape(expect)
    np.testing.assert_allclose(got, expect)


@pytest.mark.parametrize("shape", [s for s in SHAPES if s])
def test_reduce_over_some_axes_of_an_unaligned_input(shape):
    x = sample(shape, np.float32)
    got = K.reduce("sum", unaligned(x, np.float32), (0,), keepdims=True)
    expect = x.sum(axis=0, keepdims=True, dtype=np.float64)
    assert got.shape == expect.shape
    np.testing.assert_allclose(got, expect, rtol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_fused_reduction_keeps_the_shape(shape):
    x = sample(shape, np.float64)
    code, nreg = K.compile_program([("sqr", 1, 0)], 1, 1)
    got = K.elemwise_reduce(code, nreg, [unaligned(x, np.float64)], "sum", None, np.float64,
                            np.float64)
    assert got.shape == ()
    np.testing.assert_allclose(got, (x ** 2).sum())
    kept = K.elemwise_reduce(code, nreg, [unaligned(x, np.float64)], "max", None, np.float64,
                             np.float64, keepdims=True)
    assert kept.shape == (1,) * len(shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_copy_into_from_and_to_unaligned_arrays(shape):
    x = sample(shape, np.float64)
    dst = np.empty(shape, np.int32)
    K.copy_into(dst, unaligned(x, np.float64))
    np.testing.assert_array_equal(dst, x.astype(np.int32))
    udst = unaligned(np.zeros(shape), np.float32)
    K.copy_into(udst, unaligned(x, np.float64))
    np.testing.assert_array_equal(udst, x.astype(np.float32))


def test_contiguous_path_declines_unaligned_operands():
    """The fast path reads arrays in place, so it leaves unaligned ones to elemwise."""
    code, nreg = K.compile_program([("neg", 1, 0)], 1, 1)
    x = unaligned(np.arange(6.0), np.float64)
    assert K.elemwise_contiguous(code, nreg, [x], [np.empty(6)]) is None
    assert K.elemwise_contiguous(code, nreg, [np.arange(6.0)], [unaligned(np.zeros(6),
                                                                          np.float64)]) is None
