"""Theano's ``theano.sandbox``: only ``rng_mrg``, which later tutorials import."""
