"""cytensor.kernels -- the compiled CPU kernels the graph layer calls.

The modules: ``cytensor._kernels`` (the core: the register VM running
elementwise programs and fused reductions) and, here, ``_threads`` (the
thread count and the serial-or-parallel policy), ``_plan`` (building a VM
plan), ``_contiguous`` (the contiguous fast path), ``_copy``, ``_reduce``,
``_blas``, ``_nnet`` and ``_pick`` (one element per row, PickPerRow).

* ``elemwise``: a numexpr-style register VM.  A fused group of elementwise ops
  is a small program (rows ``[opcode, dst, a, b, c]``) interpreted over blocks
  of the flattened, broadcast iteration space; blocks are spread over OpenMP
  threads.  Temporaries live only in per-thread block buffers.
* ``elemwise_contiguous``: the hot path for C-contiguous same-shape operands;
  ``ContiguousThunk``, an Elemwise node's thunk on it (a class, not a closure).
* ``reduce``: sum/prod/max/min/all/any/argmax/argmin over axes.
* ``dot`` / ``gemm``: BLAS through scipy.linalg.cython_blas.
* ``copy_into``: broadcasting strided copy with dtype conversion.

Opcode semantics are those of the NumPy function of the same name (see
``OPCODES``); registers hold the compute dtype (float32, float64, int64 or
uint64).  The opcodes and their properties (``OPCODE_ARITY``,
``LIBM_OPCODES``, ``NARROWING_OPCODES``) all come from one list,
vm_opcodes.def.
"""
import numpy as np

from cytensor import _kernels
from cytensor.kernels import _reduce, _threads
from cytensor.kernels._plan import LIBM_OPCODES, NARROWING_OPCODES, OPCODE_ARITY, OPCODES
from cytensor._kernels import FUSED_REDUCE_OPS, FusedReduction
from cytensor.kernels._contiguous import ContiguousThunk, elemwise_contiguous
from cytensor.kernels._copy import copy_into
from cytensor.kernels._reduce import ACC_DTYPES, REDUCE_OPS
from cytensor.kernels._blas import dot, gemm

try:
    from cytensor.kernels import _buildinfo as buildinfo
except ImportError:  # pragma: no cover - built without setup.py
    buildinfo = None

__all__ = ["OPCODES", "OPCODE_ARITY", "LIBM_OPCODES", "NARROWING_OPCODES",
           "REDUCE_OPS", "ACC_DTYPES",
           "openmp_enabled", "get_num_threads", "set_num_threads",
           "get_adaptive_threads", "set_adaptive_threads", "elemwise",
           "elemwise_contiguous", "ContiguousThunk", "reduce",
           "elemwise_reduce", "FusedReduction", "FUSED_REDUCE_OPS",
           "dot", "gemm", "copy_into", "compile_program", "build_config"]


def openmp_enabled():
    """True when the kernels were compiled with OpenMP (else they run serially).

    Returns
    -------
    bool

    Examples
    --------
    >>> from cytensor import kernels
    >>> kernels.openmp_enabled() == kernels.build_config()['OPENMP']
    True
    """
    return _threads.openmp_enabled()


def get_num_threads():
    """Number of threads the kernels use for large arrays.

    Returns
    -------
    int
        OpenMP's count (``OMP_NUM_THREADS`` or the cores) unless
        :func:`set_num_threads` or ``config.openmp_threads`` changed it;
        1 for a build without OpenMP.

    Examples
    --------
    >>> from cytensor import kernels
    >>> kernels.get_num_threads() >= 1
    True
    """
    return _threads.get_num_threads()


def set_num_threads(n):
    """Set the number of threads the kernels use (BLAS threads are not affected).

    Parameters
    ----------
    n : int
        At least 1.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        If ``n`` is below 1.

    Examples
    --------
    >>> from cytensor import kernels
    >>> before = kernels.get_num_threads()
    >>> kernels.set_num_threads(1)
    >>> kernels.get_num_threads()
    1
    >>> kernels.set_num_threads(before)
    """
    n = int(n)
    if n < 1:
        raise ValueError("number of threads must be >= 1")
    _threads.set_num_threads(n)



def get_adaptive_threads():
    """Whether the thread count adapts to the machine's load (the default).

    Returns
    -------
    bool
        True when each kind and size of loop, and each size of BLAS product,
        runs on whichever of 1 thread and the allowed count measured faster
        (see the "CPU threads" page); False when they always take the
        allowed count.

    Examples
    --------
    >>> from cytensor import kernels
    >>> kernels.get_adaptive_threads() in (True, False)
    True
    """
    return _threads.get_adaptive()


def set_adaptive_threads(on):
    """Turn the adaptive thread count on or off for the whole process.

    The environment variable ``CYTENSOR_ADAPTIVE_THREADS=0`` turns it off
    from the start.  Either way the count never exceeds
    :func:`get_num_threads` (for the kernels) or BLAS's own count.

    Parameters
    ----------
    on : bool

    Returns
    -------
    None

    Examples
    --------
    >>> from cytensor import kernels
    >>> kernels.set_adaptive_threads(False)
    >>> kernels.get_adaptive_threads()
    False
    >>> kernels.set_adaptive_threads(True)
    """
    _threads.set_adaptive(bool(on))

