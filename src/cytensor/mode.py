"""Modes: which rewrites run and which linker executes the result."""
from .config import config


class Mode:
    """How function() compiles: ``Mode(linker='cy', optimizer='fast_run')``.

    linker: 'cy' runs the Cython kernels, 'py' the NumPy references.
    optimizer: 'fast_run' (every rewrite), 'fast_compile' (the cheap ones) or
    None.  including/excluding: rewrite names or tags to add or remove.
    """

    def __init__(self, linker=None, optimizer="default", including=(), excluding=(),
                 name=None):
        self.linker = linker or config.linker
        self.optimizer = config.optimizer if optimizer == "default" else optimizer
        self.included = tuple(including)
        self.excluded = tuple(excluding)
        self.name = name or "Mode"
        if self.linker not in ("cy", "py"):
            raise ValueError(f"unknown linker {self.linker!r}: use 'cy' or 'py'")

    def including(self, *names):
        return Mode(self.linker, self.optimizer, self.included + names, self.excluded)

    def excluding(self, *names):
        return Mode(self.linker, self.optimizer, self.included, self.excluded + names)

    def rewrites(self):
        from .rewriting import selected
        return selected(self.optimizer, self.included, self.excluded)

    def __repr__(self):
        return (f"{self.name}(linker={self.linker!r}, optimizer={self.optimizer!r}, "
                f"including={list(self.included)}, excluding={list(self.excluded)})")


def predefined_modes():
    return {
        "FAST_RUN": Mode(optimizer="fast_run", name="FAST_RUN"),
        "FAST_COMPILE": Mode(optimizer="fast_compile", name="FAST_COMPILE"),
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
