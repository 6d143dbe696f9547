"""The package's shape, checked: stages that import only downwards, no
import cycles, Theano's names only in compat/, no sys.modules lookups, and
the tables agreeing with what reads them.

The checker reads every module's imports with ``ast`` (module-level and
inside functions alike) and maps each module to its stage.  Compiled
modules count too: a ``.pyx`` file is a module, and the imports and
cimports of it and of its ``.pxd`` are read line by line (all as
module-level: Cython is not Python to ``ast``).  The tests at
the bottom run it on small synthetic packages to show that it fails on a
violation of each rule.
"""
import ast
import importlib
import operator
import os
import re

import pytest

import cytensor  # noqa: F401  (installs the compat aliases and fills the hand-down slots)
from cytensor.compat import THEANO_NAMES, THEANO_PATHS
from cytensor.compile.mode import MODES
from cytensor.graph import LaterStages
from cytensor.tensor.elemwise_opcodes import OPCODE_ROWS as ELEMWISE_OPCODE_ROWS
from cytensor.tensor.elemwise_table import ELEMWISE
from cytensor.tensor.math import elemwise_op
from cytensor.tensor.type import TensorType
from cytensor.tensor.variable import TensorOperators, operator_methods, ops

SRC = os.path.join(os.path.dirname(__file__), "..", "src")

# The stages, lowest first: a module may import its own stage and those below.
# A name matches a module and everything under it; names ending in "=" match
# that module only (the public API packages, whose submodules are other stages).
STAGES = [
    ("config", ["cytensor._version", "cytensor.config"]),
    ("kernels", ["cytensor._kernels", "cytensor.kernels"]),
    ("graph", ["cytensor.graph"]),
    ("ops", ["cytensor.tensor"]),
    ("gradient", ["cytensor.gradient", "cytensor.rop"]),
    ("scan", ["cytensor.scan", "cytensor.op_from_graph"]),
    ("rewriting", ["cytensor.rewriting"]),
    ("compile", ["cytensor.compile", "cytensor.function"]),
    # the devices' backends: plugins the compile stage loads by entry point
    ("backends", ["cytensor.backends"]),
    ("debug", ["cytensor.debug"]),
    ("compat", ["cytensor.compat"]),
    ("api", ["cytensor=", "cytensor.tensor=", "cytensor.sysinfo", "cytensor.threadpool",
             "cytensor.distributed", "cytensor.examples"]),
]

# The stages that must import nothing of the package but themselves.
LEAVES = ["kernels"]

# Upward imports allowed, deferred into a function, each with its reason.  The
# import line itself must carry a "# deferred:" comment saying why.
ALLOWED_DEFERRED = {
    ("cytensor.compile.linker", "cytensor.debug.printing"):
        "an error message shows the graph around the failing node",
    ("cytensor.rewriting.engine", "cytensor.debug.printing"):
        "a verbose rewrite trace prints each replacement as a formula",
    ("cytensor.rewriting.fgraph", "cytensor.debug.printing"):
        "str(FunctionGraph) is its debugprint",
    ("cytensor.function", "cytensor.debug.profiling"):
        "function(profile=True) makes the debug stage's profiler",
}

# Where the one module allowed to touch sys.modules lives (it registers Theano's paths).
SYS_MODULES_ALLOWED = {"cytensor.compat"}
COMPAT = "cytensor.compat"


# ---------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------

def find_modules(root, package):
    """{dotted module name: file path} for every .py and .pyx file of ``package``
    under ``root``, and every .pxd without a .pyx (C declarations only)."""
    modules = {}
    for folder, _, files in os.walk(os.path.join(root, package)):
        for name in files:
            if name.endswith((".py", ".pyx")) or (name.endswith(".pxd")
                                                   and name[:-4] + ".pyx" not in files):
                path = os.path.join(folder, name)
                dotted = os.path.splitext(os.path.relpath(path, root))[0].replace(os.sep, ".")
                modules[dotted.removesuffix(".__init__")] = path
    return modules


