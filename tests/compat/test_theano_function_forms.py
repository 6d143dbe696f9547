"""function() accepts the input forms Theano documents: lossless lists and
NumPy scalars, tuple shortcuts, In(update=, value=) states, fn['name'],
fn.value / fn.container, copy(), and DebugMode's keyword arguments."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import In, function


def test_lossless_list_and_numpy_scalar_are_accepted():
    v = T.ivector("v")
    double = function([v], v * 2)
    out = double([1, 2, 3])
    assert out.dtype == np.int32 and out.tolist() == [2, 4, 6]
    n = T.iscalar("n")
    inc = function([n], n + 1)
    assert inc(np.int64(3)) == 4
    assert inc(np.float64(7.0)) == 8


@pytest.mark.parametrize("value", [[1.5, 2.0], [2 ** 40, 1]])
def test_lossy_list_raises_naming_the_input(value):
    v = T.ivector("counts")
    f = function([v], v + 1)
    with pytest.raises(TypeError, match="counts"):
        f(value)


def test_lossy_numpy_scalar_and_int64_array_still_raise():
    n = T.iscalar("n")
    f = function([n], n * 3)
    with pytest.raises(TypeError, match="input 0 \\(n"):
        f(np.int64(2 ** 40))
    v = T.ivector("v")
    g = function([v], v)
    with pytest.raises(TypeError):          # an ndarray keeps its dtype, as in Theano
        g(np.array([1, 2], dtype=np.int64))


def test_list_with_nan_into_float32_vector_is_lossless():
    v = T.fvector("v")
    f = function([v], v)
    out = f([np.nan, 0.5])
    assert out.dtype == np.float32 and np.isnan(out[0]) and out[1] == 0.5


def test_state_input_is_updated_each_call_and_shared_between_functions():
    x, acc = T.dscalar("x"), T.dscalar("acc")
    add = function([x, In(acc, update=acc + x, value=10.0)], acc * 1)
    sub = function([x, In(acc, update=acc - x, value=add.container[acc])], [])
    assert add(1.0) == 10.0 and add["acc"] == 11.0
    sub(4.0)
    assert add[acc] == 7.0 and sub.value["acc"] == 7.0
    add["acc"] = 2.0
    assert sub[acc] == 2.0
    sub(1.0, 0.0)                        # an explicit value is used, then updated
    assert add["acc"] == -1.0


def test_tuple_shortcut_with_update_and_default():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = function([x, ((y, y + x), 3.0)], y * 2)
    assert [f(1.0), f(1.0)] == [6.0, 8.0]
    assert f["y"] == 5.0
    g = function([x, (y, 0.5)], x + y)
    assert g(1.0) == 1.5 and g(1.0, 2.0) == 3.0
    named = function([x, ("offset", y, 4.0)], x + y)
    assert named(1.0) == 5.0 and named(1.0, offset=1.0) == 2.0


def test_bad_tuple_form_and_bad_update_type_raise():
    x, y = T.dscalar("x"), T.dscalar("y")
    with pytest.raises(TypeError, match="not an input form"):
        function([x, (y, 1.0, 2.0)], x + y)
    with pytest.raises(TypeError, match="update"):
        In(y, update=T.dvector("w"), value=1.0)


def test_plain_default_set_by_key_lasts_one_call():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = function([x, In(y, value=1.0)], x + y)
    f["y"] = 5.0
    assert f(1.0) == 6.0 and f(1.0) == 2.0


def test_unknown_key_and_valueless_input_raise_key_error():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = function([x, In(y, value=1.0)], x + y)
    with pytest.raises(KeyError):
        f["nope"]
    with pytest.raises(KeyError, match="holds no value"):
        f[x]
    with pytest.raises(TypeError):
        f.container["y"] = 3.0
    assert "y" in f.value and "x" not in f.value


def test_copy_returns_the_same_form_and_copies_or_shares_the_state():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = function([x, ((y, y + x), 3.0)], y * 2)
    f(1.0)                                   # y is now 4
    c = f.copy()
    assert isinstance(c(1.0), np.ndarray)    # one output, not a list
    assert c["y"] == 5.0 and f["y"] == 4.0   # its own copy of the state
    shared = f.copy(share_memory=True)
    shared(2.0)
    assert f["y"] == 6.0
    v = T.dvector("v")
    listed = function([v], [v.sum(), v * 2])
    assert isinstance(listed.copy()([1.0]), list)


def test_debugmode_accepts_theanos_keywords():
    mode = theano.compile.DebugMode(check_c_code=False, check_py_code=True,
                                    check_isfinite=True, stability_patience=2,
                                    require_matching_strides=0)
    x = T.dvector("x")
    f = function([x], T.exp(x), mode=mode)
    np.testing.assert_allclose(f([0.0, 1.0]), np.exp([0.0, 1.0]))


def test_shared_variable_in_the_tuple_form_is_a_state_of_the_function():
    s, x = theano.shared(0.0, name="s"), T.dscalar("x")
    f = function([x, ((s, s + x), 1.0)], s * 2)
    assert [f(1.0), f(1.0)] == [2.0, 4.0]
    assert f["s"] == 3.0 and s.get_value() == 0.0    # its own storage is untouched
