"""Configuration flags, read from CYTENSOR_FLAGS and .cytensorrc files.

Theano users know this: ``CYTENSOR_FLAGS="floatX=float32,mode=FAST_COMPILE"``
in the environment, or an INI file (``~/.cytensorrc``, or the files named in
``CYTENSORRC``, separated by ``os.pathsep``) with a ``[global]`` section.
The environment wins over files, and ``config.change_flags`` changes flags for
the length of a ``with`` block (or of a decorated function).
"""
import configparser
import contextlib
import os
import shlex

_FLOAT_DTYPES = ("float64", "float32")
_MODES = ("FAST_RUN", "FAST_COMPILE", "DebugMode", "DEBUG_MODE", "NanGuardMode")


def _choice(*options):
    def check(value):
        if value not in options:
            raise ValueError(f"must be one of {options}, not {value!r}")
        return value
    return check


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
    "floatX": ("float64", _choice(*_FLOAT_DTYPES),
               "dtype of T.matrix(), T.vector()... and of Python floats in graphs"),
    "mode": ("FAST_RUN", _choice(*_MODES), "default mode of function()"),
    "linker": ("cy", _choice("cy", "py"),
               "'cy' runs the Cython kernels, 'py' the NumPy references"),
    "optimizer": ("fast_run", _choice("fast_run", "fast_compile", "None"),
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
    "exception_verbosity": ("low", _choice("low", "high"),
                            "how much graph context errors carry"),
    "traceback__limit": (8, _int, "stack frames kept for each node's creation site"),
    "cast_policy": ("custom", _choice("custom", "numpy+floatX"),
                    "how Python scalars are typed in graphs"),
    "pydotprint_format": ("png", _str, "default picture format of pydotprint"),
    "DebugMode__check_preallocated_output": (True, _bool,
                                             "DebugMode also runs each kernel over stale "
                                             "output buffers filled with garbage"),
    "DebugMode__check_rewrites": (True, _bool,
                                  "DebugMode also runs the unrewritten graph and compares"),
    "NanGuardMode__nan_is_error": (True, _bool, "NanGuardMode flags nan"),
    "NanGuardMode__inf_is_error": (True, _bool, "NanGuardMode flags inf"),
    "NanGuardMode__big_is_error": (True, _bool, "NanGuardMode flags huge values"),
}


class Config:
    """Attribute access to the flags: ``config.floatX``."""

    def __init__(self):
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_watchers", {})
        for name, (default, convert, _) in FLAGS.items():
            self._values[name] = convert(default) if default != () else ()
        for source, pairs in _read_rc_files() + [("CYTENSOR_FLAGS", _read_env())]:
            for name, value in pairs:
                self._set(name, value, source)

    def _set(self, name, value, source="config"):
        key = name.replace(".", "__")
        if key not in FLAGS:
            raise AttributeError(
                f"{source}: unknown cytensor flag {name!r}; known flags: "
                + ", ".join(sorted(FLAGS)))
        convert = FLAGS[key][1]
        try:
            self._values[key] = convert(value)
        except ValueError as e:
            raise ValueError(f"{source}: flag {name}: {e}") from None
        for call in self._watchers.get(key, ()):
            call(self._values[key])

    def watch(self, name, call):
        """Call ``call(value)`` now and whenever flag ``name`` is set: how a
        stage above this one (the kernels' thread count) follows a flag."""
        key = name.replace(".", "__")
        self._watchers.setdefault(key, []).append(call)
        call(self._values[key])

    def __getattr__(self, name):
        try:
            return self._values[name.replace(".", "__")]
        except KeyError:
            raise AttributeError(f"unknown cytensor flag {name!r}") from None

    def __setattr__(self, name, value):
        self._set(name, value)

    def __dir__(self):
        return list(FLAGS)

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
        """Context manager (and decorator) that sets flags for its duration."""
        return _ChangeFlags(self, flags)

    def __str__(self):
        return "\n".join(f"{name} = {self._values[name]!r}    # {FLAGS[name][2]}"
                         for name in FLAGS)


class _ChangeFlags(contextlib.ContextDecorator):
    def __init__(self, config, flags):
        self.config, self.flags, self._cm = config, flags, None

    def __enter__(self):
        self._cm = self.config._changed(self.flags)
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _read_env():
    text = os.environ.get("CYTENSOR_FLAGS", "")
    pairs = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ValueError(f"CYTENSOR_FLAGS: {item!r} is not name=value")
        name, value = item.split("=", 1)
        pairs.append((name.strip(), value.strip()))
    return pairs


def _read_rc_files():
    default = os.path.expanduser("~/.cytensorrc")
    paths = os.environ.get("CYTENSORRC", default).split(os.pathsep)
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

