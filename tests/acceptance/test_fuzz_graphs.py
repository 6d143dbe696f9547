"""Property-based differential fuzz: random graphs, compared with NumPy.

Each case draws input arrays (every dtype from bool to uint64 and float32/64;
0-d, empty, broadcastable, strided, negative-stride, Fortran and unaligned
layouts; nan, inf, -0.0 and huge values) and a random expression over them
built from every op family: elementwise arithmetic, math functions,
comparisons and casts, reductions, basic and advanced indexing, dot and
shape ops.  Every op is built twice, symbolically and as the NumPy call that
defines it (not the op's own ``reference``), and the compiled graph must give
NumPy's dtype and values, in FAST_RUN and FAST_COMPILE alike.

The default run is derandomized and small enough for CI (seconds).  For a
deep run set CYTENSOR_FUZZ_EXAMPLES, e.g.::

    CYTENSOR_FUZZ_EXAMPLES=50000 python -m pytest -q tests/acceptance/test_fuzz_graphs.py

See docs/reliability.rst.
"""
import os
import sys
import threading
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cytensor
import cytensor.tensor as T
from cytensor.compile.mode import get_mode
from cytensor.graph import ancestors

EXAMPLES = int(os.environ.get("CYTENSOR_FUZZ_EXAMPLES", "0"))
LONG = EXAMPLES > 0


def fuzz_settings(ci_examples):
    """CI: a fixed, derandomized set of cases; long mode: EXAMPLES random ones."""
    return settings(max_examples=EXAMPLES if LONG else ci_examples, derandomize=not LONG,
                    database=None, deadline=None, print_blob=True,
                    suppress_health_check=list(HealthCheck))


INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOATS = ["float32", "float64"]
DTYPES = ["bool"] + INTS + FLOATS
LAYOUTS = ["C", "F", "strided", "reversed", "unaligned"]
SHAPES = [(), (0,), (1,), (5,), (3, 4), (1, 4), (3, 1), (0, 3), (2, 3, 2)]


