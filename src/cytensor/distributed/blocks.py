"""Run a compiled function over Dask arrays, block of rows by block of rows."""
import functools

import dask.array as da
import distributed
import numpy as np

from cytensor.distributed.workers import ship, worker_copy


def map_blocks(function, *arrays, client=None):
    """Apply a compiled ``function`` to Dask arrays, one block of rows at a time.

    Each array is one input of ``function``, chunked along its first axis only
    (all its other axes one chunk), with the same row chunks as the others;
    each output must have one row per input row.  The function travels to
    each worker once (``ship``); every block task carries only its key.  A
    worker runs one block at a time through its copy, so evaluating a
    10^8-row array needs one block's inputs, intermediates and outputs per
    worker, whatever the array's length.

    Returns a Dask array, or a tuple of them when ``function`` was compiled
    with a list of outputs, with their dtypes declared and chunked like the
    inputs' rows; their other axes' lengths are found by calling ``function``
    here on one and on two rows of zeros.
    """
    client = client or distributed.get_client()
    _check_inputs(function, arrays)
    outputs = [out.variable.type for out in function.maker.outputs]
    # As a generalised ufunc, rows are the loop axis and the other axes "core" axes.
    in_axes = [tuple(f"in{k}_{a}" for a in range(1, x.ndim)) for k, x in enumerate(arrays)]
    out_axes = [tuple(f"out{k}_{a}" for a in range(1, out.ndim)) for k, out in enumerate(outputs)]
    signature = ",".join(f"({','.join(axes)})" for axes in in_axes) + "->" + \
        ",".join(f"({','.join(axes)})" for axes in out_axes)
    sizes = {axis: n for axes, shape in zip(out_axes, _output_row_shapes(function, arrays))
             for axis, n in zip(axes, shape)}
    key = ship(function, client)
    # apply_gufunc wants one array, not a list of one, for a single output.
    list_of_one = _returns_list(function) and len(outputs) == 1
    results = da.apply_gufunc(functools.partial(_run_block, key, list_of_one), signature,
                              *arrays, output_dtypes=[out.dtype for out in outputs],
                              output_sizes=sizes)
    return (results,) if list_of_one else results


def _run_block(key, list_of_one, *blocks):
    values = worker_copy(key)(*blocks)
    return values[0] if list_of_one else values


def _returns_list(function):
    """True when ``function`` was compiled with a list of outputs (and returns a list)."""
    return isinstance(function.definition["outputs"], (list, tuple))


def _label(function):
    return f"function {function.name!r}" if function.name else "the function"


def _check_inputs(function, arrays):
    if not function.maker.outputs:
        raise ValueError(f"map_blocks: {_label(function)} has no outputs")
    inputs = [i.variable for i in function.maker.inputs]
    if len(arrays) != len(inputs):
        raise TypeError(f"map_blocks: {_label(function)} takes {len(inputs)} inputs, "
                        f"got {len(arrays)} arrays")
    for k, (var, x) in enumerate(zip(inputs, arrays)):
        where = f"map_blocks: array {k} (for input {var})"
        if not isinstance(x, da.Array):
            raise TypeError(f"{where} is a {type(x).__name__}, not a dask array")
        if x.ndim != var.type.ndim or x.ndim == 0:
            raise TypeError(f"{where} has {x.ndim} dimensions; the input has "
                            f"{var.type.ndim} (and needs rows to split)")
        if np.dtype(x.dtype) != np.dtype(var.type.dtype):
            raise TypeError(f"{where} is {x.dtype}, the input is {var.type.dtype}: "
                            f"use x.astype({var.type.dtype!r})")
        if any(n != 1 for n in x.numblocks[1:]):
            whole = ", ".join(f"{a}: -1" for a in range(1, x.ndim))
            raise ValueError(f"{where} is chunked along axes other than the first "
                             f"({x.chunks}); rechunk it: x.rechunk({{{whole}}})")
        if x.chunks[0] != arrays[0].chunks[0]:
            raise ValueError(f"{where} has row chunks {x.chunks[0]}, array 0 has "
                             f"{arrays[0].chunks[0]}: rechunk them alike")


def _output_row_shapes(function, arrays):
    """The shape of one row of each output, from calling the function on 1 and 2 zero rows."""
    def probe(rows):
        values = function(*[np.zeros((rows,) + x.shape[1:], x.dtype) for x in arrays])
        return values if _returns_list(function) else [values]

    with np.errstate(all="ignore"):
        one, two = probe(1), probe(2)
    for k, (a, b) in enumerate(zip(one, two)):
        if a.ndim == 0 or a.shape[0] != 1 or b.shape[0] != 2 or a.shape[1:] != b.shape[1:]:
            raise ValueError(f"map_blocks: output {k} of {_label(function)} is not one row "
                             f"per input row (shape {a.shape} for 1 row, {b.shape} for 2)")
    return [a.shape[1:] for a in one]