def build_config():
    """The facts of the kernels' build: OpenMP, libmvec, the compiler and its flags.

    Returns
    -------
    dict
        Keys 'OPENMP' (bool), 'MVEC' (whether glibc's vector maths was
        linked), 'CFLAGS' and 'LDFLAGS' (lists) and 'COMPILER'; None where
        the build left no record.

    Examples
    --------
    >>> from cytensor import kernels
    >>> sorted(kernels.build_config())
    ['CFLAGS', 'COMPILER', 'LDFLAGS', 'MVEC', 'OPENMP']
    >>> '-ffast-math' in (kernels.build_config()['CFLAGS'] or [])
    False
    """

    if buildinfo is None:
        return {"OPENMP": openmp_enabled(), "MVEC": None, "CFLAGS": None, "LDFLAGS": None,
                "COMPILER": None}
    return {"OPENMP": buildinfo.OPENMP, "MVEC": buildinfo.MVEC,
            "CFLAGS": list(buildinfo.CFLAGS), "LDFLAGS": list(getattr(buildinfo, "LDFLAGS", [])),
            "COMPILER": getattr(buildinfo, "COMPILER", None)}


def elemwise(code, n_registers, inputs, out_dtypes, compute_dtype, outputs=None,
             out_shape=None):
    """Run an elementwise register program.

    code: int32 array of shape (n_instr, 5), rows ``[opcode, dst, a, b, c]``
        (register indices; unused operand slots are -1).  Registers
        ``0..nin-1`` are the inputs, ``nin..nin+nout-1`` the outputs, the rest
        temporaries.  Instructions run in order on each block of elements; an
        output register may be read after it is written.
    inputs: arrays of any supported dtype (bool, int8..64, uint8..64, float32,
        float64), any strides, shapes broadcasting together NumPy-style.
    out_dtypes: one dtype per output.
    compute_dtype: float32, float64, int64 or uint64 -- the type of every register;
        inputs are converted on load, outputs on store (float->bool is x != 0,
        float->int truncates like ``astype``).
    outputs: optional preallocated outputs (exact shape and dtype, any
        strides); an output may share memory with an input.
    out_shape: optional broadcast shape (default: broadcast of the inputs).

    Returns the list of outputs.  Raises ValueError for shapes that do not
    broadcast, unknown opcodes and opcodes invalid for the compute dtype.
    """
    return _kernels.elemwise(code, n_registers, inputs, out_dtypes, compute_dtype,
                             outputs, out_shape)


def elemwise_reduce(code, n_registers, inputs, op, axes, out_dtype, compute_dtype,
                    keepdims=False):
    """Evaluate a one-output register program and reduce its output on the fly.

    The program has the format of ``elemwise`` (registers ``0..nin-1`` the
    inputs, register ``nin`` the single output, the rest temporaries).  It runs
    block by block and each block of its output is folded straight into the
    result, so e.g. ``((a - b) ** 2).sum(axis)`` never materialises the
    elementwise result: extra memory is the reduced output, per-thread block
    buffers and, when few output elements are split over threads, one partial
    result per chunk.

    inputs: as in ``elemwise`` (any supported dtypes and strides, broadcasting).
    op: 'sum', 'prod', 'max' or 'min' (see ``FUSED_REDUCE_OPS``); sum/prod
        accumulate in float64 for float registers and int64 (wrapping) for int64
        registers; max/min keep the register type and propagate nan.
    axes: int or tuple of ints (negative allowed) over the broadcast shape, or
        None for all axes.
    out_dtype: dtype of the result (converted from the accumulator like
        ``astype``); compute_dtype: float32, float64 or int64.
    keepdims: keep reduced axes with size 1.

    Empty reductions give 0 (sum) / 1 (prod) and raise ValueError for max/min
    like NumPy.  Raises ValueError for bad shapes, axes, opcodes or a program
    that never writes its output register.
    """
    return _kernels.elemwise_reduce(code, n_registers, inputs, op, axes, out_dtype,
                                    compute_dtype, keepdims)


def reduce(op, x, axes, keepdims=False, out=None, acc_dtype=None, out_dtype=None):
    """Reduce ``x`` over ``axes`` (tuple of non-negative ints, possibly empty,
    or None for all axes).

    op: 'sum', 'prod', 'max', 'min', 'all', 'any', 'argmax', 'argmin'.
    sum/prod accumulate in float64 for float inputs, int64 for signed ints and
    bool, uint64 for unsigned; ``acc_dtype`` (float32, float64, int64 or
    uint64, else ValueError) picks another accumulator, the input being
    converted to it first, like ``np.add.reduce(x, dtype=acc_dtype)``;
    float32 sums of float32 then stay float32.  The result dtype is
    ``out_dtype`` or NumPy's.  max/min keep
    the dtype and propagate nan; empty reductions raise ValueError like NumPy.
    all/any return bool.  argmax/argmin take one axis or None (flattened) and
    return int64 (first occurrence; nan wins like NumPy).
    """
    result = _reduce.reduce(op, x, axes, keepdims, out, acc_dtype, out_dtype)
    return result if type(result) is np.ndarray else np.asarray(result)


def compile_program(instructions, n_inputs, n_outputs):
    """Helper: build a code array from ``[(opname, dst, a, b, c), ...]`` tuples
    (operands may be omitted).  Returns ``(code, n_registers)``."""
    rows = []
    nreg = n_inputs + n_outputs
    for ins in instructions:
        name, dst, *ops = ins
        ops = list(ops) + [-1] * (3 - len(ops))
        if name not in OPCODES:
            raise ValueError(f"unknown elementwise opcode {name!r}")
        rows.append([OPCODES[name], dst] + ops)
        nreg = max(nreg, dst + 1, *[o + 1 for o in ops])
    code = np.array(rows, dtype=np.int32).reshape(-1, 5)
    return code, nreg