# --- inputs --------------------------------------------------------------------
def special_values(dtype):
    """The values that find bugs: limits, zero, and for floats nan/inf/-0.0/huge."""
    if dtype == "bool":
        return [False, True]
    if dtype in INTS:
        info = np.iinfo(dtype)
        return [0, 1, 2, 3, -1 % (info.max + 1) if info.min == 0 else -1, info.max,
                info.min, info.max - 1, 100, 2 ** 53 + 1 if info.bits == 64 else info.max // 3]
    info = np.finfo(dtype)
    return [0.0, -0.0, 1.0, -1.0, 0.5, np.nan, np.inf, -np.inf, float(info.max),
            float(info.tiny), 100.0, -1000.0, 1e20 if dtype == "float64" else 3e38, 2.5]


def with_layout(values, layout):
    """``values`` (C-contiguous) in the given memory layout, same contents."""
    if layout == "F":
        return np.asfortranarray(values)
    if layout == "strided":
        wide = np.zeros(values.shape[:-1] + (2 * values.shape[-1],), values.dtype) \
            if values.ndim else np.zeros(2, values.dtype)
        if values.ndim == 0:
            wide[0] = values
            return wide[::2].reshape(())
        wide[..., ::2] = values
        return wide[..., ::2]
    if layout == "reversed":
        if values.ndim == 0:
            return values.copy()
        return np.ascontiguousarray(values[..., ::-1])[..., ::-1]
    if layout == "unaligned" and values.dtype.itemsize > 1:
        raw = np.zeros(values.nbytes + 1, np.uint8)
        out = raw[1:].view(values.dtype).reshape(values.shape)
        out[...] = values
        return out
    return values.copy()


@st.composite
def arrays(draw, dtype=None, shape=None):
    dtype = dtype or draw(st.sampled_from(DTYPES))
    shape = shape if shape is not None else draw(st.sampled_from(SHAPES))
    pool = special_values(dtype)
    size = int(np.prod(shape))
    drawn = min(size, 64)                  # a large array repeats 64 drawn values
    flat = draw(st.lists(st.sampled_from(pool), min_size=drawn, max_size=drawn))
    values = np.resize(np.array(flat, dtype=dtype), shape) if flat else np.zeros(shape, dtype)
    return with_layout(values, draw(st.sampled_from(LAYOUTS)))


# --- graphs: each op built symbolically and as its NumPy definition ------------
def _float_of(dtype):
    """The float dtype NumPy/cytensor give a math function of ``dtype``:
    float32 stays float32, every other input becomes float64 (as in Theano)."""
    return "float32" if dtype == "float32" else "float64"


def _cast(node, dtype):
    """A cast; a float that the integer dtype cannot hold is first set to 0.

    NumPy warns and leaves those values unspecified, and its own loops
    disagree (nan -> uint32 is 0 in an array of 4 elements, 2**31 in one of
    8), so there is no answer to compare with.  That cytensor warns too is
    tested in tests/kernels/test_vm_semantics.py.
    """
    sym, value = node
    if value.dtype.kind == "f" and np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        low, high = float(info.min), float(info.max) + 1.0    # exact powers of two
        with np.errstate(all="ignore"):
            holds = np.isfinite(value) & (value >= low) & (value < high)
        if not holds.all():
            sym = T.switch(T.isfinite(sym) & (sym >= low) & (sym < high), sym, 0)
            value = np.where(holds, value, 0).astype(value.dtype)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return T.cast(sym, dtype), value.astype(dtype)


UNARY = {   # name: (symbolic, NumPy, needs a float input)
    "neg": (lambda x: -x, np.negative, False),
    "abs": (abs, np.abs, False),
    "exp": (T.exp, np.exp, True),
    "log": (T.log, np.log, True),
    "sqrt": (T.sqrt, np.sqrt, True),
    "tanh": (T.tanh, np.tanh, True),
    "sin": (T.sin, np.sin, True),
    "sigmoid": (T.nnet.sigmoid, lambda v: 1 / (1 + np.exp(-v)), True),
    "sqr": (T.sqr, lambda v: v * v, False),
}
BINARY = {  # name: (symbolic, NumPy); the second operand is cast to the first's dtype
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "maximum": (T.maximum, np.maximum),
    "minimum": (T.minimum, np.minimum),
    "int_div": (T.int_div, np.floor_divide),
    "mod": (T.mod, np.mod),
    "lt": (T.lt, np.less),
    "eq": (T.eq, np.equal),
    "ge": (T.ge, np.greater_equal),
}
def float64_accumulated(np_reduce):
    """NumPy's reduction, but float inputs added up in float64 and the result cast
    back, as cytensor documents (Theano's acc_dtype rule): a float32 sum
    [0, FLT_MAX, FLT_MAX, -inf] is -inf that way, nan in float32 steps."""
    def reference(v, axis):
        if v.dtype.kind != "f":
            return np_reduce(v, axis=axis)
        with np.errstate(all="ignore"):
            return np.asarray(np_reduce(v, axis=axis, dtype="float64")).astype(v.dtype)
    return reference


def mean_of_float64_sum(v, axis):
    """cytensor's mean, as Theano's: the sum (accumulated in float64, rounded to
    the input's dtype) divided by the count; so float32 [3e38, 3e38] gives inf
    as NumPy does.  Integers: NumPy's float64 mean."""
    if v.dtype.kind != "f":
        return np.mean(v, axis=axis)
    count = v.size if axis is None else v.shape[axis]
    with np.errstate(all="ignore"):
        return np.asarray(float64_accumulated(np.sum)(v, axis)) / v.dtype.type(count)


REDUCTIONS = {  # name: (symbolic, NumPy with NumPy's result dtype)
    "sum": (T.sum, float64_accumulated(np.sum)),
    "prod": (T.prod, float64_accumulated(np.prod)),
    "max": (T.max, lambda v, axis: np.max(v, axis=axis)),
    "min": (T.min, lambda v, axis: np.min(v, axis=axis)),
    "mean": (T.mean, mean_of_float64_sum),
    "any": (T.any, lambda v, axis: np.any(v, axis=axis)),
    "all": (T.all, lambda v, axis: np.all(v, axis=axis)),
}


# Ops whose float results may differ from NumPy's in the last bit (a vector
# libm; another summation order).  Some ops turn a last-bit difference in
# their operand into a large one: 10004 % log(100) moves by 2e-12 when
# log(100) moves by one ulp, sin(10922 * sin(10922)) by 1e-12, and a
# comparison or a cast to an integer turns it into another answer
# (exp(log(127.0)) == 127.0 is False in NumPy, True with libmvec's exp).
# Those (AMPLIFYING) get operands that both sides compute bit for bit alike.
ROUNDS_DIFFERENTLY = {"exp", "log", "tanh", "sin", "sigmoid", "sum", "prod", "mean"}
AMPLIFYING = {"sin", "log", "int_div", "mod", "lt", "eq", "ge"}


def unary(draw, node, operand_exact):
    """(result, whether it may round differently from NumPy)."""
    name = draw(st.sampled_from(sorted(UNARY)))
    if name in AMPLIFYING and not operand_exact:
        name = "tanh"
    sym_op, np_op, float_only = UNARY[name]
    dtype = node[1].dtype.name
    if float_only and dtype not in FLOATS:
        node = _cast(node, _float_of(dtype))
    elif name == "neg" and dtype == "bool":
        node = _cast(node, "int8")
    return (sym_op(node[0]), np_op(node[1])), name in ROUNDS_DIFFERENTLY


def binary(draw, left, right, operands_exact):
    name = draw(st.sampled_from(sorted(BINARY)))
    dtype = left[1].dtype.name
    if name in AMPLIFYING and dtype in FLOATS and not operands_exact:
        name = "sub"
    sym_op, np_op = BINARY[name]
    if dtype == "bool" and name in ("sub", "int_div", "mod"):
        left, dtype = _cast(left, "int8"), "int8"
    right = _cast(right, dtype)
    return sym_op(left[0], right[0]), np_op(left[1], right[1])


def reduction(draw, node):
    """(result, whether it may round differently from NumPy, the bound on its
    terms that says by how much another order may move it)."""
    sym, value = node
    name = draw(st.sampled_from(sorted(REDUCTIONS)))
    axis = draw(st.sampled_from([None] + list(range(value.ndim))))
    if name in ("max", "min") and (value.size == 0 or
                                   (axis is not None and value.shape[axis] == 0)):
        name = "sum"                       # NumPy raises on an empty max; not fuzzed here
    sym_op, np_op = REDUCTIONS[name]
    inexact = name == "mean" or (name in ROUNDS_DIFFERENTLY and value.dtype.kind == "f")
    bound = overflow_bound if name == "prod" else summed_terms
    return (sym_op(sym, axis=axis), np.asarray(np_op(value, axis))), inexact, bound


def indexing(draw, node):
    sym, value = node
    if value.ndim == 0:
        return node
    n = value.shape[0]
    kind = draw(st.sampled_from(["int", "negative", "slice", "reverse", "ints", "mask",
                                 "no ints", "no mask"]))
    if kind == "no ints":
        return sym[T.constant(np.array([], dtype="int64"))], value[np.array([], dtype="int64")]
    if kind == "no mask":
        return sym[T.constant(np.zeros(n, bool))], value[np.zeros(n, bool)]
    if kind in ("int", "negative") and n:
        k = draw(st.integers(0, n - 1)) - (n if kind == "negative" else 0)
        return sym[k], value[k]
    if kind == "slice":
        start, step = draw(st.integers(0, 2)), draw(st.sampled_from([1, 2]))
        return sym[start::step], value[start::step]
    if kind == "reverse":
        return sym[::-1], value[::-1]
    if kind == "ints":
        k = np.array(draw(st.lists(st.integers(-n, n - 1), max_size=4)) if n else [],
                     dtype="int64")
        return sym[T.constant(k)], value[k]
    mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return sym[T.constant(mask)], value[mask]


def shape_op(draw, node):
    sym, value = node
    kind = draw(st.sampled_from(["flatten", "transpose", "reshape", "dimshuffle"]))
    if kind == "flatten":
        return sym.flatten(), value.reshape(-1)
    if kind == "transpose":
        return sym.T, value.T
    if kind == "reshape":
        return sym.reshape((-1, 1)), value.reshape((-1, 1))
    return sym.dimshuffle(("x",) + tuple(range(value.ndim))), value[None]


MAX_OUTER = 1000      # inputs of the thread test would make n * n in the gigabytes


def dot(draw, left, right):
    """A dot product of float vectors/matrices made from the two operands."""
    (a, va), (b, vb) = left, right
    dtype = _float_of(va.dtype.name)
    va, vb = va.astype(dtype).reshape(-1), vb.astype(dtype).reshape(-1)
    n = min(va.size, vb.size)
    a, b = T.cast(a, dtype).flatten()[:n], T.cast(b, dtype).flatten()[:n]
    va, vb = va[:n], vb[:n]
    if draw(st.booleans()) and 0 < n <= MAX_OUTER:
        return T.dot(a.dimshuffle(0, "x"), b.dimshuffle("x", 0)), np.outer(va, vb)
    return T.dot(a, b), np.asarray(np.dot(va, vb))


def broadcastable_together(*nodes):
    """Whether the operands broadcast, by NumPy's rule and by their types
    (an axis of length 1 stretches only where its type says broadcastable)."""
    try:
        target = np.broadcast_shapes(*(value.shape for _, value in nodes))
    except ValueError:
        return False
    for sym, value in nodes:
        pattern = (True,) * (len(target) - value.ndim) + tuple(sym.type.broadcastable)
        shape = (1,) * (len(target) - value.ndim) + value.shape
        if any(n != t and not b for n, t, b in zip(shape, target, pattern)):
            return False
    return True


@st.composite
def graphs(draw, depth=3, shapes=SHAPES):
    """(inputs, values, symbolic output, NumPy result) for a random graph."""
    first = draw(arrays(shape=draw(st.sampled_from(shapes))))
    second = draw(arrays(shape=draw(st.sampled_from([first.shape, first.shape[1:],
                                                      (1,) * first.ndim]))))
    # length-1 axes are declared broadcastable, as Theano wants them to be
    variables = [T.tensor(a.dtype.name, shape=tuple(1 if n == 1 else None for n in a.shape),
                          name=f"in{k}") for k, a in enumerate((first, second))]
    leaves = [(v, a) for v, a in zip(variables, (first, second))]
    inexact = {}    # id -> symbolic result that may round differently from NumPy
    # id -> the largest sum of |terms| of a float sum (dot, sum, mean) that fed
    # the value: another summation order may move a result by eps times that,
    # however small the result is (terms of 4.6e18 that cancel to 0)
    terms = {}

    def mark(result, children, rounds_differently=False, summed=0.0):
        if rounds_differently or any(id(c[0]) in inexact for c in children):
            inexact[id(result[0])] = result[0]
        terms[id(result[0])] = max([summed] + [terms.get(id(c[0]), 0.0) for c in children])
        return result

    def build(level):
        if level == 0:
            return draw(st.sampled_from(leaves))
        family = draw(st.sampled_from(["unary", "binary", "cast", "reduce", "index",
                                       "shape", "dot", "leaf"]))
        if family == "leaf":
            return draw(st.sampled_from(leaves))
        if family == "binary":
            left, right = build(level - 1), build(level - 1)
            if not broadcastable_together(left, right):
                return left
            exact = not any(id(c[0]) in inexact for c in (left, right))
            return mark(binary(draw, left, right, exact), (left, right))
        if family == "dot":
            left, right = build(level - 1), build(level - 1)
            result = dot(draw, left, right)
            return mark(result, (left, right), True, summed_terms(left[1], right[1]))
        node = build(level - 1)
        if family == "unary":
            result, rounds = unary(draw, node, id(node[0]) not in inexact)
            return mark(result, (node,), rounds)
        if family == "cast":
            dtype = draw(st.sampled_from(DTYPES))
            if id(node[0]) in inexact and node[1].dtype.kind == "f":
                dtype = "float64"   # truncating 127 - 1ulp to an integer gives 126
            return mark(_cast(node, dtype), (node,))
        if family == "reduce":
            result, rounds, bound = reduction(draw, node)
            return mark(result, (node,), rounds, bound(node[1]) if rounds else 0.0)
        if family == "index":
            return mark(indexing(draw, node), (node,))
        return mark(shape_op(draw, node), (node,))

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, expected = build(draw(st.integers(1, depth)))
    out.tag.summed_terms = terms.get(id(out), 0.0)
    return variables, [first, second], out, np.asarray(expected)


def summed_terms(*operands):
    """A bound on the sum of |terms| of a float sum over these operands."""
    with np.errstate(all="ignore"):
        sizes = [np.abs(np.asarray(v, dtype=np.float64)) for v in operands]
        biggest = [float(np.max(a[np.isfinite(a)], initial=0.0)) for a in sizes]
        return float(np.prod(biggest)) * max(a.size for a in sizes)


def overflow_bound(operand):
    """inf where a product of these terms may overflow in some order (the product
    of the |terms| above 1 does), else 0: products round, but need no atol."""
    with np.errstate(all="ignore"):
        sizes = np.abs(np.asarray(operand, dtype=np.float64))
        product = float(np.prod(np.maximum(sizes[np.isfinite(sizes)], 1.0)))
    return 0.0 if np.isfinite(product) else np.inf


def assert_matches(got, expected, label, float_rtol=None, terms_bound=0.0):
    """got equals NumPy's expected: exactly for integers and bool; for floats
    to float_rtol, plus rtol * terms_bound (the summed_terms of a float sum
    feeding the result: its rounding moves with the order of the terms; inf
    where finite terms overflow in some order: then only dtype and shape)."""
    got = np.asarray(got)
    assert got.dtype == expected.dtype, f"{label}: dtype {got.dtype}, NumPy {expected.dtype}"
    assert got.shape == expected.shape, f"{label}: shape {got.shape}, NumPy {expected.shape}"
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected, err_msg=label)
    else:
        if not np.isfinite(terms_bound):
            return      # finite terms that overflow in some order: the order decides
        rtol = float_rtol or (1e-5 if expected.dtype == np.float32 else 1e-12)
        atol = rtol * terms_bound
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=label)


