"""The hand-written NumPy step the digits demo times cytensor against does the
same arithmetic as the cytensor training function (else the comparison lies)."""
import numpy as np
import pytest

from cytensor.examples import digits, digits_baselines


@pytest.mark.parametrize("name", digits.MODELS)
def test_numpy_step_matches_the_compiled_step(name):
    rng = np.random.default_rng(5)
    x = rng.random((12, 8, 7), dtype=np.float32)      # odd columns: the pool drops one
    y = rng.integers(0, 10, 12).astype(np.int32)
    model = digits.CompiledModel(name, (8, 7), lr=0.1, seed=3)
    params = model.param_values()
    velocities = {key: np.zeros_like(value) for key, value in params.items()}
    for _ in range(2):             # the second step also checks the momentum term
        expected_loss = digits_baselines.numpy_step(name, params, velocities, x, y, 0.1,
                                                    digits.MOMENTUM)
        np.testing.assert_allclose(model.train(x, y), expected_loss, rtol=1e-5)
    for key, value in model.param_values().items():
        np.testing.assert_allclose(value, params[key], rtol=1e-4, atol=1e-6, err_msg=key)


def test_every_parameter_is_named_after_its_model():
    for name in digits.MODELS:
        model = digits.CompiledModel(name, (8, 8), lr=0.1, seed=0)
        names = [p.name for p in model.params]
        assert all(n.startswith(f"{name}.") for n in names), names
        assert len(set(names)) == len(names)
        assert set(names) == set(digits_baselines.LOSS_AND_GRADIENTS[name](
            model.param_values(), np.zeros((2, 8, 8), np.float32), np.zeros(2, np.int32))[1])


@pytest.mark.parametrize("name", digits.MODELS)
def test_torch_step_does_the_same_arithmetic(name):
    """The PyTorch step the demo times when PyTorch is installed (an optional peer)."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.random((10, 8, 8), dtype=np.float32)
    y = rng.integers(0, 10, 10).astype(np.int32)
    params = digits.CompiledModel(name, (8, 8), lr=0.1, seed=4).param_values()
    torch_step = digits_baselines.torch_step_function(name, params, 0.1, digits.MOMENTUM)
    velocities = {key: np.zeros_like(value) for key, value in params.items()}
    for _ in range(3):
        expected = digits_baselines.numpy_step(name, params, velocities, x, y, 0.1,
                                               digits.MOMENTUM)
        np.testing.assert_allclose(torch_step(x, y), expected, rtol=1e-5)
