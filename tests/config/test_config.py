"""Configuration: CYTENSOR_FLAGS, .cytensorrc files, change_flags."""
import os
import subprocess
import sys
import textwrap

import pytest

import cytensor as theano
import cytensor.tensor as T


def run_python(code, env_extra):
    env = dict(os.environ, **env_extra)
    env.pop("CYTENSOR_FLAGS", None) if "CYTENSOR_FLAGS" not in env_extra else None
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                         capture_output=True, text=True)
    return out


def test_flags_from_environment():
    out = run_python("""
        import cytensor, cytensor.tensor as T
        print(cytensor.config.floatX, cytensor.config.mode, T.matrix().dtype)
    """, {"CYTENSOR_FLAGS": "floatX=float32,mode=FAST_COMPILE"})
    assert out.stdout.split() == ["float32", "FAST_COMPILE", "float32"], out.stderr


def test_flags_from_rc_file_and_environment_wins(tmp_path):
    rc = tmp_path / "cytensorrc"
    rc.write_text("[global]\nfloatX = float32\nmode = FAST_COMPILE\n")
    out = run_python("""
        import cytensor
        print(cytensor.config.floatX, cytensor.config.mode)
    """, {"CYTENSORRC": str(rc), "CYTENSOR_FLAGS": "mode=FAST_RUN"})
    assert out.stdout.split() == ["float32", "FAST_RUN"], out.stderr


def test_bad_flag_is_a_clear_error():
    out = run_python("import cytensor", {"CYTENSOR_FLAGS": "floatx=float32"})
    assert out.returncode != 0 and "unknown cytensor flag 'floatx'" in out.stderr
    out = run_python("import cytensor", {"CYTENSOR_FLAGS": "floatX=float16"})
    assert out.returncode != 0 and "floatX" in out.stderr


def test_change_flags_context_and_decorator():
    assert theano.config.floatX == "float64"
    with theano.config.change_flags(floatX="float32"):
        assert T.vector().dtype == "float32"
    assert T.vector().dtype == "float64"

    @theano.config.change_flags(floatX="float32")
    def make():
        return T.matrix()
    assert make().dtype == "float32"
    assert theano.config.floatX == "float64"
    with pytest.raises(ValueError):
        with theano.config.change_flags(mode="NOT_A_MODE"):
            pass
    assert theano.config.mode == "FAST_RUN"


def test_config_lists_every_flag():
    text = str(theano.config)
    assert "floatX" in text and "optimizer_excluding" in text


def test_show_config(capsys):
    theano.show_config()
    text = capsys.readouterr().out
    assert "cytensor" in text and "OpenMP" in text and "BLAS" in text and "floatX" in text
