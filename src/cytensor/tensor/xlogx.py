"""``x * log(x)`` and ``x * log(y)`` with the value 0 where x is 0 (Theano's
``tensor/xlogx.py``), as used in entropies.

Both are compositions: where x == 0 the logarithm is taken of 1 instead, so
neither the value nor the gradient picks up ``0 * -inf = nan`` there.  (In
Theano the gradient of xlogx at 0 is -inf; here it is 0, the one-sided
limit of d/dx (x log x) being unbounded.)
"""
from . import math as tm
from .type import as_tensor_variable


def xlogx(x):
    """``x * log(x)``, and 0 where x == 0."""
    x = as_tensor_variable(x)
    return x * tm.log(tm.switch(tm.eq(x, 0), 1, x))


def xlogy0(x, y):
    """``x * log(y)``, and 0 where x == 0 (whatever y is)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    return x * tm.log(tm.switch(tm.eq(x, 0), 1, y))
