"""The CuPy backend: ``device=cuda``, arrays are ``cupy.ndarray``.

Its table (see backends/base.py for the interface):

* fused elementwise programs (``Elemwise``): one ``cupy.ElementwiseKernel``
  each, generated from the elementwise table by codegen.py, compiled once
  per program and dtypes (CuPy caches the binaries on disk);
* fused reductions (``FusedReduce``) and plain ones (``Reduce``, as the
  reduction of the one-step program ``identity``): one
  ``cupy.ReductionKernel`` each, with the CPU kernels' accumulators;
* ``Dot`` and ``Gemm``: ``cupy.matmul``/``cupy.dot`` (cuBLAS);
* the softmax family and the convolutions and pooling, float32 and
  float64 (kernels.py, one ``cupy.RawModule``): ``Softmax`` and
  ``SoftmaxGrad`` (log too, any axis: moved last), the crossentropy of
  probabilities and of a softmax and their gradients (one kernel each),
  ``Pool``, ``PoolGrad`` (every mode) and ``MaxPoolGradGrad``, ``Conv2d`` (im2col kernel, then
  cuBLAS through ``cupy.matmul`` per group) and its gradients (cuBLAS, then
  the col2im kernel for the images'); another dtype (float16) runs the
  op's reference as below, or for the crossentropy family on the CPU;
* shapes (``Shape``, ``Shape_i``, ``MakeVector``): small device arrays;
  basic indexing (``Subtensor``), ``DimShuffle`` and ``Reshape``: CuPy's
  views (a reshape copies where NumPy's would); ``Alloc``: a broadcasting
  fill; ``Join``: ``cupy.concatenate``; lengths that are constants are read
  when the thunk is made, others with one copy to the host;
* ``IncSubtensor`` (basic indices, no element twice): a view of the copy
  set by CuPy's broadcasting assignment or increased, in place, by the
  generated kernel of the op's add program (the CPU's arithmetic);
* advanced indexing (``AdvancedSubtensor``, ``PickPerRow``) and its ``inc_subtensor`` /
  ``set_subtensor`` (``AdvancedIncSubtensor``): CuPy's indexing and
  ``cupyx.scatter_add`` (atomics: repeated indices accumulate, any dtype:
  see ``scatter_add``; a set keeps a repeated index's last value, see
  ``set_rows_last_wins``), after a bounds check that names the input (one
  synchronisation per index array);
* ``OneHot``: the labels checked (one synchronisation), then a comparison
  of each with the column numbers, in the output's dtype;
* random draws (``RandomVariable``: uniform, normal, binomial): cupy.random,
  seeded from the generator state, which goes on as on the CPU (the same
  state array, updated by the function): reproducible, but cuRAND's
  numbers, not NumPy's;
* ``Scan`` and ``OpFromGraph`` (backends/inner_graphs.py): their inner
  graphs compiled for the device, a scan's buffers CuPy arrays, so its
  steps hand device arrays to each other.

Every other op runs on the CPU with explicit transfers (compile/devices.py
warns once per op); see the report in docs for what is missing.  CuPy is
imported here, guarded: cytensor imports without it, and ``device=cuda``
then says what to install.
"""
import math

import numpy as np

from ...tensor.advanced import (AdvancedIncSubtensor, AdvancedSubtensor, PickPerRow,
                                check_index_bounds, _numpy_index as advanced_index,
                                _plain_integer_arrays)
from ...graph import Constant
from ...tensor.basic import Alloc, Join, MakeVector, Reshape, Shape, Shape_i, _check_lengths
from ...tensor.elemwise import DimShuffle, Elemwise, Program, runtime_broadcast_shape
from ...tensor.math import Dot, FusedReduce, Gemm, Reduce
from ...tensor.nnet.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights
from ...tensor.signal.pool import MaxPoolGradGrad, Pool, PoolGrad
from ...tensor.nnet.basic import (CrossentropyCategorical1Hot, CrossentropyCategorical1HotGrad,
                                  CrossentropySoftmax1Hot, CrossentropySoftmax1HotDx, OneHot,
                                  Softmax, SoftmaxGrad, _check_rows, _unrows)
from ...tensor.subtensor import IncSubtensor, Subtensor, _check_value_shape, _numpy_index
from ...tensor.random import GENERATORS, RandomVariable
from ...tensor.reduction_table import REDUCTIONS, accumulator_dtype
from ...compile.devices import BackendUnavailable
from ...compile.lowering import lower, lower_node
from ..base import Backend
from ..inner_graphs import INNER_GRAPH_ROWS
from . import codegen, kernels

try:
    import cupy
    import cupyx
except ImportError as exc:        # the backend says so when device=cuda is asked for
    cupy, CUPY_MISSING = None, exc
else:
    CUPY_MISSING = None

# nvcc contracts a * b + c into one fused multiply-add by default; the CPU
# kernels and NumPy round each step, and so does the generated code.
KERNEL_OPTIONS = ("--fmad=false",)
IDENTITY_PROGRAM = Program(1, [("identity", (0,), None)], [1])


