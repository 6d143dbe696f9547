"""Theano's configuration surface: device, dotted sections, inert flags,
THEANO_FLAGS and .theanorc read beside their cytensor twins."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
import importlib.util


def run_python(code, **env_extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("CYTENSOR_FLAGS", "THEANO_FLAGS", "CYTENSORRC", "THEANORC")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True)


def test_device_defaults_to_cpu_and_reads_back():
    assert theano.config.device == "cpu"
    with theano.config.change_flags(device="cpu"):
        assert theano.config.device == "cpu"


@pytest.mark.parametrize("device", ["cuda", "cuda0", "cuda1"])
def test_cuda_without_a_cuda_backend_names_what_is_missing(device):
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed here: this checks the machine without it")
    with pytest.raises(ValueError) as info:
        theano.config.device = device
    message = str(info.value)
    assert "cytensor[cuda]" in message and "CuPy" in message
    assert theano.config.device == "cpu"


@pytest.mark.parametrize("device, hint", [("gpu", "'cuda'"), ("gpu2", "'cuda2'"),
                                          ("tpu", "no backend named 'tpu'"),
                                          ("cuda-x", "'cpu', 'cuda' or 'cudaN'")])
def test_unknown_device_is_a_clear_error(device, hint):
    with pytest.raises(ValueError, match=hint):
        theano.config.device = device


def test_device_from_theano_flags_fails_at_import_with_the_reason():
    out = run_python("import cytensor", THEANO_FLAGS="device=cuda")
    assert out.returncode != 0
    assert "THEANO_FLAGS: flag device" in out.stderr and "cytensor[cuda]" in out.stderr


def test_theano_flags_are_read_and_cytensor_flags_win():
    out = run_python("""
        import cytensor, cytensor.tensor as T
        print(cytensor.config.floatX, cytensor.config.mode, T.vector().dtype)
    """, THEANO_FLAGS="floatX=float32,mode=FAST_COMPILE", CYTENSOR_FLAGS="mode=FAST_RUN")
    assert out.stdout.split() == ["float32", "FAST_RUN", "float32"], out.stderr


def test_theanorc_is_read_and_cytensorrc_wins(tmp_path):
    (tmp_path / "theanorc").write_text(
        "[global]\nfloatX = float32\ndevice = cpu\n[warn]\nround = False\n"
        "[dnn.conv]\nalgo_fwd = time_once\n")
    (tmp_path / "cytensorrc").write_text("[global]\nfloatX = float64\n")
    out = run_python("""
        import cytensor
        c = cytensor.config
        print(c.floatX, c.device, c.warn.round, c.dnn.conv.algo_fwd)
    """, THEANORC=str(tmp_path / "theanorc"), CYTENSORRC=str(tmp_path / "cytensorrc"))
    assert out.stdout.split() == ["float64", "cpu", "False", "time_once"], out.stderr


def test_unknown_theano_flag_warns_as_theano_did_and_unknown_cytensor_flag_raises():
    out = run_python("import cytensor; print('ok')", THEANO_FLAGS="no_such_flag=1")
    assert out.returncode == 0 and out.stdout.strip() == "ok"
    assert "no_such_flag" in out.stderr
    out = run_python("import cytensor", CYTENSOR_FLAGS="no_such_flag=1")
    assert out.returncode != 0 and "unknown cytensor flag 'no_such_flag'" in out.stderr


def test_dotted_sections_read_and_write_like_theano():
    config = theano.config
    with config.change_flags(warn__sum_div_dimshuffle_bug=True):
        config.warn.sum_div_dimshuffle_bug = False
        assert config.warn.sum_div_dimshuffle_bug is False
        assert config.warn__sum_div_dimshuffle_bug is False
    assert config.warn.sum_div_dimshuffle_bug is True
    assert config.profiling.n_apply == config.profiling__n_apply
    assert config.NanGuardMode.nan_is_error is True
    assert "round" in dir(config.warn)
    with config.change_flags(dnn__conv__algo_fwd="small"):
        config.dnn.conv.algo_fwd = "time_once"
        assert config.dnn.conv.algo_fwd == "time_once"
    with pytest.raises(AttributeError, match="unknown cytensor flag 'warn.no_such'"):
        config.warn.no_such
    with pytest.raises(AttributeError, match="unknown cytensor flag"):
        config.warn.no_such = 1


def test_inert_flags_keep_their_type_and_are_listed_as_inert():
    config = theano.config
    with config.change_flags(gpuarray__preallocate="0.9", compile__timeout="30",
                             nvcc__fastmath="True"):
        assert config.gpuarray.preallocate == 0.9
        assert config.compile.timeout == 30
        assert config.nvcc.fastmath is True
    text = str(config)
    assert "gpuarray__preallocate = 0.0    # inert" in text
    assert "device = 'cpu'" in text and "# inert" not in text.split("device =")[1].split("\n")[0]
    with pytest.raises(ValueError, match="compile__timeout"):
        config.compile__timeout = "soon"


@pytest.mark.parametrize("theano_linker", ["c", "cvm", "vm", "c|py", "cvm_nogc"])
def test_theano_linker_names_run_the_kernels(theano_linker):
    with theano.config.change_flags(linker=theano_linker):
        assert theano.config.linker == "cy"
        x = T.vector()
        f = theano.function([x], T.exp(x))
        np.testing.assert_allclose(f(np.array([0.0, 1.0])), [1.0, np.e])


def test_theano_optimizer_levels_and_floatx_spellings():
    with theano.config.change_flags(optimizer="o4", floatX="32"):
        assert theano.config.optimizer == "fast_run"
        assert theano.config.floatX == "float32"
    with theano.config.change_flags(optimizer="merge"):
        assert theano.config.optimizer == "fast_compile"


def test_print_test_value_shows_the_value_in_str():
    x = T.vector("x")
    x.tag.test_value = np.array([1.0, 2.0])
    assert str(x) == "x"
    with theano.config.change_flags(print_test_value=True):
        assert str(x) == str(np.array([1.0, 2.0]))
        assert str(T.vector("y")) == "y"
