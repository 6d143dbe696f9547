"""Every kernel the CuPy backend would build, compiled with NVRTC (no GPU needed).

NVRTC is the compiler CuPy hands kernels to, and it runs without a device:
here it compiles to PTX the kernels of every elementwise case and every
reduction case that test_cuda_codegen.py and test_cuda_reduction_codegen.py
run on the host, each wrapped as CuPy wraps an ``ElementwiseKernel``
(inputs as const values, outputs as references to their element) or a
``ReductionKernel`` (the fold as the macro ``REDUCE(a, b)``, the store as
``POST_MAP(a)``, the accumulator ``_type_reduce``), with the backend's
options; and the hand-written kernels of backends/cuda/kernels.py, every
template for every dtype.  That catches syntax and type errors, and what
NVRTC refuses where nvcc would pass (a host header, a host-only function).

NVRTC comes with CuPy's wheels (``pip install cupy-cuda12x``, which brings
``nvidia-cuda-nvrtc-cu12``); without it the tests skip, saying so.  What
needs a GPU (running them) is in the tests marked ``cuda``.
"""
import re

import pytest

from cytensor.backends.cuda import codegen, kernels
from cytensor.backends.cuda.backend import KERNEL_OPTIONS
from cytensor.backends.cuda.prelude import PRELUDE

from test_cuda_codegen import cast_cases, fused_cases, row_cases
from test_cuda_reduction_codegen import cases as reduction_cases


def nvrtc_or_reason():
    """(CuPy's NVRTC bindings, None), or (None, why they cannot compile here)."""
    try:
        from cupy_backends.cuda.libs import nvrtc
        nvrtc.getVersion()
    except Exception as exc:        # ImportError, or the library failing to load
        return None, f"NVRTC is not available (pip install cupy-cuda12x): {exc}"
    return nvrtc, None


NVRTC, NVRTC_MISSING = nvrtc_or_reason()
pytestmark = [pytest.mark.nvrtc,
              pytest.mark.skipif(NVRTC is None, reason=str(NVRTC_MISSING))]

# what CuPy adds to the backend's options (an architecture: here one every
# CUDA 12 GPU of compute capability 8.0 or more runs)
OPTIONS = (*KERNEL_OPTIONS, "-arch=compute_80", "--device-as-default-execution-space")


def nvrtc_ptx(source, name):
    """(The PTX of ``source``, NVRTC's log), or a failure holding the log."""
    program = NVRTC.createProgram(source, name, [], [])
    try:
        NVRTC.compileProgram(program, list(OPTIONS))
        log = NVRTC.getProgramLog(program)
        return NVRTC.getPTX(program).decode(), log
    except NVRTC.NVRTCError:
        pytest.fail(f"NVRTC refused {name}:\n{NVRTC.getProgramLog(program)[-6000:]}")
    finally:
        NVRTC.destroyProgram(program)


def params(text):
    """[(C type, name)] of a CuPy parameter list ('float32 in0, int8 in1')."""
    return [(codegen.C_TYPES[d], n) for d, n in (p.split() for p in text.split(", "))]


def elementwise_wrapper(parts, k):
    """A kernel of one ElementwiseKernel's parts, one element a thread."""
    ins, outs = params(parts["in_params"]), params(parts["out_params"])
    args = [f"const {t} *_in{j}" for j, (t, _) in enumerate(ins)] + \
        [f"{t} *_out{j}" for j, (t, _) in enumerate(outs)]
    loads = "".join(f"        const {t} {n} = _in{j}[i];\n" for j, (t, n) in enumerate(ins))
    refs = "".join(f"        {t} &{n} = _out{j}[i];\n" for j, (t, n) in enumerate(outs))
    return (f'extern "C" __global__ void elementwise_{k}({", ".join(args)}, long long n) {{\n'
            "    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;\n"
            "         i += (long long)gridDim.x * blockDim.x) {\n"
            f"{loads}{refs}        {parts['operation']}\n    }}\n}}\n")


