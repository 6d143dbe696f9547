"""A FusedReduction is planned once and re-planned when the inputs' layout
changes: one object called with one layout after another (shapes, strides,
dtypes, 0-d, empty, broadcast, unaligned, nan/inf) gives NumPy's reduction
every time, also when it goes back to a layout it had before."""
import numpy as np
import pytest

import cytensor as C
import cytensor.kernels as K
import cytensor.tensor as T

SQDIFF = [("sub", 3, 0, 1), ("mul", 2, 3, 3)]


def reference(a, b, op, axes):
    with np.errstate(all="ignore"):
        d = (np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2
        return np.asarray(getattr(np, op)(d, axis=axes))


def layouts(rng):
    """(a, b) pairs of one 2-d shape family, each laid out differently."""
    base = rng.standard_normal((6, 7))
    other = rng.standard_normal((6, 7))
    raw = np.zeros(base.nbytes + 1, np.uint8)
    unaligned = raw[1:].view(np.float64).reshape(6, 7)
    unaligned[...] = base
    yield base, other                                   # C order
    yield np.asfortranarray(base), other                # Fortran order
    yield base[::-1, ::-1], other                       # negative strides
    yield np.repeat(base, 2, axis=1)[:, ::2], other     # strided
    yield base.astype(np.float32), other.astype(np.int16)  # converted dtypes
    yield unaligned, other                              # unaligned (copied)
    yield base[:, :1], other                            # broadcast column
    yield base[:3], other[:3]                           # another shape
    yield base, other                                   # back to the first


@pytest.mark.parametrize("op", ["sum", "max", "min", "prod"])
@pytest.mark.parametrize("axes", [1, 0, None, (0, 1)])
def test_one_object_over_changing_layouts(op, axes):
    code, nreg = K.compile_program(SQDIFF, 2, 1)
    run = K.FusedReduction(code, nreg, 2, op, axes, np.float64, np.float64)
    for a, b in layouts(np.random.default_rng(0)):
        for _ in range(2):                              # planned, then reused
            np.testing.assert_allclose(run([a, b]), reference(a, b, op, axes), rtol=1e-12)


def test_nan_inf_zero_d_and_empty_inputs():
    code, nreg = K.compile_program(SQDIFF, 2, 1)
    run = K.FusedReduction(code, nreg, 2, "max", None, np.float64, np.float64)
    a = np.array([1.0, np.nan, np.inf, -np.inf])
    for x, y in [(a, np.zeros(4)), (np.array(3.0), np.array(1.0)), (a[:2], a[2:]),
                 (a, np.zeros(4))]:
        np.testing.assert_array_equal(run([x, y]), reference(x, y, "max", None))
    with pytest.raises(ValueError, match="no identity"):
        run([np.zeros(0), np.zeros(0)])
    total = K.FusedReduction(code, nreg, 2, "sum", 0, np.float64, np.float64)
    assert total([np.zeros((0, 3)), np.zeros((0, 3))]).tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(total([a[:3], np.ones(3)]), reference(a[:3], 1.0, "sum", 0))


def test_the_result_is_new_every_call():
    code, nreg = K.compile_program(SQDIFF, 2, 1)
    run = K.FusedReduction(code, nreg, 2, "sum", 1, np.float64, np.float64)
    a, b = np.ones((3, 4)), np.zeros((3, 4))
    first = run([a, b])
    second = run([2 * a, b])
    assert first.tolist() == [4.0] * 3 and second.tolist() == [16.0] * 3


def test_wrong_number_of_inputs_and_bad_program():
    code, nreg = K.compile_program(SQDIFF, 2, 1)
    run = K.FusedReduction(code, nreg, 2, "sum", None, np.float64, np.float64)
    with pytest.raises(ValueError, match="expected 2 inputs"):
        run([np.ones(3)])
    with pytest.raises(ValueError, match="unknown fused reduction"):
        K.FusedReduction(code, nreg, 2, "mean", None, np.float64, np.float64)
    with pytest.raises(ValueError, match="does not broadcast|could not be broadcast"):
        run([np.ones(3), np.ones(4)])


def test_compiled_reduction_follows_shape_changes_between_calls():
    a, b = T.dmatrices("a", "b")
    f = C.function([a, b], ((a - b) ** 2).sum(axis=1))
    rng = np.random.default_rng(1)
    for shape in [(1, 1), (3, 3), (10, 1), (3, 3), (0, 4), (2, 5)]:
        x, y = rng.random(shape), rng.random(shape)
        np.testing.assert_allclose(f(x, y), ((x - y) ** 2).sum(axis=1), rtol=1e-12)
        x = np.asfortranarray(x)
        np.testing.assert_allclose(f(x, y.T.copy().T), ((x - y) ** 2).sum(axis=1),
                                   rtol=1e-12)