def _imported(module, node, modules):
    """The package's modules that an import statement in ``module`` names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".")
            if not modules[module].endswith("__init__.py"):
                parts = parts[:-1]
            parts = parts[:len(parts) - (node.level - 1)]
            base = ".".join(parts + ([base] if base else []))
        subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
        names = subs + ([base] if len(subs) < len(node.names) else [])
    package = module.split(".")[0]
    found = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name.split(".")[0] == package:
            found.append(name)
    return found


# A Cython import or cimport line: "from X import/cimport ..." or "import/cimport X".
CYTHON_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+c?import\s+\(?\s*(\w+)|c?import\s+([\w.]+))")


def _cython_imports(module, path, modules):
    """[(importer, imported, line, deferred, source line)] of a .pyx file and
    its .pxd, read line by line (every one counted as module-level)."""
    found = []
    for source_path in {path, path[:-4] + ".pxd"}:
        if not os.path.exists(source_path):
            continue
        for number, text in enumerate(open(source_path).read().splitlines(), 1):
            match = CYTHON_IMPORT.match(text)
            if not match:
                continue
            base, first, plain = match.groups()
            name = f"{base}.{first}" if base and f"{base}.{first}" in modules else base or plain
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name.split(".")[0] == module.split(".")[0] and name != module:
                found.append((module, name, number, False, text))
    return found


def find_imports(modules):
    """[(importer, imported, line, deferred, source line)] for every import of
    the package's own modules."""
    imports = []
    for module, path in modules.items():
        if path.endswith((".pyx", ".pxd")):
            imports.extend(_cython_imports(module, path, modules))
            continue
        source = open(path).read()
        lines = source.splitlines()

        def walk(node, deferred):
            for child in ast.iter_child_nodes(node):
                inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _imported(module, child, modules):
                        if target != module:
                            imports.append((module, target, child.lineno, inner,
                                            lines[child.lineno - 1]))
                walk(child, inner)
        walk(ast.parse(source, path), False)
    return imports


def stage_of(module, stages):
    """The index of ``module``'s stage (the longest matching name wins, an
    exact one before a prefix)."""
    best, best_score = None, None
    for index, (_, names) in enumerate(stages):
        for name in names:
            exact = name.endswith("=")
            name = name.rstrip("=")
            matches = module == name if exact else (
                module == name or module.startswith(name + "."))
            score = (len(name), exact)
            if matches and (best_score is None or score > best_score):
                best, best_score = index, score
    if best is None:
        raise LookupError(f"{module} belongs to no stage: add it to STAGES")
    return best


def cycles(modules, imports):
    """Module-level import cycles (strongly connected components), each sorted."""
    edges = {m: set() for m in modules}
    for importer, target, _, deferred, _ in imports:
        if not deferred:
            edges[importer].add(target)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))
    for v in sorted(modules):
        if v not in index:
            visit(v)
    return found


def violations(root, package, stages=STAGES, leaves=LEAVES, allowed=ALLOWED_DEFERRED,
               sys_modules_allowed=SYS_MODULES_ALLOWED, compat=COMPAT, theano_paths=()):
    """Every broken rule, as readable strings (empty when the package is in shape)."""
    modules = find_modules(root, package)
    imports = find_imports(modules)
    names = [name for name, _ in stages]
    problems = []
    for importer, target, line, deferred, text in imports:
        low, high = stage_of(importer, stages), stage_of(target, stages)
        where = f"{importer}:{line} imports {target}"
        if names[low] in leaves and high != low:
            problems.append(f"{where}: {names[low]} is a leaf and imports nothing of "
                            f"{package}")
        elif high > low:
            if (importer, target) not in allowed:
                problems.append(f"{where}: upward ({names[low]} -> {names[high]})")
            elif not deferred:
                problems.append(f"{where}: an allowed upward import must be deferred")
            elif "# deferred:" not in text:
                problems.append(f"{where}: say why on the line ('# deferred: ...')")
    for component in cycles(modules, imports):
        problems.append(f"import cycle: {' -> '.join(component)}")
    for module, path in modules.items():
        if path.endswith((".pyx", ".pxd")):
            continue
        tree = ast.parse(open(path).read(), path)
        uses = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                and n.attr == "modules" and isinstance(n.value, ast.Name)
                and n.value.id == "sys"]
        if uses and module not in sys_modules_allowed:
            problems.append(f"{module}:{uses[0]} uses sys.modules")
    for theano_path in theano_paths:
        if theano_path in modules:
            problems.append(f"{theano_path} is a Theano path and must be an alias made by "
                            f"{compat}, not a module of its own")
    return problems


