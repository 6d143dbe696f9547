"""Smoke test of an installed cytensor (sdist or wheel): run outside the source tree.

The kernels import, a function with a gradient compiles and gives NumPy's
numbers, a fused elementwise kernel runs, and the version agrees with the
installed metadata.
"""
import importlib.metadata

import numpy as np

import cytensor
import cytensor.tensor as T

cytensor.show_config()
assert cytensor.__version__ == importlib.metadata.version("cytensor"), cytensor.__version__
assert "site-packages" in cytensor.__file__, f"not the installed copy: {cytensor.__file__}"

x = T.matrix("x")
w = cytensor.shared(np.full(3, 0.5), name="w")
loss = T.sum(T.tanh(T.dot(x, w)) ** 2)
f = cytensor.function([x], [loss, cytensor.grad(loss, w), T.exp(x) * 2 + T.log(x + 1)])
value = np.arange(6.0).reshape(2, 3)
got_loss, got_grad, got_fused = f(value)
h = np.tanh(value @ w.get_value())
np.testing.assert_allclose(got_loss, np.sum(h ** 2))
np.testing.assert_allclose(got_grad, value.T @ (2 * h * (1 - h ** 2)))
np.testing.assert_allclose(got_fused, np.exp(value) * 2 + np.log(value + 1))
print("smoke test passed:", cytensor.__file__)