def reduction_wrapper(parts, k):
    """A kernel of one ReductionKernel's parts: a thread's fold of a strided
    slice, then the block's tree of folds in shared memory, then the store."""
    ins, ((out_type, out_name),) = params(parts["in_params"]), params(parts["out_params"])
    args = [f"const {t} *_in{j}" for j, (t, _) in enumerate(ins)] + [f"{out_type} *_out"]
    loads = "".join(f" const {t} {n} = _in{j}[i];" for j, (t, n) in enumerate(ins))
    return (f"#define REDUCE(a, b) ({parts['reduce_expr']})\n"
            f"#define POST_MAP(a) ({parts['post_map_expr']})\n"
            f"typedef {parts['reduce_type']} _type_reduce_{k};\n"
            f'extern "C" __global__ void reduction_{k}({", ".join(args)}, long long n) {{\n'
            f"    typedef _type_reduce_{k} _type_reduce;\n"
            "    __shared__ _type_reduce _sdata[256];\n"
            f"    _type_reduce _s = _type_reduce({parts['identity']});\n"
            "    for (long long i = threadIdx.x; i < n; i += blockDim.x) {"
            f"{loads}\n"
            f"        const _type_reduce _a = static_cast<_type_reduce>({parts['map_expr']});\n"
            "        _s = REDUCE(_s, _a);\n    }\n"
            "    _sdata[threadIdx.x] = _s;\n    __syncthreads();\n"
            "    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {\n"
            "        if (threadIdx.x < s) {\n"
            "            _s = _sdata[threadIdx.x];\n"
            "            const _type_reduce _b = _sdata[threadIdx.x + s];\n"
            "            _sdata[threadIdx.x] = REDUCE(_s, _b);\n        }\n"
            "        __syncthreads();\n    }\n"
            f"    if (threadIdx.x == 0) {{\n        {out_type} &{out_name} = *_out;\n"
            "        POST_MAP(_sdata[0]);\n    }\n"
            "}\n#undef REDUCE\n#undef POST_MAP\n")


def preambles(all_parts):
    """Each kernel's preamble once: the prelude, then each program's functions
    (two cases may lower to one program: its functions are defined once)."""
    seen, pieces = set(), [PRELUDE]
    for parts in all_parts:
        for piece in re.split(r"(?=/\* cyt_)", parts["preamble"].replace(PRELUDE, "")):
            if piece.strip() and piece not in seen:
                seen.add(piece)
                pieces.append(piece)
    return "".join(pieces)


# the generic rows (abs, sign) compare an unsigned register with zero
BENIGN = "pointless comparison of unsigned integer with zero"


def assert_no_warning(log):
    warnings = [line for line in log.split("\n") if "warning #" in line and BENIGN not in line]
    assert not warnings, log[-4000:]


def entries(ptx):
    return set(re.findall(r"\.entry (\w+)\(", ptx))


def test_every_elementwise_kernel_compiles_with_nvrtc():
    found = [codegen.elementwise_kernel(case.lowered, case.in_dtypes)
             for case in row_cases() + cast_cases() + fused_cases()]
    source = preambles(found) + "".join(elementwise_wrapper(p, k) for k, p in enumerate(found))
    ptx, log = nvrtc_ptx(source, "elementwise.cu")
    assert entries(ptx) == {f"elementwise_{k}" for k in range(len(found))}
    assert_no_warning(log)


def test_every_reduction_kernel_compiles_with_nvrtc():
    found = [case.parts for case in reduction_cases()]
    assert {p["reduce_expr"] for p in found} >= {"a + b"}
    source = preambles(found) + "".join(reduction_wrapper(p, k) for k, p in enumerate(found))
    ptx, log = nvrtc_ptx(source, "reductions.cu")
    assert entries(ptx) == {f"reduction_{k}" for k in range(len(found))}
    assert_no_warning(log)


def test_the_hand_written_kernels_compile_with_nvrtc_for_every_dtype():
    ptx, log = nvrtc_ptx(kernels.SOURCE, "kernels.cu")
    assert entries(ptx) == {kernels.kernel_name(k, d) for k in kernels.KERNELS
                            for d in kernels.KERNEL_DTYPES}
    assert_no_warning(log)


def test_a_kernel_with_an_error_is_refused():
    """The check can fail: NVRTC names what is wrong."""
    program = NVRTC.createProgram(PRELUDE + 'extern "C" __global__ void k(float *x) '
                                  "{ x[0] = cyt_undefined(x[0]); }", "bad.cu", [], [])
    with pytest.raises(NVRTC.NVRTCError):
        NVRTC.compileProgram(program, list(OPTIONS))
    assert "cyt_undefined" in NVRTC.getProgramLog(program)
    NVRTC.destroyProgram(program)


