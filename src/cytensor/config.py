"""Configuration flags, read from CYTENSOR_FLAGS and .cytensorrc files.

Theano users know this: ``CYTENSOR_FLAGS="floatX=float32,mode=FAST_COMPILE"``
in the environment, or an INI file (``~/.cytensorrc``, or the files named in
``CYTENSORRC``, separated by ``os.pathsep``) with a ``[global]`` section.
The environment wins over files, and ``config.change_flags`` changes flags for
the length of a ``with`` block (or of a decorated function).

Theano's own sources are read too, so a Theano script's setup keeps working:
``THEANO_FLAGS`` and ``~/.theanorc`` (or ``THEANORC``), each overridden by its
cytensor twin.  Theano flags that mean nothing here (C compilation, cuDNN,
the old GPU back end, bug warnings) are accepted, kept and listed as inert
by ``print(config)``; dotted names work as in Theano (``config.warn.round``).
"""
import configparser
import contextlib
import os
import re
import shlex
import warnings

_FLOAT_DTYPES = ("float64", "float32")
_MODES = ("FAST_RUN", "FAST_COMPILE", "DebugMode", "DEBUG_MODE", "NanGuardMode")


def _choice(*options, aliases=None):
    """A converter accepting `options`, and Theano's spellings in `aliases`."""
    aliases = aliases or {}

    def check(value):
        value = aliases.get(value, value)
        if value not in options:
            raise ValueError(f"must be one of {options}, not {value!r}")
        return value
    return check


def _device(value):
    """A device name: 'cpu', or a backend's name with an optional device
    number ('cuda', 'cuda0', 'cuda1').

    Whether the backend is installed and can run here is checked when the
    flag is set, by the compile stage (compile/devices.py watches it); this
    converter checks the spelling.  Theano 1.0 called GPUs 'cuda' and
    'cudaN'; its old back end's 'gpu' names are refused with the new
    spelling, as Theano 1.0 refused them.
    """
    value = str(value).strip()
    if re.fullmatch(r"gpu\d*", value):
        raise ValueError(f"{value!r} is the old Theano GPU back end's name; "
                         f"use {value.replace('gpu', 'cuda')!r}")
    if not re.fullmatch(r"[A-Za-z_]+?\d*", value):
        raise ValueError(f"must be 'cpu', 'cuda' or 'cudaN' (N a GPU number), or another "
                         f"installed backend's name, not {value!r}")
    return value


def _float_x(value):
    """floatX; Theano also accepts '32' and '64'."""
    return _choice(*_FLOAT_DTYPES, aliases={"32": "float32", "64": "float64"})(value)


def _bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be a boolean, not {value!r}")


def _int(value):
    return int(value)


def _str(value):
    return str(value)


