"""Theano's ``theano.scan_module``, for code that imports scan or until from there."""
from ..scan import scan, until, map, reduce, foldl, foldr     # noqa: F401,A004
