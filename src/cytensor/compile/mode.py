"""Modes: which rewrites run and how the result is executed.

A mode has two halves, as in Theano: the optimizer (which rewrites
``function`` applies to its copy of the graph) and the linker (how the
rewritten graph becomes a schedule of thunks).  The debugging modes,
``DebugMode`` and ``NanGuardMode`` (debug/debugmode.py), are Modes whose
linker wraps every node's thunk in checks; the debug stage adds their names
to ``MODES`` with ``register_mode`` (it sits above this one).
"""
import copy

from ..config import config
from ..rewriting import rewrite_graph, selected
from .linker import Schedule

# Other names for the linkers 'cy' and 'py' (cytensor.compat adds Theano's).
LINKER_ALIASES = {}


class Mode:
    """How function() compiles: ``Mode(linker='cy', optimizer='fast_run')``.

    Pass one as ``function(..., mode=Mode(...))``, or a mode's name
    ('FAST_RUN', 'FAST_COMPILE', 'DebugMode', ...).

    Parameters
    ----------
    linker : {'cy', 'py'}, optional
        'cy' runs the Cython kernels, 'py' the NumPy references (Theano's
        'cvm', 'vm' and 'c|py' mean 'cy').  Default: ``config.linker``.
    optimizer : {'fast_run', 'fast_compile', None, 'default'}
        Every rewrite, the cheap ones, or none; 'default' is ``config.optimizer``.
    including, excluding : sequence of str
        Rewrite names or tags to add or remove.
    name : str, optional
        The name shown by ``repr``.

    Raises
    ------
    ValueError
        For an unknown linker.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> y = T.exp(x) * 2 + 1
    >>> fused = theano.function([x], y, mode=theano.Mode(optimizer='fast_run'))
    >>> plain = theano.function([x], y, mode=theano.Mode(optimizer=None))
    >>> len(fused.maker.fgraph.toposort()), len(plain.maker.fgraph.toposort())
    (1, 5)
    >>> theano.Mode(linker='py').excluding('fuse_elemwise')
    Mode(linker='py', optimizer='fast_run', including=[], excluding=['fuse_elemwise'])
    """

    def __init__(self, linker=None, optimizer="default", including=(), excluding=(),
                 name=None):
        linker = linker or config.linker
        self.linker = LINKER_ALIASES.get(linker, linker)
        self.optimizer = config.optimizer if optimizer == "default" else optimizer
        self.included = tuple(including)
        self.excluded = tuple(excluding)
        self.name = name or type(self).__name__
        if self.linker not in ("cy", "py"):
            raise ValueError(f"unknown linker {linker!r}: use 'cy' (the kernels) or 'py' "
                             "(the NumPy references)")

    def including(self, *names):
        """A copy of this mode that also runs the rewrites ``names`` (or tags).

        Parameters
        ----------
        *names : str
            Rewrite names or tags.

        Returns
        -------
        Mode
            This mode is unchanged.

        Examples
        --------
        >>> theano.Mode(optimizer='fast_compile').including('fuse_elemwise').included
        ('fuse_elemwise',)
        """
        new = copy.copy(self)
        new.included = self.included + names
        return new

    def excluding(self, *names):
        """A copy of this mode that skips the rewrites ``names`` (or tags).

        Parameters
        ----------
        *names : str
            Rewrite names or tags.

        Returns
        -------
        Mode
            This mode is unchanged.

        Examples
        --------
        >>> x = T.dvector('x')
        >>> mode = theano.Mode(optimizer='fast_run').excluding('fuse_elemwise')
        >>> len(theano.function([x], T.exp(x) * 2, mode=mode).maker.fgraph.toposort())
        2
        """

        new = copy.copy(self)
        new.excluded = self.excluded + names
        return new

    def rewrites(self):
        return selected(self.optimizer, self.included, self.excluded)

    def rewrite(self, fgraph):
        """Rewrite ``fgraph`` in place.

        Test values are off meanwhile: rewrites build nodes from variables
        that carry none, and a test value is for the user's graph anyway.
        """
        with config.change_flags(compute_test_value="off"):
            rewrite_graph(fgraph, self.rewrites())

    def link(self, fgraph):
        """The schedule that runs the rewritten ``fgraph``."""
        return Schedule(fgraph, self.linker)

    def __repr__(self):
        return (f"{self.name}(linker={self.linker!r}, optimizer={self.optimizer!r}, "
                f"including={list(self.included)}, excluding={list(self.excluded)})")


# Mode name -> a function making that mode (a fresh one for each function()).
MODES = {
    "FAST_RUN": lambda: Mode(optimizer="fast_run", name="FAST_RUN"),
    "FAST_COMPILE": lambda: Mode(optimizer="fast_compile", name="FAST_COMPILE"),
}


def register_mode(name, make):
    """Let ``mode=name`` (and config.mode) mean ``make()``."""
    MODES[name] = make


def get_mode(mode):
    """None (config.mode), a mode name or a Mode -> a Mode."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use one of {sorted(MODES)} or a Mode")
    return MODES[mode]()


def predefined_modes():
    """{name: a new Mode} for every mode name (Theano's compile.mode.predefined_modes)."""
    return {name: make() for name, make in MODES.items()}


def get_default_mode():
    """The Mode that config.mode names (Theano's compile.mode.get_default_mode)."""
    return get_mode(None)