# The run-time methods of an op, and what a fallback to another
# implementation calls: the op's perform or reference, or the general thunk
# that ``super().make_thunk`` returns.
RUN_TIME_METHODS = {"make_thunk", "perform"}
FALLBACK_ATTRIBUTES = {"perform", "reference", "reference_perform", "make_thunk"}


def exception_fallbacks(path):
    """[(line, method)] of the except clauses, inside an op's make_thunk or
    perform, that run another implementation of the op (one run-time
    implementation per op: a failing fast path raises, it never retries)."""
    found = []
    for method in ast.walk(ast.parse(open(path).read(), path)):
        if not (isinstance(method, ast.FunctionDef) and method.name in RUN_TIME_METHODS):
            continue
        general = {target.id for node in ast.walk(method) if isinstance(node, ast.Assign)
                   and isinstance(node.value, ast.Call)
                   and isinstance(node.value.func, ast.Attribute)
                   and node.value.func.attr == "make_thunk"
                   for target in node.targets if isinstance(target, ast.Name)}
        general |= {target.id for node in ast.walk(method) if isinstance(node, ast.Assign)
                    and isinstance(node.value, ast.Attribute)
                    and node.value.attr in FALLBACK_ATTRIBUTES
                    for target in node.targets if isinstance(target, ast.Name)}
        for handler in ast.walk(method):
            if not isinstance(handler, ast.ExceptHandler):
                continue
            for call in ast.walk(handler):
                if not isinstance(call, ast.Call):
                    continue
                func = call.func
                if (isinstance(func, ast.Name) and func.id in general) or (
                        isinstance(func, ast.Attribute) and func.attr in FALLBACK_ATTRIBUTES):
                    found.append((call.lineno, method.name))
    return found


# Kernel functions longer than this many lines (the def line to the last line
# of the body) are split into named steps, unless listed below with the reason.
KERNEL_FUNCTION_LINES = 60
LONG_KERNEL_FUNCTIONS = {
    # ("kernels/_file.pyx", "function"): "why it stays one function",
}
KERNEL_DEF = re.compile(r"^(\s*)(?:cpdef|cdef|def)\b[^=#]*\(")


def kernel_function_lengths(path):
    """{function name: lines} of the functions of a .pyx file, read line by line
    (a body ends at the first code line indented no deeper than its def)."""
    lines = open(path).read().splitlines()
    lengths = {}
    for start, text in enumerate(lines):
        match = KERNEL_DEF.match(text)
        if not match:
            continue
        name = re.search(r"(\w+)\s*\(", text).group(1)
        indent, last = len(match.group(1)), start
        header_done = text.rstrip().endswith(":")
        for number in range(start + 1, len(lines)):
            line = lines[number]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if header_done and len(line) - len(line.lstrip()) <= indent:
                break
            header_done = header_done or line.rstrip().endswith(":")
            last = number
        lengths[name] = last - start + 1
    return lengths


def long_kernel_functions(root):
    """[(file under cytensor/, function, lines)] over KERNEL_FUNCTION_LINES."""
    package = os.path.join(root, "cytensor")
    found = []
    for folder, _, files in os.walk(package):
        for name in sorted(files):
            if name.endswith(".pyx"):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, package).replace(os.sep, "/")
                found += [(rel, function, n) for function, n in
                          kernel_function_lengths(path).items() if n > KERNEL_FUNCTION_LINES]
    return found