def elementwise_thunk(backend, node, input_cells, output_cells):
    """A fused program: its generated ElementwiseKernel, made once."""
    lowered = lower_node(node)
    in_dtypes = tuple(i.dtype for i in node.inputs)
    kernel = backend.kernel(codegen.elementwise_kernel, lowered, in_dtypes)
    out_dtypes, output_buffer = lowered.out_dtypes, backend.output_buffer

    def thunk():
        inputs = [c[0] for c in input_cells]
        shape = runtime_broadcast_shape(node, inputs)
        outputs = [output_buffer(cell, shape, dtype)
                   for cell, dtype in zip(output_cells, out_dtypes)]
        kernel(*inputs, *outputs)
        for cell, out in zip(output_cells, outputs):
            cell[0] = out
    return thunk


def reduction_thunk(backend, node, input_cells, output_cells, lowered, op, axis, acc_dtype):
    """A reduction of a lowered program's first output over ``axis``."""
    in_dtypes = tuple(i.dtype for i in node.inputs)
    out_dtype = node.outputs[0].type.numpy_dtype
    spec = REDUCTIONS[op]
    acc = acc_dtype or accumulator_dtype(spec, lowered.out_dtypes[0].name)
    kernel = backend.kernel(codegen.reduction_kernel, lowered, in_dtypes, op, acc, out_dtype)
    (out_cell,) = output_cells

    def thunk():
        inputs = [c[0] for c in input_cells]
        shape = runtime_broadcast_shape(node, inputs)
        if spec.identity is None and any(shape[a] == 0 for a in axis):
            raise ValueError(f"{node.op}: zero-size array to reduction operation {op} "
                             "which has no identity")
        out_cell[0] = kernel(*inputs, axis=axis)
    return thunk


def fused_reduce_thunk(backend, node, input_cells, output_cells):
    op = node.op
    return reduction_thunk(backend, node, input_cells, output_cells, lower_node(node),
                           op.op, op.axis, None)


def reduce_thunk(backend, node, input_cells, output_cells):
    """A plain reduction: the reduction of the one-step program identity."""
    op, (x,) = node.op, node.inputs
    lowered = lower(IDENTITY_PROGRAM, (x.dtype,), (x.dtype,))
    return reduction_thunk(backend, node, input_cells, output_cells, lowered, op.op, op.axis,
                           op.acc_dtype)


def dot_thunk(backend, node, input_cells, output_cells):
    """cuBLAS through cupy.dot, in the output's dtype."""
    (a_cell, b_cell), (out_cell,) = input_cells, output_cells
    dtype = node.outputs[0].type.numpy_dtype

    def thunk():
        a, b = a_cell[0], b_cell[0]
        out_cell[0] = cupy.dot(a.astype(dtype, copy=False), b.astype(dtype, copy=False))
    return thunk


def gemm_thunk(backend, node, input_cells, output_cells):
    """beta * C + alpha * dot(A, B): one matmul, then one fused elementwise step."""
    (c_cell, alpha_cell, a_cell, b_cell, beta_cell), (out_cell,) = input_cells, output_cells
    dtype = node.outputs[0].type.numpy_dtype

    def thunk():
        product = cupy.matmul(a_cell[0].astype(dtype, copy=False),
                              b_cell[0].astype(dtype, copy=False))
        out_cell[0] = (beta_cell[0] * c_cell[0] + alpha_cell[0] * product).astype(dtype)
    return thunk


def shape_thunk(backend, node, input_cells, output_cells):
    (x_cell,), (out_cell,) = input_cells, output_cells
    axis = getattr(node.op, "i", None)

    def thunk():
        shape = x_cell[0].shape
        out_cell[0] = cupy.asarray(shape if axis is None else shape[axis], dtype=np.int64)
    return thunk


def subtensor_thunk(backend, node, input_cells, output_cells):
    """Basic indexing: a view, as on the CPU (index values are read to the host)."""
    template = node.op.template
    (x_cell, *value_cells), (out_cell,) = input_cells, output_cells

    def thunk():
        x = x_cell[0]
        index = _numpy_index(template, [c[0] for c in value_cells])
        try:
            out_cell[0] = x[index]
        except IndexError as e:
            raise IndexError(f"{e} (indexing an array of shape {x.shape} on "
                             f"{backend.device} with {index})") from None
    return thunk


def constant_ints(variable):
    """A constant's values as a tuple of ints (read when the thunk is made),
    or None for a value known only when the function runs."""
    if not isinstance(variable, Constant):
        return None
    return tuple(int(v) for v in np.ravel(variable.data))


def dimshuffle_thunk(backend, node, input_cells, output_cells):
    """DimShuffle: CuPy's transpose, then the reshape that inserts and drops
    length-1 axes (a view, as on the CPU)."""
    op, (x_cell,), (out_cell,) = node.op, input_cells, output_cells
    order = tuple(op.transposition)

    def thunk():
        x = x_cell[0]
        out_cell[0] = x.transpose(order).reshape(
            tuple(1 if a == "x" else x.shape[a] for a in op.new_order))
    return thunk


def reshape_thunk(backend, node, input_cells, output_cells):
    """Reshape: CuPy's (a view where the layout allows one, as NumPy's)."""
    (x_cell, shape_cell), (out_cell,) = input_cells, output_cells
    fixed = constant_ints(node.inputs[1])

    def thunk():
        x = x_cell[0]
        shape = fixed if fixed is not None else tuple(int(s) for s in
                                                      cupy.asnumpy(shape_cell[0]))
        try:
            out_cell[0] = x.reshape(shape)
        except ValueError as e:
            raise ValueError(f"{e} (reshape of {x.shape} to {shape})") from None
    return thunk


