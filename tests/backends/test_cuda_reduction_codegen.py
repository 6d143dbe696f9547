"""The reduction kernels' CUDA C, run on the host (no GPU needed).

codegen.reduction_kernel gives CuPy a map expression (the program's value
at one element), a fold (the reduction table's ``cuda_fold``), the fold's
start (its identity, or -inf/+inf and the integer limits for max and min)
and the store of the result.  Here those pieces are put in a plain serial
loop, compiled with nvcc as host code, and compared with the fused and
plain reductions' NumPy references: sums and products of floats to a few
ulps of their size (the order of the terms differs), everything else
exactly, nan included.
"""
import subprocess

import numpy as np

import cytensor.tensor as T
from cytensor.backends.cuda import codegen
from cytensor.compile.lowering import lower, lower_node
from cytensor.tensor.elemwise import Program
from cytensor.tensor.math import FusedReduce, Reduce
from cytensor.tensor.reduction_table import REDUCTIONS, accumulator_dtype

from test_cuda_codegen import needs_nvcc, nvcc

IDENTITY = Program(1, [("identity", (0,), None)], [1])
DTYPES = ["bool", "int8", "int32", "int64", "uint8", "uint64", "float32", "float64"]


def values(dtype, with_nan, rng):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(50) < 0.7
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = rng.integers(max(info.min, -100), min(info.max, 100), 50, endpoint=True,
                         dtype=dtype)
        x[:2] = [info.max, info.min + (dtype.kind == "i")]      # wraparound of sums
        return x
    x = (rng.standard_normal(50) * 3).astype(dtype)
    if with_nan:
        x[17] = np.nan
    return x


class ReductionCase:
    def __init__(self, label, node, inputs):
        self.label, self.node, self.inputs = label, node, inputs
        op = node.op
        self.in_dtypes = tuple(i.dtype for i in node.inputs)
        if isinstance(op, Reduce):
            self.lowered = lower(IDENTITY, self.in_dtypes, self.in_dtypes)
            acc = op.acc_dtype
        else:
            self.lowered = lower_node(node)
            acc = None
        self.reduction = op.op
        self.acc = acc or accumulator_dtype(REDUCTIONS[op.op], self.lowered.out_dtypes[0].name)
        self.out_dtype = node.outputs[0].dtype
        self.parts = codegen.reduction_kernel(self.lowered, self.in_dtypes, self.reduction,
                                              self.acc, self.out_dtype)

    def reference(self):
        with np.errstate(all="ignore"):
            return np.asarray(self.node.op.reference(self.node, *self.inputs)[0])


def cases():
    rng = np.random.default_rng(0)
    found = []
    for dtype in DTYPES:
        x = T.TensorType(dtype, shape=(None,))("x")
        for name in ("sum", "prod", "max", "min", "all", "any"):
            node = getattr(T, name)(x).owner
            for with_nan in (False, True) if dtype[0] == "f" else (False,):
                found.append(ReductionCase(f"{name}[{dtype}{', nan' if with_nan else ''}]",
                                           node, [values(dtype, with_nan, rng)]))
    a, b = T.fvector("a"), T.bvector("b")
    for label, expression, reduction in [
            ("sum((a - b)**2)", (a - b) ** 2, "sum"), ("max(exp(a))", T.exp(a), "max"),
            ("min(a * b)", a * b, "min"), ("prod(b + b)", b + b, "prod")]:
        elementwise = expression.owner
        program = elementwise.op.program
        dtype = elementwise.outputs[0].dtype
        op = FusedReduce(program, reduction, (0,),
                         T.Reduce(reduction, (0,)).make_node(
                             T.TensorType(dtype, shape=(None,))()).outputs[0].dtype)
        node = op.make_node(*elementwise.inputs)
        inputs = [values(i.dtype, False, rng) for i in node.inputs]
        found.append(ReductionCase(label, node, inputs))
    return found


def host_source(cases):
    preambles = {case.parts["name"]: case.parts["preamble"] for case in cases}  # each once
    parts = ["#include <cstdio>\n#include <cstdlib>\n", *preambles.values()]
    for k, case in enumerate(cases):
        p, n = case.parts, len(case.inputs[0])
        ins = [codegen.c_type(d) for d in case.in_dtypes]
        args = "".join(f"const {t} *in{j}_all, " for j, t in enumerate(ins))
        loads = "".join(f" const {t} in{j} = in{j}_all[i];" for j, t in enumerate(ins))
        parts.append(
            f"static void run_{k}({args}{codegen.c_type(case.out_dtype)} *result) {{\n"
            f"    typedef {p['reduce_type']} acc_t;\n"
            f"    acc_t a = {p['identity']};\n"
            f"    for (long i = 0; i < {n}; i++) {{{loads}\n"
            f"        const acc_t b = {p['map_expr']};\n"
            f"        a = ({p['reduce_expr']});\n    }}\n"
            f"    {codegen.c_type(case.out_dtype)} out0;\n    {p['post_map_expr']};\n"
            "    *result = out0;\n}\n")
    main = ["int main(int argc, char **argv) {", "    FILE *f = fopen(argv[1], \"rb\");",
            "    FILE *out = fopen(argv[2], \"wb\");"]
    for k, case in enumerate(cases):
        n = len(case.inputs[0])
        for j, d in enumerate(case.in_dtypes):
            t = codegen.c_type(d)
            main.append(f"    {t} *in{k}_{j} = ({t} *)malloc({n} * sizeof({t}));"
                        f" if (fread(in{k}_{j}, sizeof({t}), {n}, f) != {n}) return 2;")
        t = codegen.c_type(case.out_dtype)
        args = "".join(f"in{k}_{j}, " for j in range(len(case.in_dtypes)))
        main.append(f"    {{ {t} r; run_{k}({args}&r); fwrite(&r, sizeof r, 1, out); }}")
    main.append("    fclose(out);\n    return 0;\n}\n")
    parts.append("\n".join(main))
    return "".join(parts)


@needs_nvcc
def test_the_reduction_kernels_fold_as_numpy_reduces(tmp_path):
    found = cases()
    (tmp_path / "reductions.cu").write_text(host_source(found))
    nvcc(["-O2", "-fmad=false", "-o", "reductions", "reductions.cu"], tmp_path)
    with open(tmp_path / "inputs.bin", "wb") as f:
        for case in found:
            for x in case.inputs:
                f.write(np.ascontiguousarray(x).tobytes())
    subprocess.run([str(tmp_path / "reductions"), str(tmp_path / "inputs.bin"),
                    str(tmp_path / "results.bin")], check=True)
    data, offset = (tmp_path / "results.bin").read_bytes(), 0
    for case in found:
        dtype = np.dtype(case.out_dtype)
        got = np.frombuffer(data, dtype, 1, offset)[0]
        offset += dtype.itemsize
        want = case.reference()
        if dtype.kind == "f" and case.reduction in ("sum", "prod") and np.isfinite(want):
            # another order of the terms: eps times the size of the terms
            eps = np.finfo(dtype).eps
            terms = np.abs(case.inputs[0].astype(np.float64)).sum()
            np.testing.assert_allclose(got, want, rtol=8 * eps, err_msg=case.label,
                                       atol=8 * eps * terms if case.reduction == "sum" else 0)
        else:
            assert (got == want) or (np.isnan(got) and np.isnan(want)), \
                (case.label, got, want)