# ---------------------------------------------------------------------------
# The real package
# ---------------------------------------------------------------------------

def test_the_package_follows_every_rule():
    assert violations(SRC, "cytensor", theano_paths=THEANO_PATHS) == []


def test_no_op_falls_back_to_another_implementation_through_an_exception():
    problems = [f"{module}:{line}: {method} catches an error and runs another implementation"
                for module, path in find_modules(SRC, "cytensor").items()
                if path.endswith(".py") for line, method in exception_fallbacks(path)]
    assert problems == []


def test_kernel_functions_are_short_or_listed_with_their_reason():
    long = {(rel, function): n for rel, function, n in long_kernel_functions(SRC)}
    assert set(long) - set(LONG_KERNEL_FUNCTIONS) == set(), \
        f"split these into named steps (or list them with the reason): {long}"
    assert set(LONG_KERNEL_FUNCTIONS) <= set(long), "a listed function is short now: unlist it"


def test_allowed_deferred_imports_are_few_and_all_used():
    imports = find_imports(find_modules(SRC, "cytensor"))
    deferred = {(a, b) for a, b, _, is_deferred, _ in imports if is_deferred}
    assert len(ALLOWED_DEFERRED) <= 5
    assert deferred == set(ALLOWED_DEFERRED), "a listed import is gone: drop it from the list"


def test_every_module_has_a_stage():
    for module in find_modules(SRC, "cytensor"):
        stage_of(module, STAGES)


def test_theano_paths_import_as_their_modules():
    for theano_path, real in THEANO_PATHS.items():
        module = importlib.import_module(theano_path)
        assert module is importlib.import_module(real)
        parent, _, leaf = theano_path.rpartition(".")
        assert getattr(importlib.import_module(parent), leaf) is module
    for target, names in THEANO_NAMES.items():
        for name, source in names.items():
            assert getattr(importlib.import_module(target), name) is \
                getattr(importlib.import_module(source), name)


def _attributes_used(module_path, namespace):
    tree = ast.parse(open(module_path).read())
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == namespace}


def test_tensor_methods_find_every_function_they_call():
    """variable.ops is filled by the op modules: every ops.NAME the methods,
    the op modules and the elementwise table's gradient rules call exists."""
    modules = find_modules(SRC, "cytensor")
    used = set()
    for module, path in modules.items():
        if module.startswith("cytensor.tensor"):
            used |= _attributes_used(path, "ops")
    used |= _attributes_used(modules["cytensor.tensor.elemwise_table"], "tm")
    variable_source = open(modules["cytensor.tensor.variable"]).read()
    used |= set(re.findall(r'_binary\("(\w+)"', variable_source))
    used |= {spec.name for spec in ELEMWISE.values() if spec.operator}
    missing = sorted(name for name in used if not hasattr(ops, name))
    assert missing == []


def test_every_operator_row_gives_its_operator_methods():
    """A row with a Python operator makes its method (and the reflected one
    of a binary operator), and the method's node applies that row."""
    x, y = TensorType("int64", shape=(None,))("x"), TensorType("int64", shape=(None,))("y")
    rows = [spec for spec in ELEMWISE.values() if spec.operator]
    assert {spec.operator for spec in rows} >= {"add", "neg", "abs", "invert", "and_", "lt"}
    for spec in rows:
        python_operator, row_op = getattr(operator, spec.operator), elemwise_op(spec.name)
        if spec.arity == 1:
            node = python_operator(x).owner
            assert (node.op, node.inputs) == (row_op, [x]), spec.name
            continue
        node = python_operator(x, y).owner
        assert (node.op, node.inputs) == (row_op, [x, y]), spec.name
        reflected = getattr(TensorOperators, f"__r{spec.operator.rstrip('_')}__", None)
        if reflected is not None:                   # comparisons reflect into their mirror
            node = python_operator(2, x).owner
            assert node.op == row_op and node.inputs[1] is x, spec.name