def alloc_thunk(backend, node, input_cells, output_cells):
    """Alloc: the value broadcast into the output buffer (one fill kernel)."""
    value_cell, length_cells, (out_cell,) = input_cells[0], input_cells[1:], output_cells
    fixed = [constant_ints(v) for v in node.inputs[1:]]
    dtype = node.outputs[0].type.numpy_dtype

    def thunk():
        shape = tuple(known[0] if known is not None else int(cell[0])
                      for known, cell in zip(fixed, length_cells))
        _check_lengths(shape, node)
        out = backend.output_buffer(out_cell, shape, dtype)
        out[...] = value_cell[0]
        out_cell[0] = out
    return thunk


def join_thunk(backend, node, input_cells, output_cells):
    """Join: ``cupy.concatenate`` in the output's dtype, after the CPU op's check."""
    op, (out_cell,), dtype = node.op, output_cells, node.outputs[0].type.numpy_dtype

    def thunk():
        inputs = [c[0] for c in input_cells]
        op.check_shapes(inputs)
        out_cell[0] = cupy.concatenate([x.astype(dtype, copy=False) for x in inputs],
                                       axis=op.axis)
    return thunk


def inc_subtensor_thunk(backend, node, input_cells, output_cells):
    """A basic index (no element twice): a copy of x (x itself for the
    in-place op), whose view x[index] is set to y (CuPy's broadcasting
    assignment) or increased by it, in place, by the generated kernel of the
    op's add program (the CPU's arithmetic, dtypes and wrapping included)."""
    op, (out_cell,) = node.op, output_cells
    add = None if op.set_instead_of_inc else backend.kernel(
        codegen.elementwise_kernel, lower_node(node), (node.inputs[0].dtype, node.inputs[1].dtype))
    fixed = _numpy_index(op.template, ()) if len(input_cells) == 2 else None

    def thunk():
        x, y = input_cells[0][0], input_cells[1][0]
        index = fixed if fixed is not None else _numpy_index(
            op.template, [c[0] for c in input_cells[2:]])
        out = x if op.inplace else x.copy()
        view = out[index]
        _check_value_shape(node, view.shape, y)
        if add is None:
            view[...] = y
        else:
            add(view, y, view)
        out_cell[0] = out
    return thunk


def make_vector_thunk(backend, node, input_cells, output_cells):
    """Scalars on the device stacked into a vector (a shape, mostly)."""
    (out_cell,), dtype = output_cells, node.outputs[0].type.numpy_dtype

    def thunk():
        out_cell[0] = cupy.stack([c[0] for c in input_cells]).astype(dtype, copy=False)
    return thunk


# The dtypes cupyx.scatter_add adds atomically as they are (CUDA's atomicAdd)
SCATTER_ADD_DTYPES = frozenset(["float16", "float32", "float64", "int32", "uint32", "uint64"])


def scatter_add(out, index, y):
    """``np.add.at(out, index, y)`` on the device, for every dtype, every
    repeated index adding: cupyx.scatter_add's atomics on the dtypes it adds;
    other integers modulo 2**64 as uint64 (an int64 array viewed as one, a
    narrower one widened and narrowed back: two's complement sums wrap as
    NumPy's do); bools as counts of True, then nonzero (NumPy adds bools
    with a logical or).  y is in out's dtype."""
    name = out.dtype.name
    if name in SCATTER_ADD_DTYPES:
        cupyx.scatter_add(out, index, y)
    elif name == "int64":
        cupyx.scatter_add(out.view(np.uint64), index, y.view(np.uint64))
    else:
        wide = out.astype(np.uint64)
        cupyx.scatter_add(wide, index, y.astype(np.uint64))
        out[...] = wide != 0 if name == "bool" else wide.astype(out.dtype)


def set_rows_last_wins(what, out, arrays, y):
    """``out[arrays] = y`` for integer arrays (checked in bounds) on out's
    leading axes: of the values a repeated index is given, the last stays,
    as in NumPy and the CPU's put_rows (CuPy's assignment keeps any one).
    Each row of out keeps the largest position that names it
    (cupyx.scatter_max, int32 atomics), then the winners are assigned."""
    lead = out.shape[:len(arrays)]
    arrays = cupy.broadcast_arrays(*arrays)
    n_rows, row_shape, shape = math.prod(lead), out.shape[len(lead):], arrays[0].shape
    try:
        values = cupy.broadcast_to(y, shape + row_shape)
    except ValueError:
        raise ValueError(f"{what}: cannot broadcast the value of shape {y.shape} to the "
                         f"indexed part of shape {shape + row_shape}") from None
    if not arrays[0].size:                      # an empty index changes nothing
        return
    if arrays[0].size >= 2 ** 31:
        raise ValueError(f"{what}: an index of {arrays[0].size} entries has more "
                         "positions than the device's int32 ones count")
    rows = cupy.zeros(shape, np.int64)
    for a, n in zip(arrays, lead):
        rows = rows * n + a % n                 # negative indices counted from the end
    rows = rows.ravel()
    position = cupy.arange(rows.size, dtype=np.int32)
    last = cupy.full(n_rows, -1, np.int32)
    cupyx.scatter_max(last, rows, position)
    keep = last[rows] == position
    out.reshape(n_rows, math.prod(row_shape))[rows[keep]] = \
        values.reshape(rows.size, math.prod(row_shape))[keep]


