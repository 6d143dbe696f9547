"""Theano's ``MRG_RandomStreams``, as the tutorials import it
(``from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams``).

Theano's MRG31k3p generator was made for GPUs; here it is the same
generator as ``RandomStreams`` with MRG's signatures: ``binomial`` takes p
before n, and ``nstreams`` (how many parallel GPU streams) is accepted and
has nothing to choose.  The numbers differ from Theano's, as RandomStreams'
do.
"""
from .shared_randomstreams import RandomStreams


class MRG_RandomStreams(RandomStreams):
    """Theano's ``MRG_RandomStreams(seed=12345)``: the random streams of ``RandomStreams``.

    See :class:`cytensor.tensor.shared_randomstreams.RandomStreams`.

    The numbers come from the same MT19937 states as ``RandomStreams``, not
    from Theano's MRG31k3p generator, so they differ from Theano's; the
    extra ``nstreams`` arguments are accepted and unused.

    Parameters
    ----------
    seed : int
        The stream's seed (Theano's default).

    Examples
    --------
    >>> from cytensor.sandbox.rng_mrg import MRG_RandomStreams
    >>> srng = MRG_RandomStreams(seed=12345)
    >>> mask = srng.binomial(size=(4,), p=0.5)
    >>> values = theano.function([], mask)()
    >>> values.shape, set(values.tolist()) <= {0, 1}
    ((4,), True)
    """


    def __init__(self, seed=12345):
        super().__init__(seed)

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        return super().uniform(size, low, high, ndim, dtype)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        return super().normal(size, avg, std, ndim, dtype)

    def binomial(self, size=None, p=None, n=1, ndim=None, dtype="int64", nstreams=None):
        if p is None:
            raise TypeError("MRG_RandomStreams.binomial: give the probability p")
        return super().binomial(size, n, p, ndim, dtype)
