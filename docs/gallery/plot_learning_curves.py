"""
Learning curves of logistic regression and an MLP
=================================================

Both models of the tutorials, trained side by side on scikit-learn's 8x8
digits; the plot shows the training loss after each epoch.
"""
import matplotlib.pyplot as plt
import numpy
from sklearn.datasets import load_digits

import cytensor as theano
import cytensor.tensor as T

digits = load_digits()
images = (digits.data / 16.0).astype("float32")
labels = digits.target.astype("int32")
rng = numpy.random.default_rng(0)


def shared_weights(name, n_in, n_out):
    bound = numpy.sqrt(6.0 / (n_in + n_out))
    return theano.shared(rng.uniform(-bound, bound, (n_in, n_out)).astype("float32"), name=name)


def shared_zeros(name, n):
    return theano.shared(numpy.zeros(n, dtype="float32"), name=name)


def sgd_trainer(x, y, p_y_given_x, params, learning_rate=numpy.float32(0.1)):
    """A function that takes one SGD step on a minibatch and returns its loss."""
    loss = T.nnet.categorical_crossentropy(p_y_given_x, y).mean()
    grads = theano.grad(loss, params)
    return theano.function([x, y], loss,
                           updates=[(p, p - learning_rate * g) for p, g in zip(params, grads)])


x, y = T.fmatrix("x"), T.ivector("y")
W, b = shared_weights("W", 64, 10), shared_zeros("b", 10)
logreg = sgd_trainer(x, y, T.nnet.softmax(T.dot(x, W) + b), [W, b])

W_h, b_h = shared_weights("W_hidden", 64, 100), shared_zeros("b_hidden", 100)
W_o, b_o = shared_weights("W_out", 100, 10), shared_zeros("b_out", 10)
hidden = T.tanh(T.dot(x, W_h) + b_h)
mlp = sgd_trainer(x, y, T.nnet.softmax(T.dot(hidden, W_o) + b_o), [W_h, b_h, W_o, b_o])

curves = {"logistic regression": [], "MLP": []}
for epoch in range(20):
    for name, train in [("logistic regression", logreg), ("MLP", mlp)]:
        losses = [train(images[s:s + 20], labels[s:s + 20]) for s in range(0, 1500, 20)]
        curves[name].append(numpy.mean(losses))

for name, curve in curves.items():
    print(f"{name}: loss {curve[0]:.3f} after one epoch, {curve[-1]:.3f} after 20")
    plt.plot(range(1, 21), curve, label=name)
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.legend()
plt.show()