# Rewrites whose documented purpose is a result NumPy does not give: two keep
# log(exp(x)) and log(sigmoid(x)) finite where NumPy overflows to inf, and
# mul_by_zero makes 0 * x zero even where x is nan or inf (Theano's rule).
STABILISING = ("log_of_exp", "log_of_sigmoid", "mul_by_zero")


def compile_both(inputs, out):
    used = [v for v in inputs]
    modes = {"FAST_RUN": get_mode("FAST_RUN").excluding(*STABILISING),
             "FAST_COMPILE": "FAST_COMPILE"}
    return {name: cytensor.function(used, out, mode=mode, on_unused_input="ignore")
            for name, mode in modes.items()}


# --- the properties --------------------------------------------------------------
@fuzz_settings(300)
@given(graphs())
def test_random_graph_matches_numpy_in_both_modes(case):
    inputs, values, out, expected = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = {mode: f(*values) for mode, f in compile_both(inputs, out).items()}
    # a float64 result computed through float32 is as precise as float32 only
    # (NumPy's float32 exp may be an ulp off where cytensor's is not)
    via_float32 = any(getattr(v, "dtype", None) == "float32" for v in ancestors([out]))
    for mode, got in results.items():
        assert_matches(got, expected, f"{mode}: {cytensor.printing.pprint(out)}",
                       float_rtol=1e-5 if via_float32 else None,
                       terms_bound=out.tag.summed_terms)