def test_no_elementwise_operator_method_is_written_by_hand():
    """The class's operator methods are the table's, plus @ (a product), x[i]
    and == (identity: variables are dict keys)."""
    python_operators = {name for name in dir(operator) if name.startswith("__")
                        and name.endswith("__") and callable(getattr(operator, name))}
    python_operators |= {"__r" + name[2:] for name in python_operators}
    hand_written = {name for name in vars(TensorOperators) if name in python_operators}
    assert hand_written - set(operator_methods()) == {"__matmul__", "__rmatmul__",
                                                     "__getitem__", "__eq__"}
    assert {spec.operator for spec in ELEMWISE.values() if spec.operator} == \
        {row["operator"] for row in ELEMWISE_OPCODE_ROWS if row["operator"]}


def test_later_stages_have_handed_themselves_down():
    slots = [n for n in vars(LaterStages) if not n.startswith("_")]
    assert slots and all(callable(getattr(LaterStages, n)) for n in slots)
    assert {"FAST_RUN", "FAST_COMPILE", "DebugMode", "DEBUG_MODE", "NanGuardMode"} <= set(MODES)


# ---------------------------------------------------------------------------
# The checker fails on each kind of violation
# ---------------------------------------------------------------------------

TOY_STAGES = [("low", ["pkg.low"]), ("leaf", ["pkg.leaf"]), ("mid", ["pkg.mid"]),
              ("high", ["pkg.high"]), ("api", ["pkg="])]


def _toy(tmp_path, files):
    """A package 'pkg' under tmp_path with the given {relative path: source}."""
    files = {"__init__.py": "", "low.py": "", "leaf.py": "", "mid.py": "",
             "high.py": "", **files}
    for rel, text in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


def _check(root, **kwargs):
    kwargs = {"stages": TOY_STAGES, "leaves": ["leaf"], "allowed": {},
              "sys_modules_allowed": {"pkg.high"}, "compat": "pkg.high", **kwargs}
    return violations(root, "pkg", **kwargs)


def test_checker_passes_a_package_in_shape(tmp_path):
    root = _toy(tmp_path, {"mid.py": "from . import low\n", "high.py": "import sys\n"
                           "from .mid import x\nsys.modules['pkg.old'] = sys\n",
                           "__init__.py": "from . import high\n"})
    assert _check(root) == []


def test_checker_fails_on_an_upward_import(tmp_path):
    root = _toy(tmp_path, {"mid.py": "from .high import thing\n"})
    assert any("upward (mid -> high)" in p for p in _check(root))


def test_checker_fails_on_an_upward_import_hidden_in_a_function(tmp_path):
    root = _toy(tmp_path, {"mid.py": "def f():\n    from . import high\n"})
    assert any("upward (mid -> high)" in p for p in _check(root))


def test_checker_fails_on_an_allowed_import_without_its_reason(tmp_path):
    allowed = {("pkg.mid", "pkg.high"): "reason"}
    root = _toy(tmp_path, {"mid.py": "def f():\n    from . import high\n"})
    assert any("say why" in p for p in _check(root, allowed=allowed))
    root = _toy(tmp_path, {"mid.py": "from . import high\n"})
    assert any("must be deferred" in p for p in _check(root, allowed=allowed))
    root = _toy(tmp_path, {"mid.py": "def f():\n    from . import high   # deferred: ok\n"})
    assert _check(root, allowed=allowed) == []