def _name_list(value):
    """A colon- or comma-separated list of rewrite names."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return tuple(n for n in str(value).replace(",", ":").split(":") if n)


# name: (default, converter, one-line description)
FLAGS = {
    "floatX": ("float64", _float_x,
               "dtype of T.matrix(), T.vector()... and of Python floats in graphs"),
    "device": ("cpu", _device, "where shared variables live and graphs run: cpu, cuda, cudaN"),
    "mode": ("FAST_RUN", _choice(*_MODES, aliases={"Mode": "FAST_RUN"}),
             "default mode of function()"),
    # Theano's C and VM linkers all run compiled code: here that is the kernels.
    "linker": ("cy", _choice("cy", "py", aliases=dict.fromkeys(
        ("c", "cvm", "vm", "c|py", "c|py_nogc", "cvm_nogc", "vm_nogc"), "cy")),
               "'cy' runs the Cython kernels, 'py' the NumPy references"),
    # Theano's o1..o4 and 'unsafe' are levels of fast_run; 'merge' only merged.
    "optimizer": ("fast_run", _choice("fast_run", "fast_compile", "None", aliases={
        **dict.fromkeys(("o1", "o2", "o3", "o4", "unsafe"), "fast_run"),
        "merge": "fast_compile"}),
                  "which rewrite phases run by default"),
    "optimizer_including": ((), _name_list, "extra rewrites to run"),
    "optimizer_excluding": ((), _name_list, "rewrites to skip, by name or tag"),
    "optimizer_verbose": (False, _bool, "print each rewrite as it is applied"),
    "on_unused_input": ("raise", _choice("raise", "warn", "ignore"),
                        "what function() does with an input no output needs"),
    "allow_gc": (False, _bool,
                 "free intermediate arrays after each call instead of reusing them"),
    "openmp_threads": (0, _int, "threads for kernels (0: OpenMP's default)"),
    "profile": (False, _bool, "profile every compiled function"),
    "profile_memory": (False, _bool, "with profile, also record peak memory"),
    "print_global_stats": (False, _bool,
                           "print profiles, and their sum, at interpreter exit"),
    "profiling__n_apply": (20, _int, "nodes listed in a profile summary"),
    "profiling__n_ops": (20, _int, "ops and op classes listed in a profile summary"),
    "profiling__destination": ("stderr", _str,
                               "where profiles print at exit: stderr, stdout or a file"),
    "compute_test_value": ("off", _choice("off", "ignore", "warn", "raise", "pdb"),
                           "compute tag.test_value while the graph is built"),
    "print_test_value": (False, _bool,
                         "str() of a variable with a test value shows the value"),
    "print_style": ("theano", _choice("theano", "cytensor"),
                    "how ops, types and constants print: 'theano' as Theano 1.0 printed "
                    "them (Elemwise{mul,no_inplace}, TensorType(float64, matrix)), "
                    "'cytensor' the detailed view (fused programs, static shapes)"),
    "exception_verbosity": ("low", _choice("low", "high"),
                            "how much graph context errors carry"),
    "traceback__limit": (8, _int, "stack frames kept for each node's creation site"),
    "cast_policy": ("custom", _choice("custom", "numpy+floatX"),
                    "how Python scalars are typed in graphs"),
    "pydotprint_format": ("png", _str, "default picture format of pydotprint"),
    "unittests__rseed": ("666", _str,
                         "seed of theano.tests.unittest_tools ('random' for none)"),
    "DebugMode__check_preallocated_output": (True, _bool,
                                             "DebugMode also runs each kernel over stale "
                                             "output buffers filled with garbage"),
    "DebugMode__check_rewrites": (True, _bool,
                                  "DebugMode also runs the unrewritten graph and compares"),
    "NanGuardMode__nan_is_error": (True, _bool, "NanGuardMode flags nan"),
    "NanGuardMode__inf_is_error": (True, _bool, "NanGuardMode flags inf"),
    "NanGuardMode__big_is_error": (True, _bool, "NanGuardMode flags huge values"),
}

# Theano flags that have no meaning in cytensor: accepted so Theano scripts
# and .theanorc files run, kept so they read back, and listed as inert.
INERT_THEANO_FLAGS = {
    "init_gpu_device": "", "force_device": False, "print_active_device": True,
    "assert_no_cpu_op": "ignore", "deterministic": "default", "int_division": "floatX",
    "warn_float64": "ignore", "cast_policy_warn": False, "on_opt_error": "warn",
    "on_shape_error": "warn", "nocleanup": False, "cxx": "", "home": "",
    "base_compiledir": "", "compiledir": "", "compiledir_format": "",
    "compute_test_value_opt": "off", "check_input": True, "check_stack_trace": "off",
    "cycle_detection": "regular", "unpickle_function": True,
    "reoptimize_unpickled_function": False, "pickle_test_value": True,
    "profile_optimizer": False, "optimizer_requiring": "", "openmp": False,
    "openmp_elemwise_minsize": 200000, "allow_output_prealloc": True,
    "traceback__compile_limit": 0, "tensor__cmp_sloppy": 0,
    "tensor__local_elemwise_fusion": True, "gpu__local_elemwise_fusion": True,
    "gpuelemwise__sync": True, "lib__amdlibm": False, "lib__cnmem": 0.0,
    "gpuarray__preallocate": 0.0, "gpuarray__sched": "default",
    "gpuarray__single_stream": True, "gpuarray__cache_path": "",
    "dnn__enabled": "auto", "dnn__include_path": "", "dnn__library_path": "",
    "dnn__bin_path": "", "dnn__base_path": "", "dnn__conv__algo_fwd": "small",
    "dnn__conv__algo_bwd_data": "none", "dnn__conv__algo_bwd_filter": "none",
    "dnn__conv__precision": "as_input_f32", "magma__enabled": False,
    "magma__include_path": "", "magma__library_path": "", "ctc__root": "",
    "cuda__root": "", "nvcc__fastmath": False, "nvcc__flags": "",
    "gcc__cxxflags": "", "blas__ldflags": "", "cmodule__warn_no_version": False,
    "cmodule__remove_gxx_opt": False, "cmodule__compilation_warning": False,
    "cmodule__preload_cache": False, "cmodule__age_thresh_use": 2073600,
    "cmodule__debug": False, "compile__wait": 5, "compile__timeout": 120,
    "conv__assert_shape": False, "experimental__unpickle_gpu_on_cpu": False,
    "numpy__seterr_all": "ignore", "numpy__seterr_divide": "None",
    "numpy__seterr_over": "None", "numpy__seterr_under": "None",
    "numpy__seterr_invalid": "None", "optdb__position_cutoff": float("inf"),
    "optdb__max_use_ratio": 8.0, "scan__allow_gc": False,
    "scan__allow_output_prealloc": True, "scan__debug": False,
    "metaopt__verbose": 0, "metaopt__optimizer_excluding": "",
    "metaopt__optimizer_including": "", "DebugMode__patience": 10,
    "DebugMode__check_c": True, "DebugMode__check_py": True,
    "DebugMode__check_finite": True, "DebugMode__check_strides": 0,
    "DebugMode__warn_input_not_reused": True,
    "DebugMode__check_preallocated_output_ndim": 4,
    "NanGuardMode__action": "raise",
    # Theano's warnings about bugs of its own old releases.
    "warn__ignore_bug_before": "0.9", "warn__argmax_pushdown_bug": True,
    "warn__gpusum_01_011_0111_bug": True, "warn__sum_sum_bug": True,
    "warn__sum_div_dimshuffle_bug": True, "warn__subtensor_merge_bug": True,
    "warn__gpu_set_subtensor1": True, "warn__vm_gc_bug": False,
    "warn__signal_conv2d_interface": True, "warn__reduce_join": True,
    "warn__inc_set_subtensor1": True, "warn__round": True,
    "warn__inc_subtensor1_opt": True, "warn__identify_1pexp_bug": True,
}


def _inert_converter(default):
    """Inert flags keep the type of their Theano default."""
    if isinstance(default, bool):
        return _bool
    return type(default)


class Config:
    """The configuration flags, read and set as attributes (``config.floatX``).

    Flags come from ``CYTENSOR_FLAGS``, from ``~/.cytensorrc`` (or the files
    in ``CYTENSORRC``), or are set in code; ``print(config)`` lists them.
    Dotted Theano names read as attributes too: ``config.warn.round``.

    Examples
    --------
    >>> from cytensor import config
    >>> with theano.change_flags(floatX="float32"):
    ...     print(config.floatX, T.matrix().dtype)
    float32 float32
    """

    def __init__(self):
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_watchers", {})
        object.__setattr__(self, "_sources", {})      # flag -> where its value came from
        for name, (default, convert, _) in FLAGS.items():
            self._values[name] = convert(default) if default != () else ()
        self._values.update(INERT_THEANO_FLAGS)
        theano_sources = _read_rc_files("THEANORC", "~/.theanorc") + [
            ("THEANO_FLAGS", _read_env("THEANO_FLAGS"))]
        cytensor_sources = _read_rc_files("CYTENSORRC", "~/.cytensorrc") + [
            ("CYTENSOR_FLAGS", _read_env("CYTENSOR_FLAGS"))]
        for source, pairs in theano_sources:
            for name, value in pairs:
                if name.replace(".", "__") in self._values:
                    self._set(name, value, source)
                else:      # Theano too only warned about flags it did not know
                    warnings.warn(f"{source}: cytensor does not know the flag {name!r}; "
                                  "it is ignored", stacklevel=2)
        for source, pairs in cytensor_sources:
            for name, value in pairs:
                self._set(name, value, source)

    def _set(self, name, value, source="config"):
        key = name.replace(".", "__")
        if key in FLAGS:
            convert = FLAGS[key][1]
        elif key in INERT_THEANO_FLAGS:
            convert = _inert_converter(INERT_THEANO_FLAGS[key])
        else:
            raise AttributeError(
                f"{source}: unknown cytensor flag {name!r}; known flags: "
                + ", ".join(sorted(FLAGS)))
        previous = self._values.get(key)
        try:
            self._values[key] = convert(value)
            for call in self._watchers.get(key, ()):
                call(self._values[key])
        except ValueError as e:
            self._values[key] = previous       # a refused value leaves the flag as it was
            raise ValueError(f"{source}: flag {name}: {e}") from None
        self._sources[key] = source

    def watch(self, name, call):
        """Call ``call(value)`` now and whenever flag ``name`` is set: how a
        stage above this one (the kernels' thread count, the device's
        backend) follows a flag.  A watcher refuses a value by raising
        ValueError, which names where the value came from."""
        key = name.replace(".", "__")
        self._watchers.setdefault(key, []).append(call)
        try:
            call(self._values[key])
        except ValueError as e:
            raise ValueError(f"{self._sources.get(key, 'config')}: flag {name}: {e}") from None

    def __getattr__(self, name):
        key = name.replace(".", "__")
        if key in self._values:
            return self._values[key]
        if any(k.startswith(key + "__") for k in self._values):
            return _Section(self, key)
        raise AttributeError(f"unknown cytensor flag {key.replace('__', '.')!r}")

    def __setattr__(self, name, value):
        self._set(name, value)

    def __dir__(self):
        return list(FLAGS) + list(INERT_THEANO_FLAGS)

    @contextlib.contextmanager
    def _changed(self, flags):
        saved = dict(self._values)
        try:
            for name, value in flags.items():
                self._set(name, value)
            yield self
        finally:
            self._values.clear()
            self._values.update(saved)

    def change_flags(self, **flags):
        """Context manager (and decorator) that sets flags for its duration.

        Parameters
        ----------
        **flags
            ``name=value`` for each flag (dots in names as ``__``:
            ``DebugMode__check_rewrites``).

        Returns
        -------
        context manager
            Restores the old values on leaving, also after an exception.

        Raises
        ------
        AttributeError
            For an unknown flag, listing the known ones.
        ValueError
            For a value the flag does not take.

        Examples
        --------
        >>> with theano.config.change_flags(floatX='float32'):
        ...     T.matrix('x').dtype
        'float32'
        >>> theano.config.floatX
        'float64'
        """

        return _ChangeFlags(self, flags)

    def __str__(self):
        lines = [f"{name} = {self._values[name]!r}    # {FLAGS[name][2]}" for name in FLAGS]
        lines.append("# Theano flags accepted for Theano scripts; inert in cytensor:")
        lines += [f"{name} = {self._values[name]!r}    # inert" for name in INERT_THEANO_FLAGS]
        return "\n".join(lines)


class _Section:
    """``config.warn``, ``config.dnn.conv``: the flags under a dotted prefix."""

    def __init__(self, config, prefix):
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name):
        return getattr(self._config, f"{self._prefix}__{name}")

    def __setattr__(self, name, value):
        self._config._set(f"{self._prefix}__{name}", value)

    def __dir__(self):
        start = self._prefix + "__"
        return sorted({k[len(start):].split("__")[0] for k in self._config._values
                       if k.startswith(start)})


class _ChangeFlags(contextlib.ContextDecorator):
    def __init__(self, config, flags):
        self.config, self.flags, self._cm = config, flags, None

    def __enter__(self):
        self._cm = self.config._changed(self.flags)
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _read_env(variable):
    text = os.environ.get(variable, "")
    pairs = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ValueError(f"{variable}: {item!r} is not name=value")
        name, value = item.split("=", 1)
        pairs.append((name.strip(), value.strip()))
    return pairs


def _read_rc_files(variable, default):
    paths = os.environ.get(variable, os.path.expanduser(default)).split(os.pathsep)
    found = []
    for path in paths:
        if not path or not os.path.isfile(path):
            continue
        parser = configparser.ConfigParser()
        parser.optionxform = str
        parser.read(path)
        pairs = []
        for section in parser.sections():
            for name, value in parser.items(section):
                key = name if section == "global" else f"{section}__{name}"
                pairs.append((key, shlex.split(value)[0] if value else value))
        found.append((path, pairs))
    return found


config = Config()
change_flags = config.change_flags