SMOOTH_UNARY = [T.sin, T.tanh, T.nnet.sigmoid, lambda x: x * x, T.cos]
SMOOTH_BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b]


@st.composite
def smooth_graphs(draw):
    """A random differentiable graph of two float64 operands of one shape."""
    shape = draw(st.sampled_from([(), (3,), (2, 3), (1, 4)]))
    steps = draw(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2),
                                    st.integers(0, 3)), min_size=1, max_size=5))
    reduce_kind = draw(st.sampled_from(["sum", "index", "dot", "max"]))

    def fun(a, b):
        terms = [a, b]
        for u, bi, pick in steps:
            x = terms[pick % len(terms)]
            y = terms[(pick + 1) % len(terms)]
            terms.append(SMOOTH_BINARY[bi](SMOOTH_UNARY[u](x), y))
        z = terms[-1]
        if reduce_kind == "index" and len(shape):
            return z[::-1][0]
        if reduce_kind == "dot" and len(shape) == 1:
            return T.dot(z, a)
        if reduce_kind == "max":
            return T.max(z)
        return T.sum(z)
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    return fun, [rng.uniform(-1.5, 1.5, size=shape) for _ in range(2)]


@fuzz_settings(25)
@given(smooth_graphs())
def test_random_gradient_matches_finite_differences(case):
    fun, point = case
    cytensor.gradient.verify_grad(fun, point, rng=np.random.default_rng(0))