def advanced_subtensor_thunk(backend, node, input_cells, output_cells):
    """``x[index]`` with integer arrays or masks: CuPy's indexing, after the
    bounds check (CuPy wraps an index out of range where NumPy raises)."""
    template = node.op.template
    (x_cell, *index_cells), (out_cell,) = input_cells, output_cells

    def thunk():
        x, values = x_cell[0], [c[0] for c in index_cells]
        check_index_bounds(node, x.shape, values, 1)
        out_cell[0] = x[advanced_index(template, values)]
    return thunk


def pick_per_row_thunk(backend, node, input_cells, output_cells):
    """``x[arange(len(x)), y]`` (PickPerRow): CuPy's indexing, after the
    bounds check of y (the row numbers are in range)."""
    (x_cell, y_cell), (out_cell,) = input_cells, output_cells

    def thunk():
        x, y = x_cell[0], y_cell[0]
        rows = cupy.arange(len(x))
        check_index_bounds(node, x.shape, (rows, y), 0)
        out_cell[0] = x[rows, y]
    return thunk


def advanced_inc_subtensor_thunk(backend, node, input_cells, output_cells):
    """A copy of ``x`` with ``x[index]`` set to ``y`` (integer arrays on the
    leading axes: set_rows_last_wins; other forms: CuPy's assignment), or
    increased by it through ``scatter_add`` (atomic adds: every repeated
    index adds, as NumPy's ``np.add.at``), after the bounds check."""
    template, set_instead_of_inc = node.op.template, node.op.set_instead_of_inc
    (x_cell, y_cell, *index_cells), (out_cell,) = input_cells, output_cells
    dtype = node.outputs[0].type.numpy_dtype
    n_arrays = _plain_integer_arrays(template, node.inputs[2:]) and \
        sum(entry[0] == "array" for entry in template)

    def thunk():
        x, values = x_cell[0], [c[0] for c in index_cells]
        check_index_bounds(node, x.shape, values, 2)
        out, index = x.copy(), advanced_index(template, values)
        y = y_cell[0].astype(dtype, copy=False)
        if set_instead_of_inc and n_arrays:
            set_rows_last_wins(node.op, out, index[:n_arrays], y)
        elif set_instead_of_inc:
            out[index] = y
        else:
            scatter_add(out, index, y)
        out_cell[0] = out
    return thunk


# The distributions drawn on the device, from a cupy.random.RandomState:
# (state, size, float dtype, *params) -> a CuPy array.  The others run on the CPU.
DEVICE_DRAWS = {
    "uniform": lambda rs, size, dtype, low, high:
        low + (high - low) * rs.random_sample(size, dtype),
    "normal": lambda rs, size, dtype, loc, scale: loc + scale * rs.standard_normal(size, dtype),
    "binomial": lambda rs, size, dtype, n, p: rs.binomial(n, p, size),
}


def next_generator_state(generator, state):
    """The state after ``state`` (a random variable's state array): that of
    its own generator after one draw, so that the state goes on as on the CPU."""
    generator.load(state).random()
    return generator.save()


def random_thunk(backend, node, input_cells, output_cells):
    """A random variable drawn on the device: cupy.random seeded from the
    generator state (read to the host: a few words), which then moves on
    to its next state.  The stream is reproducible from its seed and each
    call draws new numbers, as on the CPU, but the numbers are cuRAND's,
    not NumPy's."""
    op = node.op
    generator, draw = GENERATORS[op.generator], DEVICE_DRAWS[op.dist]
    dtype = node.outputs[1].type.numpy_dtype
    float_dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    (state_cell, size_cell, *param_cells), (next_cell, value_cell) = input_cells, output_cells

    def thunk():
        state = cupy.asnumpy(state_cell[0])
        params = [c[0] for c in param_cells]
        size = tuple(int(n) for n in cupy.asnumpy(size_cell[0])) or \
            np.broadcast_shapes(*(p.shape for p in params))
        seed = int(np.random.SeedSequence([int(w) for w in state]).generate_state(
            1, np.uint64)[0] >> 1)
        with backend.cuda_device:
            value = draw(cupy.random.RandomState(seed), size, float_dtype, *params)
            next_cell[0] = cupy.asarray(next_generator_state(generator, state))
        value_cell[0] = value.astype(dtype, copy=False)
    return thunk


def kernel_or_reference(make):
    """A table row running the hand-written kernel of ``make`` when the node's
    output dtype is one kernels.py instantiates, else the op's NumPy
    reference on the device (chosen once, when the thunk is made)."""
    def make_thunk(backend, node, input_cells, output_cells):
        dtype = node.outputs[0].dtype
        if dtype not in kernels.KERNEL_DTYPES:
            return device_reference_thunk(backend, node, input_cells, output_cells)
        return make(backend, node, input_cells, output_cells, dtype)
    make_thunk.__name__, make_thunk.__doc__ = make.__name__, make.__doc__
    return make_thunk


def launch_rows(kernel, rows, cols, *args):
    """A row kernel of the softmax family: one block per row, of the power
    of two of threads that covers a row (a warp at least, ROW_BLOCK at most)."""
    if rows and cols:
        threads = min(kernels.ROW_BLOCK, max(32, 1 << (cols - 1).bit_length()))
        kernel((rows,), (threads,), (*args, np.int64(rows), np.int64(cols)))