def test_checker_reads_compiled_modules(tmp_path):
    """A .pyx module is a module of its stage; its (and its .pxd's) imports and
    cimports count, so a compiled leaf that cimports the package fails."""
    root = _toy(tmp_path, {"leaf/__init__.py": "from pkg.leaf import _core\n",
                           "leaf/_core.pyx": "from pkg.leaf._plan cimport (Plan,\n    more)\n",
                           "leaf/_plan.pyx": "import numpy as np\n",
                           "leaf/_plan.pxd": "from libc.stdlib cimport malloc\n"})
    assert _check(root) == []
    (tmp_path / "pkg" / "leaf" / "_plan.pxd").write_text("from pkg.mid cimport thing\n")
    assert any("pkg.leaf._plan:1 imports pkg.mid: leaf is a leaf" in p for p in _check(root))
    (tmp_path / "pkg" / "low.py").write_text("from pkg.leaf import _core\n")
    assert any("upward (low -> leaf)" in p for p in _check(root))


def test_checker_fails_on_a_cycle_within_a_stage(tmp_path):
    root = _toy(tmp_path, {"mid/__init__.py": "", "mid/a.py": "from . import b\n",
                           "mid/b.py": "from .a import x\n"})
    assert any("import cycle: pkg.mid.a -> pkg.mid.b" in p for p in _check(root))


def test_checker_fails_on_a_leaf_importing_the_package(tmp_path):
    root = _toy(tmp_path, {"leaf.py": "from .low import x\n"})
    assert any("leaf is a leaf" in p for p in _check(root))


def test_checker_fails_on_sys_modules_outside_compat(tmp_path):
    root = _toy(tmp_path, {"mid.py": "import sys\nm = sys.modules['pkg.low']\n"})
    assert any("pkg.mid:2 uses sys.modules" in p for p in _check(root))


def test_checker_fails_on_a_theano_path_kept_as_a_module(tmp_path):
    root = _toy(tmp_path, {"scan_module.py": "from .mid import scan\n"})
    problems = _check(root, stages=TOY_STAGES + [("old", ["pkg.scan_module"])],
                      theano_paths={"pkg.scan_module": "pkg.high"})
    assert any("pkg.scan_module is a Theano path" in p for p in problems)


def test_fallback_checker_finds_a_thunk_retrying_through_perform(tmp_path):
    clean = tmp_path / "clean.py"
    clean.write_text("class A:\n    def make_thunk(self, node, i, o):\n"
                     "        def thunk():\n            try:\n                fast()\n"
                     "            except IndexError as e:\n"
                     "                raise self._error(e) from None\n        return thunk\n")
    assert exception_fallbacks(str(clean)) == []
    general = tmp_path / "general.py"
    general.write_text("class A:\n    def make_thunk(self, node, i, o):\n"
                       "        general = super().make_thunk(node, i, o)\n"
                       "        def thunk():\n            try:\n                fast()\n"
                       "            except ValueError:\n                general()\n"
                       "        return thunk\n")
    assert exception_fallbacks(str(general)) == [(8, "make_thunk")]
    perform = tmp_path / "perform.py"
    perform.write_text("class A:\n    def perform(self, node, inputs, out):\n"
                       "        try:\n            fast()\n        except Exception:\n"
                       "            self.reference_perform(node, inputs, out)\n")
    assert exception_fallbacks(str(perform)) == [(6, "perform")]


def test_kernel_length_checker_counts_a_pyx_function(tmp_path):
    body = "".join(f"    x{k} = {k}\n" for k in range(61))
    kernel = tmp_path / "cytensor" / "kernels" / "_toy.pyx"
    kernel.parent.mkdir(parents=True)
    kernel.write_text("cdef inline int small(int a,\n                      int b) noexcept nogil:\n"
                      "    return a\n\n\ndef long_one(x):\n    # a comment\n" + body +
                      "\n\ncdef int after = 1\n")
    assert kernel_function_lengths(str(kernel)) == {"small": 3, "long_one": 63}
    assert long_kernel_functions(str(tmp_path)) == [("kernels/_toy.pyx", "long_one", 63)]


def test_checker_fails_on_a_module_without_stage(tmp_path):
    root = _toy(tmp_path, {"stray.py": "from . import low\n"})
    with pytest.raises(LookupError, match="pkg.stray belongs to no stage"):
        _check(root)
