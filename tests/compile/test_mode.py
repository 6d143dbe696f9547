"""Modes: names, linkers, including/excluding rewrites, registration."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.compile.mode import MODES, Mode, get_mode, register_mode
from cytensor.config import change_flags


def test_named_modes_are_fresh_modes():
    assert get_mode("FAST_RUN").optimizer == "fast_run"
    assert get_mode("FAST_COMPILE").optimizer == "fast_compile"
    assert get_mode("FAST_RUN") is not get_mode("FAST_RUN")
    mode = Mode()
    assert get_mode(mode) is mode


def test_get_mode_none_reads_config():
    with change_flags(mode="FAST_COMPILE"):
        assert get_mode(None).name == "FAST_COMPILE"


def test_unknown_names_are_errors():
    with pytest.raises(ValueError, match="unknown mode 'FAST'"):
        get_mode("FAST")
    with pytest.raises(ValueError, match=r"unknown linker 'c\+\+'"):
        Mode(linker="c++")


def test_theano_linker_names_mean_the_kernels():
    for name in ("cvm", "vm", "c", "c|py"):
        assert Mode(linker=name).linker == "cy"


def test_including_and_excluding_copy_the_mode():
    base = Mode(optimizer="fast_run")
    fewer = base.excluding("fusion")
    assert base.excluded == () and fewer.excluded == ("fusion",)
    assert not any(r.phase == "fusion" for r in fewer.rewrites())
    assert any(r.phase == "fusion" for r in base.rewrites())
    assert base.including("x").included == ("x",)


def test_optimizer_none_runs_no_rewrite():
    assert Mode(optimizer=None).rewrites() == []


def test_a_registered_mode_is_usable_by_name():
    register_mode("TestOnlyPyMode", lambda: Mode(linker="py", name="TestOnlyPyMode"))
    try:
        x = T.dvector("x")
        f = theano.function([x], T.exp(x), mode="TestOnlyPyMode")
        assert f.maker.mode.linker == "py"
        assert np.allclose(f(np.zeros(2)), 1.0)
    finally:
        del MODES["TestOnlyPyMode"]