def launch_elements(kernel, n, *args):
    """A grid-stride kernel over n elements; integers as the kernels' long long."""
    if n:
        kernel(*kernels.launch_shape(n),
               tuple(np.int64(a) if isinstance(a, (int, np.integer)) else a for a in args))


# The CPU ops' layout helpers call np.ascontiguousarray, which converts its
# argument to a NumPy array (it does not dispatch to CuPy): these are their
# device twins, same layouts.

def device_rows(x, axis):
    """x with ``axis`` moved last, as a contiguous (rows, length) matrix
    (nnet.basic's _rows; _unrows, with np.moveaxis only, takes CuPy arrays)."""
    if x.ndim == 0:
        return x.reshape(1, 1)
    return cupy.ascontiguousarray(cupy.moveaxis(x, axis, -1)).reshape(-1, x.shape[axis])


def device_images(op, x, layer):
    """Pooling's (images, rows, cols) view of x, contiguous (_PoolParams.images)."""
    op.check_fits(x, layer)
    return cupy.ascontiguousarray(x).reshape(-1, *x.shape[-2:])


def device_filter_matrix(op, w):
    """Filters as a contiguous (filters, patch) matrix (_ConvGeometry.filter_matrix)."""
    return cupy.ascontiguousarray(w[:, :, ::-1, ::-1] if op.filter_flip else w) \
        .reshape(w.shape[0], -1)


def device_grad_rows(gy, n0, nc):
    """Output gradients of images [n0, n0 + nc) as a (filters, nc * pixels)
    matrix (conv.py's _grad_rows)."""
    f = gy.shape[1]
    return cupy.ascontiguousarray(gy[n0:n0 + nc].reshape(nc, f, -1).transpose(1, 0, 2)) \
        .reshape(f, -1)


@kernel_or_reference
def softmax_thunk(backend, node, input_cells, output_cells, dtype):
    """Softmax or log-softmax along any axis: the rows kernel on x with the
    axis moved last (a contiguous copy unless it already is)."""
    (x_cell,), (out_cell,) = input_cells, output_cells
    op, kernel = node.op, backend.raw_kernel("softmax_rows", dtype)

    def thunk():
        x = x_cell[0]
        rows = device_rows(x, op.axis)
        out = cupy.empty_like(rows)
        launch_rows(kernel, *rows.shape, rows, out, np.int64(op.log))
        out_cell[0] = cupy.ascontiguousarray(_unrows(out, x, op.axis))
    return thunk


@kernel_or_reference
def softmax_grad_thunk(backend, node, input_cells, output_cells, dtype):
    """SoftmaxGrad: the rows kernel, dy in y's dtype."""
    (dy_cell, y_cell), (out_cell,) = input_cells, output_cells
    op, kernel = node.op, backend.raw_kernel("softmax_grad_rows", dtype)

    def thunk():
        y = y_cell[0]
        rows_y = device_rows(y, op.axis)
        rows_dy = device_rows(dy_cell[0].astype(dtype, copy=False), op.axis)
        out = cupy.empty_like(rows_y)
        launch_rows(kernel, *rows_y.shape, rows_dy, rows_y, out, np.int64(op.log))
        out_cell[0] = cupy.ascontiguousarray(_unrows(out, y, op.axis))
    return thunk


def device_labels(what, y, n_classes, given=None):
    """``y`` as int64 labels, or ValueError naming the first label out of
    range, as the CPU op says (one synchronisation: the check's answer)."""
    bad = cupy.flatnonzero((y < 0) | (y >= n_classes))
    if bad.size:
        first = int(bad[0])
        raise ValueError(f"{what}: label {int(y[first])} at position {first} is out of range "
                         f"for {n_classes} classes (valid labels are 0..{n_classes - 1}"
                         + (f"; {given})" if given else ")"))
    return cupy.ascontiguousarray(y, dtype=np.int64)


def checked_labels(what, x, y):
    """``y`` as labels of the rows of ``x`` (device_labels)."""
    _check_rows(what, x, y)
    return device_labels(what, y, x.shape[1])


def one_hot_thunk(backend, node, input_cells, output_cells):
    """OneHot: each label compared with the column numbers, in the output's
    dtype (any: bool and integers too), after the labels' check."""
    (y_cell, n_cell), (out_cell,) = input_cells, output_cells
    dtype, fixed = node.outputs[0].type.numpy_dtype, constant_ints(node.inputs[1])

    def thunk():
        n = fixed[0] if fixed is not None else int(n_cell[0])
        y = device_labels("one_hot", y_cell[0], n, f"{n} classes")
        out_cell[0] = (y[:, None] == cupy.arange(n)).astype(dtype)
    return thunk


# The crossentropy family: kernels only (its references index with NumPy
# functions CuPy does not take); another dtype runs on the CPU (cannot_run).
CROSSENTROPY_OPS = (CrossentropyCategorical1Hot, CrossentropyCategorical1HotGrad,
                    CrossentropySoftmax1Hot, CrossentropySoftmax1HotDx)


