"""
A damped oscillator with scan, and the gradient through time
=============================================================

``scan`` runs a step function over time: here one step of a damped spring
(semi-implicit Euler). The gradient of the final position with respect to
the damping flows back through every step; the plot compares it with a
finite difference.
"""
import matplotlib.pyplot as plt
import numpy

import cytensor as theano
import cytensor.tensor as T

damping = T.dscalar("damping")
dt = 0.05


def step(position, velocity, damping):
    velocity = velocity - dt * (position + damping * velocity)
    return position + dt * velocity, velocity


(positions, velocities), _ = theano.scan(step, outputs_info=[numpy.float64(1.0), numpy.float64(0.0)],
                                         non_sequences=damping, n_steps=200, name="spring")
final_position = positions[-1]
simulate = theano.function([damping], positions)
gradient = theano.function([damping], theano.grad(final_position, damping))

for c in [0.1, 0.5, 1.0]:
    plt.plot(numpy.arange(1, 201) * dt, simulate(c), label=f"damping {c}")
plt.xlabel("time")
plt.ylabel("position")
plt.legend()

c, eps = 0.5, 1e-6
finite_difference = (simulate(c + eps)[-1] - simulate(c - eps)[-1]) / (2 * eps)
print(f"d(final position)/d(damping) at {c}: scan gradient {gradient(c):.6f}, "
      f"finite difference {finite_difference:.6f}")
plt.show()
