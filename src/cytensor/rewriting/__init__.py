"""Graph rewriting: a FunctionGraph, the engine, and the rewrites themselves."""
from .engine import PHASES, REGISTRY, Rewrite, Trace, register, rewrite_graph, selected  # noqa: F401
from .fgraph import FunctionGraph                                                        # noqa: F401
from . import basic, algebra, fusion, inplace                                            # noqa: F401,E402
from . import nnet                                                                       # noqa: F401,E402
from . import scan_hoist                                                                 # noqa: F401,E402