def crossentropy_softmax_thunk(backend, node, input_cells, output_cells):
    """(-log softmax(x)[i, y_i], softmax(x)): one block per row."""
    (x_cell, y_cell), (nll_cell, sm_cell) = input_cells, output_cells
    dtype = node.outputs[0].dtype
    kernel, output_buffer = backend.raw_kernel("crossentropy_softmax_rows", dtype), \
        backend.output_buffer

    def thunk():
        x = cupy.ascontiguousarray(x_cell[0])
        y = checked_labels("categorical_crossentropy(softmax)", x, y_cell[0])
        nll, sm = output_buffer(nll_cell, x.shape[:1], dtype), output_buffer(sm_cell, x.shape,
                                                                              dtype)
        launch_rows(kernel, *x.shape, x, y, nll, sm)
        nll_cell[0], sm_cell[0] = nll, sm
    return thunk


def labelled_rows_thunk(kernel_name, what, per_row):
    """A thunk maker for a kernel of (probabilities-like rows, labels) ->
    one output: (p,) or (g, p) inputs before the labels, the output of
    length rows (``per_row``) or of p's shape, one thread per element."""
    def make(backend, node, input_cells, output_cells):
        *float_cells, y_cell = input_cells
        (out_cell,), dtype = output_cells, node.outputs[0].dtype
        kernel, output_buffer = backend.raw_kernel(kernel_name, dtype), backend.output_buffer

        def thunk():
            floats = [cupy.ascontiguousarray(c[0], dtype=dtype) for c in float_cells]
            p = floats[-1]
            y = checked_labels(what, p, y_cell[0])
            out = output_buffer(out_cell, p.shape[:1] if per_row else p.shape, dtype)
            launch_elements(kernel, out.size, *floats, y, out, *p.shape)
            out_cell[0] = out
        return thunk
    return make


crossentropy_1hot_thunk = labelled_rows_thunk(
    "crossentropy_1hot", "categorical_crossentropy", per_row=True)
crossentropy_1hot_grad_thunk = labelled_rows_thunk(
    "crossentropy_1hot_grad", "categorical_crossentropy gradient", per_row=False)
crossentropy_softmax_dx_thunk = labelled_rows_thunk(
    "crossentropy_softmax_dx", "categorical_crossentropy(softmax) gradient", per_row=False)


@kernel_or_reference
def pool_thunk(backend, node, input_cells, output_cells, dtype):
    """Pooling: one thread per output pixel."""
    (x_cell,), (out_cell,) = input_cells, output_cells
    op, kernel = node.op, backend.raw_kernel("pool", dtype)
    mode = kernels.POOL_MODES[op.mode]

    def thunk():
        x = x_cell[0]
        images = device_images(op, x, "pool_2d")
        out = backend.output_buffer(out_cell, x.shape[:-2] + op.out_shape(x.shape), dtype)
        launch_elements(kernel, out.size, images, out, len(images), *images.shape[1:],
                        *out.shape[-2:], *op.window_args(), mode)
        out_cell[0] = out
    return thunk


@kernel_or_reference
def pool_grad_thunk(backend, node, input_cells, output_cells, dtype):
    """Pooling's gradient: one thread per input pixel, gathering its windows."""
    (x_cell, out_cell, gz_cell), (gx_cell,) = input_cells, output_cells
    op, kernel = node.op, backend.raw_kernel("pool_grad", dtype)
    mode = kernels.POOL_MODES[op.mode]

    def thunk():
        x, out, gz = x_cell[0], out_cell[0], gz_cell[0]
        images = device_images(op, x, "pool_2d gradient")
        pooled = op.pooled_shape(x, "pool_2d gradient", output_gradient=gz, pooled_output=out)
        out, gz = (cupy.ascontiguousarray(a, dtype=dtype) for a in (out, gz))
        gx = backend.output_buffer(gx_cell, x.shape, dtype)
        launch_elements(kernel, gx.size, images, out, gz, gx, len(images), *images.shape[1:],
                        *pooled[-2:], *op.window_args(), mode)
        gx_cell[0] = gx
    return thunk


@kernel_or_reference
def max_pool_grad_grad_thunk(backend, node, input_cells, output_cells, dtype):
    """Max pooling's second derivative: one thread per output pixel."""
    (x_cell, out_cell, ggx_cell), (ggz_cell,) = input_cells, output_cells
    op, kernel = node.op, backend.raw_kernel("pool_max_grad_grad", dtype)

    def thunk():
        x, out, ggx = x_cell[0], out_cell[0], ggx_cell[0]
        images = device_images(op, x, "max pool second derivative")
        pooled = op.checked_shape(x, out, ggx)
        out, ggx = (cupy.ascontiguousarray(a, dtype=dtype) for a in (out, ggx))
        ggz = backend.output_buffer(ggz_cell, pooled, dtype)
        launch_elements(kernel, ggz.size, images, out, ggx, ggz, len(images),
                        *images.shape[1:], *pooled[-2:], *op.window_args())
        ggz_cell[0] = ggz
    return thunk


def conv_im2col(kernel, x, n0, nc, g):
    """The im2col matrix of images [n0, n0 + nc) of x (contiguous), on the device."""
    c, h, w = x.shape[1:]
    cols = cupy.empty((c * g["kh"] * g["kw"], nc * g["oh"] * g["ow"]), x.dtype)
    launch_elements(kernel, cols.size, x, cols, n0, nc, c, h, w, *conv_taps(g))
    return cols