THREADS, CALLS_PER_THREAD = 4, 10


@fuzz_settings(6)
@given(graphs(depth=2, shapes=[(20_000,), (300, 50)]))
def test_random_graph_called_from_threads(case):
    """Four threads call one function, each on inputs of its own, on large
    arrays, and each call counts itself in a shared variable.  Python
    switches threads every 10 us here, so calls interleave inside one
    another: a call that reads another's inputs or buffers gives a wrong
    answer, and an update that races with another loses a count."""
    inputs, values, out, _ = case
    calls = cytensor.shared(np.int64(0), "calls")
    f = cytensor.function(inputs, out, updates=[(calls, calls + 1)], on_unused_input="ignore")
    # thread k's inputs: the drawn ones rolled by k, so every thread's answer differs
    own_values = [[np.roll(v, k) for v in values] for k in range(THREADS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = [np.asarray(f(*vals)) for vals in own_values]   # one thread at a time
    calls.set_value(np.int64(0))
    errors = []

    def work(k):
        try:
            for _ in range(CALLS_PER_THREAD):
                assert_matches(f(*own_values[k]), expected[k], f"thread {k}'s call")
        except BaseException as exc:            # noqa: BLE001 - reported below
            errors.append(exc)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[0]
    assert calls.get_value() == THREADS * CALLS_PER_THREAD, "an update was lost"


@fuzz_settings(40)
@given(graphs(depth=2), st.sampled_from(["shape", "dtype"]), st.booleans(), st.booleans())
def test_failing_call_changes_no_shared_value(case, how, with_output, count_first):
    """A call that raises leaves every shared variable as it was, whatever
    the graph: the updates are all or nothing."""
    inputs, values, out, _ = case
    first = values[0]
    if first.ndim == 0 or inputs[0].type.broadcastable[-1]:
        return                              # no wrong shape gets past the input check
    count = cytensor.shared(np.float64(0.0), "count")
    state = cytensor.shared(np.zeros(first.shape), "state")
    updates = [(count, count + 1), (state, state + T.cast(inputs[0], "float64"))]
    f = cytensor.function(inputs, out if with_output else [], on_unused_input="ignore",
                          updates=updates if count_first else updates[::-1])
    bad = np.zeros(first.shape[:-1] + (first.shape[-1] + 1,), first.dtype) if how == "shape" \
        else np.array([["not a number"]])
    with pytest.raises((ValueError, TypeError, IndexError)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f(bad, values[1])
    assert count.get_value() == 0.0
    np.testing.assert_array_equal(state.get_value(), np.zeros(first.shape))
    f(*values)
    assert count.get_value() == 1.0
