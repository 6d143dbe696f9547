"""Modes: which rewrites run and how the result is executed.

A mode has two halves, as in Theano: the optimizer (which rewrites
``function`` applies to its copy of the graph) and the linker (how the
rewritten graph becomes a schedule of thunks).  The debugging modes,
``DebugMode`` and ``NanGuardMode`` (debugmode.py), are Modes whose linker
wraps every node's thunk in checks.
"""
import copy

from ..config import config

# Theano's linker names, for code written for Theano: all run the kernels.
_LINKER_ALIASES = {"cvm": "cy", "vm": "cy", "c": "cy", "c|py": "cy", "cvm_nogc": "cy",
                   "vm_nogc": "cy", "c|py_nogc": "cy"}


class Mode:
    """How function() compiles: ``Mode(linker='cy', optimizer='fast_run')``.

    linker: 'cy' runs the Cython kernels, 'py' the NumPy references (Theano's
    'cvm', 'vm' and 'c|py' mean 'cy').  optimizer: 'fast_run' (every
    rewrite), 'fast_compile' (the cheap ones) or None.  including/excluding:
    rewrite names or tags to add or remove.
    """

    def __init__(self, linker=None, optimizer="default", including=(), excluding=(),
                 name=None):
        linker = linker or config.linker
        self.linker = _LINKER_ALIASES.get(linker, linker)
        self.optimizer = config.optimizer if optimizer == "default" else optimizer
        self.included = tuple(including)
        self.excluded = tuple(excluding)
        self.name = name or type(self).__name__
        if self.linker not in ("cy", "py"):
            raise ValueError(f"unknown linker {linker!r}: use 'cy' (the kernels) or 'py' "
                             "(the NumPy references)")

    def including(self, *names):
        """A copy of this mode that also runs the rewrites ``names`` (or tags)."""
        new = copy.copy(self)
        new.included = self.included + names
        return new

    def excluding(self, *names):
        """A copy of this mode that skips the rewrites ``names`` (or tags)."""
        new = copy.copy(self)
        new.excluded = self.excluded + names
        return new

    def rewrites(self):
        from ..rewriting import selected
        return selected(self.optimizer, self.included, self.excluded)

    def rewrite(self, fgraph):
        """Rewrite ``fgraph`` in place.

        Test values are off meanwhile: rewrites build nodes from variables
        that carry none, and a test value is for the user's graph anyway.
        """
        from ..rewriting import rewrite_graph
        with config.change_flags(compute_test_value="off"):
            rewrite_graph(fgraph, self.rewrites())

    def link(self, fgraph):
        """The schedule that runs the rewritten ``fgraph``."""
        from .linker import Schedule
        return Schedule(fgraph, self.linker)

    def __repr__(self):
        return (f"{self.name}(linker={self.linker!r}, optimizer={self.optimizer!r}, "
                f"including={list(self.included)}, excluding={list(self.excluded)})")


def predefined_modes():
    from ..debug.debugmode import DebugMode, NanGuardMode
    return {
        "FAST_RUN": Mode(optimizer="fast_run", name="FAST_RUN"),
        "FAST_COMPILE": Mode(optimizer="fast_compile", name="FAST_COMPILE"),
        "DebugMode": DebugMode(),
        "DEBUG_MODE": DebugMode(),
        "NanGuardMode": NanGuardMode(),
    }


def get_mode(mode):
    """None (config.mode), a mode name or a Mode -> a Mode."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    modes = predefined_modes()
    if mode not in modes:
        raise ValueError(f"unknown mode {mode!r}; use one of {sorted(modes)} or a Mode")
    return modes[mode]


def get_default_mode():
    """The Mode that config.mode names (Theano's compile.mode.get_default_mode)."""
    return get_mode(None)