def conv_taps(g):
    """The geometry's numbers in the order im2col and col2im take them."""
    return tuple(g[k] for k in ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "oh", "ow"))


@kernel_or_reference
def conv2d_thunk(backend, node, input_cells, output_cells, dtype):
    """Conv2d: per chunk of images the im2col kernel, then one cuBLAS product
    (cupy.matmul) per group, as the CPU op does."""
    (x_cell, w_cell), (out_cell,) = input_cells, output_cells
    op, im2col = node.op, backend.raw_kernel("im2col", dtype)

    def thunk():
        x = cupy.ascontiguousarray(x_cell[0], dtype=dtype)
        w = cupy.ascontiguousarray(w_cell[0], dtype=dtype)
        g = op.geometry(x.shape, w.shape, "conv2d")
        wm, n, f = device_filter_matrix(op, w), x.shape[0], w.shape[0]
        out = backend.output_buffer(out_cell, (n, f, g["oh"], g["ow"]), dtype)
        for n0, nc in op.chunks(n, g):
            cols = conv_im2col(im2col, x, n0, nc, g)
            product = cupy.empty((f, cols.shape[1]), dtype)
            for filters, patches in op.group_rows(f, wm.shape[1]):
                cupy.matmul(wm[filters], cols[patches], out=product[filters])
            out[n0:n0 + nc] = product.reshape(f, nc, g["oh"], g["ow"]).transpose(1, 0, 2, 3)
        out_cell[0] = out
    return thunk


@kernel_or_reference
def conv2d_grad_weights_thunk(backend, node, input_cells, output_cells, dtype):
    """d/d filters: per chunk, the output gradient's rows times im2col's transpose."""
    (x_cell, gy_cell, shape_cell), (gw_cell,) = input_cells, output_cells
    op, im2col = node.op, backend.raw_kernel("im2col", dtype)

    def thunk():
        x = cupy.ascontiguousarray(x_cell[0], dtype=dtype)
        gy = cupy.ascontiguousarray(gy_cell[0], dtype=dtype)
        w_shape = tuple(int(s) for s in cupy.asnumpy(shape_cell[0]))
        g = op.gradient_geometry(x.shape, w_shape, gy, "conv2d gradient (filters)")
        f = w_shape[0]
        gw = cupy.zeros((f, int(np.prod(w_shape[1:]))), dtype)
        for n0, nc in op.chunks(x.shape[0], g):
            rows, cols = device_grad_rows(gy, n0, nc), conv_im2col(im2col, x, n0, nc, g)
            for filters, patches in op.group_rows(f, gw.shape[1]):
                gw[filters] += cupy.matmul(rows[filters], cols[patches].T)
        gw = gw.reshape(w_shape)
        gw_cell[0] = cupy.ascontiguousarray(gw[:, :, ::-1, ::-1]) if op.filter_flip else gw
    return thunk


@kernel_or_reference
def conv2d_grad_inputs_thunk(backend, node, input_cells, output_cells, dtype):
    """d/d images: per chunk, the filters' transpose times the output
    gradient's rows (cuBLAS), then the col2im kernel into the result."""
    (w_cell, gy_cell, shape_cell), (gx_cell,) = input_cells, output_cells
    op, col2im = node.op, backend.raw_kernel("col2im", dtype)

    def thunk():
        w = cupy.ascontiguousarray(w_cell[0], dtype=dtype)
        gy = cupy.ascontiguousarray(gy_cell[0], dtype=dtype)
        x_shape = tuple(int(s) for s in cupy.asnumpy(shape_cell[0]))
        g = op.gradient_geometry(x_shape, w.shape, gy, "conv2d gradient (images)")
        wm, f = device_filter_matrix(op, w), w.shape[0]
        gx = backend.output_buffer(gx_cell, x_shape, dtype)
        for n0, nc in op.chunks(x_shape[0], g):
            rows = device_grad_rows(gy, n0, nc)
            cols = cupy.empty((wm.shape[1] * op.num_groups, rows.shape[1]), dtype)
            for filters, patches in op.group_rows(f, wm.shape[1]):
                cupy.matmul(wm[filters].T, rows[filters], out=cols[patches])
            launch_elements(col2im, nc * int(np.prod(x_shape[1:])), cols, gx, n0, nc,
                            *x_shape[1:], *conv_taps(g))
        gx_cell[0] = gx
    return thunk


def device_reference_thunk(backend, node, input_cells, output_cells):
    """The op's NumPy reference on CuPy arrays: NumPy hands its functions'
    calls to CuPy (``__array_function__``), so the results are CuPy arrays;
    anything else is an error naming the op."""
    op = node.op
    dtypes = [out.type.numpy_dtype for out in node.outputs]

    def thunk():
        results = op.reference(node, *[c[0] for c in input_cells])
        for cell, result, dtype in zip(output_cells, results, dtypes):
            if not isinstance(result, cupy.ndarray):
                raise TypeError(f"{op} on {backend.device}: its reference gave a "
                                f"{type(result).__name__}, not a CuPy array")
            cell[0] = result.astype(dtype, copy=False)
    return thunk


