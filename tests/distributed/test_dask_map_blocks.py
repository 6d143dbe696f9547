"""map_blocks: a compiled function over Dask arrays, on a real 2-worker LocalCluster."""
import dask.array as da
import numpy as np
import pytest

import cytensor
import cytensor.tensor as T
from cytensor.distributed import loaded_functions, map_blocks


def test_one_output_matches_numpy_with_declared_chunks_and_dtype(client):
    x = T.matrix("x", dtype="float32")
    f = cytensor.function([x], T.tanh(x) * 2, name="scaled_tanh")
    data = np.random.default_rng(0).standard_normal((403, 5)).astype("float32")
    out = map_blocks(f, da.from_array(data, chunks=(100, 5)))
    assert out.dtype == np.float32 and out.shape == (403, 5)
    assert out.chunks == ((100, 100, 100, 100, 3), (5,))
    np.testing.assert_allclose(out.compute(), np.tanh(data) * 2, rtol=1e-6)


def test_several_inputs_and_outputs_of_other_widths(client):
    x, w = T.matrix("x"), T.vector("w")
    f = cytensor.function([x, w], [T.dot(x, T.ones((4, 7))), (x ** 2).sum(axis=1) * w],
                          name="widths")
    xs = np.random.default_rng(1).standard_normal((250, 4))
    ws = np.arange(250.0)
    wide, norms = map_blocks(f, da.from_array(xs, chunks=(60, 4)), da.from_array(ws, chunks=60))
    assert wide.chunks == ((60, 60, 60, 60, 10), (7,)) and norms.chunks == ((60, 60, 60, 60, 10),)
    wide, norms = da.compute(wide, norms)
    np.testing.assert_allclose(wide, xs @ np.ones((4, 7)))
    np.testing.assert_allclose(norms, (xs ** 2).sum(axis=1) * ws)
    one = cytensor.function([x, w], [x.sum(axis=1) + w], name="a_list_of_one")
    (sums,) = map_blocks(one, da.from_array(xs, chunks=(60, 4)), da.from_array(ws, chunks=60))
    np.testing.assert_allclose(sums.compute(), xs.sum(axis=1) + ws)


def test_function_is_deserialised_once_per_worker_not_once_per_block(client):
    x = T.vector("x")
    f = cytensor.function([x], T.exp(x) - 1, name="expm1_blocks")
    values = np.linspace(0, 1, 1200)
    arr = da.from_array(values, chunks=100)              # 12 blocks
    before = client.run(loaded_functions)
    for _ in range(2):                                   # two computations, 24 block tasks
        np.testing.assert_allclose(map_blocks(f, arr).compute(), np.expm1(values))
    after = client.run(loaded_functions)
    new_loads = {w: {k: n - before[w].get(k, 0) for k, n in loads.items()
                     if n != before[w].get(k, 0)} for w, loads in after.items()}
    assert len(new_loads) == 2
    for loads in new_loads.values():
        assert list(loads.values()) == [1], new_loads


def test_long_array_evaluated_block_by_block(client):
    """2*10^6 rows in 10 blocks, reduced as it goes: no worker ever holds the whole."""
    x = T.vector("x", dtype="float32")
    f = cytensor.function([x], T.sqr(x), name="squares")
    arr = da.ones(2_000_000, dtype="float32", chunks=200_000)
    assert float(map_blocks(f, arr).sum().compute()) == 2_000_000


def test_bad_arrays_are_named(client):
    x = T.matrix("x", dtype="float32")
    f = cytensor.function([x], x + 1, name="plus_one")
    with pytest.raises(TypeError, match=r"array 0 \(for input x\) is float64.*astype"):
        map_blocks(f, da.zeros((10, 3), chunks=5))
    with pytest.raises(ValueError, match=r"chunked along axes other than the first.*rechunk"):
        map_blocks(f, da.zeros((10, 4), dtype="float32", chunks=(5, 2)))
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        map_blocks(f, da.zeros((10, 3), dtype="float32"), da.zeros((10, 3), dtype="float32"))
    with pytest.raises(TypeError, match="not a dask array"):
        map_blocks(f, np.zeros((10, 3), dtype="float32"))
    total = cytensor.function([x], x.sum(), name="total")
    with pytest.raises(ValueError, match="output 0 of function 'total' is not one row per"):
        map_blocks(total, da.zeros((10, 3), dtype="float32"))
    nothing = cytensor.function([x], [], name="nothing", on_unused_input="ignore")
    with pytest.raises(ValueError, match="function 'nothing' has no outputs"):
        map_blocks(nothing, da.zeros((10, 3), dtype="float32"))
