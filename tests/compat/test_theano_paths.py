"""Theano's import paths, written as Theano users write them (the imports
above are the test: each must work after ``import cytensor as theano``)."""
import numpy as np

import cytensor as theano
import cytensor.printing
import cytensor.scan_module
import cytensor.tensor as T
from cytensor.compile.debugmode import DebugMode
from cytensor.compile.nanguardmode import NanGuardMode
from cytensor.compile.profiling import ProfileStats
from cytensor.compile.sharedvalue import SharedVariable
from cytensor.gradient import numeric_grad, verify_grad
from cytensor.ifelse import ifelse
from cytensor.sandbox.rng_mrg import MRG_RandomStreams
from cytensor.scan_module import until
from cytensor.sharedvalue import shared
from cytensor.tensor.shared_randomstreams import RandomStreams
from cytensor.tensor.signal import downsample


def test_theano_paths_reach_the_real_objects():
    assert DebugMode is theano.DebugMode and NanGuardMode is theano.NanGuardMode
    assert ProfileStats is theano.ProfileStats and shared is theano.shared
    assert isinstance(theano.shared(np.zeros(2)), SharedVariable)
    assert cytensor.printing.pp is theano.pp and cytensor.scan_module.until is until
    assert T.shared_randomstreams.RandomStreams is RandomStreams
    assert issubclass(MRG_RandomStreams, RandomStreams)
    assert T.signal.downsample is downsample and callable(downsample.max_pool_2d)
    assert callable(ifelse) and callable(numeric_grad)


def test_theano_param_and_linker_names():
    x = T.dscalar("x")
    f = theano.function([theano.Param(x, default=2.0)], x * 3, mode=theano.Mode(linker="cvm"))
    assert f.maker.mode.linker == "cy" and f() == 6.0


def test_verify_grad_from_its_theano_module():
    verify_grad(lambda a: T.exp(a).sum(), [np.array([0.1, 0.2])])