class CudaBackend(Backend):
    """CUDA devices 'cuda0', 'cuda1'... ('cuda' is 'cuda0'), through CuPy."""

    name = "cuda"
    array_types = () if cupy is None else (cupy.ndarray,)
    implementations = {
        **INNER_GRAPH_ROWS,             # scan and OpFromGraph: their inner graphs, here
        Elemwise: elementwise_thunk,
        FusedReduce: fused_reduce_thunk,
        Reduce: reduce_thunk,
        Dot: dot_thunk,
        Gemm: gemm_thunk,
        Shape: shape_thunk,
        Shape_i: shape_thunk,
        MakeVector: make_vector_thunk,
        Subtensor: subtensor_thunk,
        AdvancedSubtensor: advanced_subtensor_thunk,
        AdvancedIncSubtensor: advanced_inc_subtensor_thunk,
        PickPerRow: pick_per_row_thunk,
        RandomVariable: random_thunk,
        CrossentropyCategorical1Hot: crossentropy_1hot_thunk,
        CrossentropyCategorical1HotGrad: crossentropy_1hot_grad_thunk,
        CrossentropySoftmax1Hot: crossentropy_softmax_thunk,
        CrossentropySoftmax1HotDx: crossentropy_softmax_dx_thunk,
        Softmax: softmax_thunk,
        SoftmaxGrad: softmax_grad_thunk,
        Conv2d: conv2d_thunk,
        Conv2dGradWeights: conv2d_grad_weights_thunk,
        Conv2dGradInputs: conv2d_grad_inputs_thunk,
        Pool: pool_thunk,
        PoolGrad: pool_grad_thunk,
        MaxPoolGradGrad: max_pool_grad_grad_thunk,
        OneHot: one_hot_thunk,
        Alloc: alloc_thunk,
        Join: join_thunk,
        IncSubtensor: inc_subtensor_thunk,
        DimShuffle: dimshuffle_thunk,
        Reshape: reshape_thunk,
    }

    @classmethod
    def check_available(cls):
        if cupy is None:
            raise BackendUnavailable("device=cuda needs CuPy: pip install 'cytensor[cuda]' "
                                     f"(importing cupy failed: {CUPY_MISSING})")
        needs = "it needs an NVIDIA GPU, its driver and CuPy: pip install 'cytensor[cuda]'"
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except cupy.cuda.runtime.CUDARuntimeError as exc:
            raise BackendUnavailable(f"device=cuda: no CUDA device ({exc}); {needs}") from exc
        if count == 0:
            raise BackendUnavailable(f"device=cuda: no CUDA device (CuPy sees none); {needs}")

    @classmethod
    def default_device(cls):
        return 0

    def __init__(self, device):
        super().__init__(device)
        self.number = int(device.removeprefix(self.name))
        self.cuda_device = cupy.cuda.Device(self.number)
        self._kernels = {}
        self._module = None

    # --- arrays --------------------------------------------------------------------
    def asarray(self, value):
        with self.cuda_device:
            return cupy.asarray(value)

    def to_numpy(self, array):
        return cupy.asnumpy(array)

    def device_of(self, array):
        return self.device_name(array.device.id)

    def empty(self, shape, dtype):
        with self.cuda_device:
            return cupy.empty(shape, dtype)

    # --- kernels -------------------------------------------------------------------
    def kernel(self, make_parts, lowered, in_dtypes, *more):
        """The CuPy kernel of a lowered program, made once per program and
        dtypes: ``make_parts`` is codegen.elementwise_kernel (an
        ElementwiseKernel) or codegen.reduction_kernel (a ReductionKernel)."""
        parts = make_parts(lowered, in_dtypes, *more)
        key = (parts["name"], parts.get("reduce_expr"), parts["out_params"])
        found = self._kernels.get(key)
        if found is None:
            kind = cupy.ReductionKernel if "reduce_expr" in parts else cupy.ElementwiseKernel
            found = self._kernels[key] = kind(**parts, options=KERNEL_OPTIONS)
        return found

    def raw_kernel(self, kernel, dtype):
        """A hand-written kernel of kernels.py for ``dtype``: their module is
        compiled once per device, on first use."""
        with self.cuda_device:
            if self._module is None:
                self._module = cupy.RawModule(code=kernels.SOURCE, options=KERNEL_OPTIONS)
            return self._module.get_function(kernels.kernel_name(kernel, dtype))

    def cannot_run(self, node):
        if isinstance(node.op, (Elemwise, FusedReduce, IncSubtensor)) \
                and node.op.program is not None:
            lowered = lower_node(node)
            if lowered is None:
                return "no register dtype computes it as NumPy does (the CPU runs NumPy)"
            try:
                codegen.elementwise_kernel(
                    lowered, tuple(i.dtype for i in node.inputs[:node.op.program.n_inputs]))
            except codegen.NotGenerated as exc:
                return str(exc)
        if isinstance(node.op, RandomVariable) and node.op.dist not in DEVICE_DRAWS:
            return f"cupy.random draws no {node.op.dist} here"
        if isinstance(node.op, CROSSENTROPY_OPS) \
                and node.outputs[0].dtype not in kernels.KERNEL_DTYPES:
            return f"the crossentropy kernels take float32 and float64, not " \
                f"{node.outputs[0].dtype}"
        if isinstance(node.op, Reduce):
            try:
                codegen.c_type(node.inputs[0].dtype)
            except codegen.NotGenerated as exc:
                return str(exc)
        return super().cannot_run(node)
