"""The deeplearning.net tutorials' models (logistic_sgd, mlp, convolutional_mlp,
dA, SdA), re-typed with the same Theano calls, trained a few minibatches on
small synthetic data: Theano code must run unchanged after ``import cytensor
as theano``.  The documentation's tutorial pages are tested next to the
features they use (test_tutorial, test_function, test_random, test_ifelse);
the conditions page is here.
"""
import numpy
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.sandbox.rng_mrg import MRG_RandomStreams
from cytensor.tensor.nnet import conv, conv2d
from cytensor.tensor.shared_randomstreams import RandomStreams
from cytensor.tensor.signal import downsample, pool

FLOATX = pytest.mark.parametrize("floatX", ["float64", "float32"], indirect=True)


@pytest.fixture
def floatX(request):
    with theano.config.change_flags(floatX=request.param):
        yield request.param


def synthetic_images(n_classes=3, n_examples=120, side=8, seed=0):
    """Images in [0, 1] whose class sets a bright region: a stand-in for MNIST."""
    rng = numpy.random.RandomState(seed)
    prototypes = rng.rand(n_classes, side * side) > 0.6
    labels = rng.randint(n_classes, size=n_examples)
    images = 0.3 * rng.rand(n_examples, side * side) + 0.6 * prototypes[labels]
    return images, labels


def shared_dataset(data_xy, borrow=True):
    """Labels stored as floatX, used as int32: the tutorials' load_data."""
    data_x, data_y = data_xy
    shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX),
                             borrow=borrow)
    shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX),
                             borrow=borrow)
    return shared_x, T.cast(shared_y, 'int32')


class LogisticRegression(object):
    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(value=numpy.zeros((n_in, n_out), dtype=theano.config.floatX),
                               name='W', borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                               name='b', borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        if y.ndim != self.y_pred.ndim:
            raise TypeError('y should have the same shape as self.y_pred',
                            ('y', y.type, 'y_pred', self.y_pred.type))
        if y.dtype.startswith('int'):
            return T.mean(T.neq(self.y_pred, y))
        else:
            raise NotImplementedError()


class HiddenLayer(object):
    def __init__(self, rng, input, n_in, n_out, W=None, b=None, activation=T.tanh):
        self.input = input
        if W is None:
            W_values = numpy.asarray(
                rng.uniform(low=-numpy.sqrt(6. / (n_in + n_out)),
                            high=numpy.sqrt(6. / (n_in + n_out)),
                            size=(n_in, n_out)),
                dtype=theano.config.floatX)
            if activation == theano.tensor.nnet.sigmoid:
                W_values *= 4
            W = theano.shared(value=W_values, name='W', borrow=True)
        if b is None:
            b_values = numpy.zeros((n_out,), dtype=theano.config.floatX)
            b = theano.shared(value=b_values, name='b', borrow=True)
        self.W = W
        self.b = b
        lin_output = T.dot(input, self.W) + self.b
        self.output = (lin_output if activation is None else activation(lin_output))
        self.params = [self.W, self.b]


class MLP(object):
    def __init__(self, rng, input, n_in, n_hidden, n_out):
        self.hiddenLayer = HiddenLayer(rng=rng, input=input, n_in=n_in, n_out=n_hidden,
                                       activation=T.tanh)
        self.logRegressionLayer = LogisticRegression(input=self.hiddenLayer.output,
                                                     n_in=n_hidden, n_out=n_out)
        self.L1 = abs(self.hiddenLayer.W).sum() + abs(self.logRegressionLayer.W).sum()
        self.L2_sqr = (self.hiddenLayer.W ** 2).sum() + (self.logRegressionLayer.W ** 2).sum()
        self.negative_log_likelihood = self.logRegressionLayer.negative_log_likelihood
        self.errors = self.logRegressionLayer.errors
        self.params = self.hiddenLayer.params + self.logRegressionLayer.params
        self.input = input


class LeNetConvPoolLayer(object):
    """Convolution then max-pooling; ``old_api`` spells it as Theano 0.7 did
    (conv.conv2d with image_shape, downsample.max_pool_2d with ds)."""

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2),
                 old_api=False):
        assert image_shape[1] == filter_shape[1]
        self.input = input
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = (filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize))
        W_bound = numpy.sqrt(6. / (fan_in + fan_out))
        self.W = theano.shared(
            numpy.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                          dtype=theano.config.floatX),
            borrow=True)
        b_values = numpy.zeros((filter_shape[0],), dtype=theano.config.floatX)
        self.b = theano.shared(value=b_values, borrow=True)
        if old_api:
            conv_out = conv.conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                                   image_shape=image_shape)
            pooled_out = downsample.max_pool_2d(input=conv_out, ds=poolsize,
                                                ignore_border=True)
        else:
            conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                              input_shape=image_shape)
            pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle('x', 0, 'x', 'x'))
        self.params = [self.W, self.b]


class dA(object):
    def __init__(self, numpy_rng, theano_rng=None, input=None, n_visible=784, n_hidden=500,
                 W=None, bhid=None, bvis=None):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        if not W:
            initial_W = numpy.asarray(
                numpy_rng.uniform(low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  size=(n_visible, n_hidden)),
                dtype=theano.config.floatX)
            W = theano.shared(value=initial_W, name='W', borrow=True)
        if not bvis:
            bvis = theano.shared(value=numpy.zeros(n_visible, dtype=theano.config.floatX),
                                 borrow=True)
        if not bhid:
            bhid = theano.shared(value=numpy.zeros(n_hidden, dtype=theano.config.floatX),
                                 name='b', borrow=True)
        self.W = W
        self.b = bhid
        self.b_prime = bvis
        self.W_prime = self.W.T
        self.theano_rng = theano_rng
        if input == None:           # noqa: E711  (the tutorial's spelling)
            self.x = T.dmatrix(name='input')
        else:
            self.x = input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, input, corruption_level):
        return self.theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level,
                                        dtype=theano.config.floatX) * input

    def get_hidden_values(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, corruption_level, learning_rate):
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        L = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam)
                   for param, gparam in zip(self.params, gparams)]
        return (cost, updates)


class SdA(object):
    def __init__(self, numpy_rng, theano_rng=None, n_ins=784, hidden_layers_sizes=[500, 500],
                 n_outs=10):
        self.sigmoid_layers = []
        self.dA_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)
        if not theano_rng:                 # the later SdA.py's generator
            theano_rng = MRG_RandomStreams(numpy_rng.randint(2 ** 30))
        self.x = T.matrix('x')
        self.y = T.ivector('y')
        for i in range(self.n_layers):
            input_size = n_ins if i == 0 else hidden_layers_sizes[i - 1]
            layer_input = self.x if i == 0 else self.sigmoid_layers[-1].output
            sigmoid_layer = HiddenLayer(rng=numpy_rng, input=layer_input, n_in=input_size,
                                        n_out=hidden_layers_sizes[i],
                                        activation=T.nnet.sigmoid)
            self.sigmoid_layers.append(sigmoid_layer)
            self.params.extend(sigmoid_layer.params)
            dA_layer = dA(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,
                          n_visible=input_size, n_hidden=hidden_layers_sizes[i],
                          W=sigmoid_layer.W, bhid=sigmoid_layer.b)
            self.dA_layers.append(dA_layer)
        self.logLayer = LogisticRegression(input=self.sigmoid_layers[-1].output,
                                           n_in=hidden_layers_sizes[-1], n_out=n_outs)
        self.params.extend(self.logLayer.params)
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)
        self.errors = self.logLayer.errors(self.y)

    def pretraining_functions(self, train_set_x, batch_size):
        index = T.lscalar('index')
        corruption_level = T.scalar('corruption')
        learning_rate = T.scalar('lr')
        batch_begin = index * batch_size
        batch_end = batch_begin + batch_size
        pretrain_fns = []
        for dA in self.dA_layers:
            cost, updates = dA.get_cost_updates(corruption_level, learning_rate)
            fn = theano.function(
                inputs=[index, theano.In(corruption_level, value=0.2),
                        theano.In(learning_rate, value=0.1)],
                outputs=cost, updates=updates,
                givens={self.x: train_set_x[batch_begin: batch_end]})
            pretrain_fns.append(fn)
        return pretrain_fns

    def build_finetune_functions(self, datasets, batch_size, learning_rate):
        (train_set_x, train_set_y) = datasets[0]
        (test_set_x, test_set_y) = datasets[1]
        n_test_batches = test_set_x.get_value(borrow=True).shape[0]
        n_test_batches //= batch_size
        index = T.lscalar('index')
        gparams = T.grad(self.finetune_cost, self.params)
        updates = [(param, param - gparam * learning_rate)
                   for param, gparam in zip(self.params, gparams)]
        train_fn = theano.function(
            inputs=[index], outputs=self.finetune_cost, updates=updates,
            givens={self.x: train_set_x[index * batch_size: (index + 1) * batch_size],
                    self.y: train_set_y[index * batch_size: (index + 1) * batch_size]},
            name='train')
        test_score_i = theano.function(
            [index], self.errors,
            givens={self.x: test_set_x[index * batch_size: (index + 1) * batch_size],
                    self.y: test_set_y[index * batch_size: (index + 1) * batch_size]},
            name='test')

        def test_score():
            return [test_score_i(i) for i in range(n_test_batches)]
        return train_fn, test_score


def train_classifier(classifier, x, y, datasets, batch_size, learning_rate, cost=None,
                     n_epochs=3):
    """The tutorials' SGD loop: givens that slice the shared datasets by
    minibatch index, updates ``param - learning_rate * gparam``."""
    train_set_x, train_set_y = datasets[0]
    test_set_x, test_set_y = datasets[1]
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    n_test_batches = test_set_x.get_value(borrow=True).shape[0] // batch_size
    index = T.lscalar()
    if cost is None:
        cost = classifier.negative_log_likelihood(y)
    test_model = theano.function(
        inputs=[index], outputs=classifier.errors(y),
        givens={x: test_set_x[index * batch_size: (index + 1) * batch_size],
                y: test_set_y[index * batch_size: (index + 1) * batch_size]})
    gparams = [T.grad(cost, param) for param in classifier.params]
    updates = [(param, param - learning_rate * gparam)
               for param, gparam in zip(classifier.params, gparams)]
    train_model = theano.function(
        inputs=[index], outputs=cost, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    epoch_costs = []
    for epoch in range(n_epochs):
        costs = [train_model(minibatch_index) for minibatch_index in range(n_train_batches)]
        epoch_costs.append(numpy.mean(costs))
    test_errors = [test_model(i) for i in range(n_test_batches)]
    assert costs[0].dtype == theano.config.floatX and costs[0].shape == ()
    for param in classifier.params:
        assert param.get_value(borrow=True).dtype == theano.config.floatX
    assert epoch_costs[-1] < epoch_costs[0]
    return epoch_costs, numpy.mean(test_errors)


def datasets_for(images_labels):
    images, labels = images_labels
    return [shared_dataset((images[:80], labels[:80])),
            shared_dataset((images[80:], labels[80:]))]


@FLOATX
def test_logistic_sgd(floatX):
    datasets = datasets_for(synthetic_images())
    x = T.matrix('x')
    y = T.ivector('y')
    classifier = LogisticRegression(input=x, n_in=8 * 8, n_out=3)
    costs, test_error = train_classifier(classifier, x, y, datasets, batch_size=20,
                                         learning_rate=0.13)
    assert costs[0] < numpy.log(3) and test_error < 0.2
    predict = theano.function([x], classifier.y_pred)
    predicted = predict(datasets[1][0].get_value())
    assert predicted.shape == (40,) and predicted.dtype == 'int64'


@FLOATX
def test_mlp(floatX):
    datasets = datasets_for(synthetic_images())
    x = T.matrix('x')
    y = T.ivector('y')
    rng = numpy.random.RandomState(1234)
    classifier = MLP(rng=rng, input=x, n_in=8 * 8, n_hidden=30, n_out=3)
    cost = (classifier.negative_log_likelihood(y) + 0.00 * classifier.L1
            + 0.0001 * classifier.L2_sqr)
    costs, test_error = train_classifier(classifier, x, y, datasets, batch_size=20,
                                         learning_rate=0.1, cost=cost)
    assert test_error < 0.2
    hidden = theano.function([x], classifier.hiddenLayer.output)(
        datasets[1][0].get_value(borrow=True))
    assert hidden.shape == (40, 30) and hidden.dtype == floatX
    assert classifier.hiddenLayer.W.get_value(borrow=True).shape == (64, 30)


@FLOATX
@pytest.mark.parametrize("old_api", [False, True], ids=["pool_2d", "downsample"])
def test_convolutional_mlp(floatX, old_api):
    datasets = datasets_for(synthetic_images(side=10))
    batch_size, nkerns = 20, [4, 6]
    x = T.matrix('x')
    y = T.ivector('y')
    rng = numpy.random.RandomState(23455)
    layer0_input = x.reshape((batch_size, 1, 10, 10))
    # 10x10 images, 3x3 filters: 8x8, pooled to 4x4; then 2x2, pooled to 1x1.
    layer0 = LeNetConvPoolLayer(rng, input=layer0_input, image_shape=(batch_size, 1, 10, 10),
                                filter_shape=(nkerns[0], 1, 3, 3), poolsize=(2, 2),
                                old_api=old_api)
    layer1 = LeNetConvPoolLayer(rng, input=layer0.output,
                                image_shape=(batch_size, nkerns[0], 4, 4),
                                filter_shape=(nkerns[1], nkerns[0], 3, 3), poolsize=(2, 2),
                                old_api=old_api)
    layer2_input = layer1.output.flatten(2)
    layer2 = HiddenLayer(rng, input=layer2_input, n_in=nkerns[1] * 1 * 1, n_out=20,
                         activation=T.tanh)
    layer3 = LogisticRegression(input=layer2.output, n_in=20, n_out=3)
    layer3.params = layer3.params + layer2.params + layer1.params + layer0.params
    costs, test_error = train_classifier(layer3, x, y, datasets, batch_size=batch_size,
                                         learning_rate=0.1, n_epochs=4)
    train_set_x = datasets[0][0]
    conv_output = theano.function([x], [layer0.output, layer1.output])(
        train_set_x.get_value(borrow=True)[:batch_size])
    assert [o.shape for o in conv_output] == [(20, 4, 4, 4), (20, 6, 1, 1)]
    assert all(o.dtype == floatX for o in conv_output)


@FLOATX
def test_dA(floatX):
    (train_set_x, train_set_y), _ = datasets_for(synthetic_images())
    batch_size = 20
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    index = T.lscalar()
    x = T.matrix('x')
    rng = numpy.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2 ** 30))
    da = dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=8 * 8, n_hidden=20)
    cost, updates = da.get_cost_updates(corruption_level=0.3, learning_rate=0.1)
    train_da = theano.function([index], cost, updates=updates,
                               givens={x: train_set_x[index * batch_size:
                                                      (index + 1) * batch_size]})
    epoch_costs = []
    for epoch in range(4):
        c = [train_da(batch_index) for batch_index in range(n_train_batches)]
        epoch_costs.append(numpy.mean(c))
    assert c[0].dtype == floatX
    assert epoch_costs[-1] < epoch_costs[0]
    assert da.W.get_value(borrow=True).T.shape == (20, 64)
    assert da.W.get_value(borrow=True).dtype == floatX

    standalone = dA(numpy_rng=rng, n_visible=8 * 8, n_hidden=20)
    assert standalone.x.dtype == 'float64' and standalone.x.ndim == 2


@FLOATX
def test_SdA(floatX):
    datasets = datasets_for(synthetic_images())
    train_set_x = datasets[0][0]
    batch_size = 10
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    numpy_rng = numpy.random.RandomState(89677)
    sda = SdA(numpy_rng=numpy_rng, n_ins=8 * 8, hidden_layers_sizes=[30, 20], n_outs=3)
    pretraining_fns = sda.pretraining_functions(train_set_x=train_set_x,
                                                batch_size=batch_size)
    corruption_levels = [.1, .2]
    for i in range(sda.n_layers):
        epoch_costs = []
        for epoch in range(3):
            c = [pretraining_fns[i](index=batch_index, corruption=corruption_levels[i],
                                    lr=0.1)
                 for batch_index in range(n_train_batches)]
            epoch_costs.append(numpy.mean(c, dtype='float64'))
        assert epoch_costs[-1] < epoch_costs[0]
    assert pretraining_fns[0](0).dtype == floatX          # the In defaults

    train_fn, test_score = sda.build_finetune_functions(datasets=datasets,
                                                        batch_size=batch_size,
                                                        learning_rate=0.1)
    epoch_costs = []
    for epoch in range(3):
        epoch_costs.append(numpy.mean([train_fn(i) for i in range(n_train_batches)]))
    assert epoch_costs[-1] < epoch_costs[0]
    assert numpy.mean(test_score()) < 0.5
    for param in sda.params:
        assert param.get_value(borrow=True).dtype == floatX


def test_conditions_page_switch_and_ifelse():
    from cytensor.ifelse import ifelse
    a, b = T.scalars('a', 'b')
    x, y = T.matrices('x', 'y')
    z_switch = T.switch(T.lt(a, b), T.mean(x), T.mean(y))
    z_lazy = ifelse(T.lt(a, b), T.mean(x), T.mean(y))
    f_switch = theano.function([a, b, x, y], z_switch, mode=theano.Mode(linker='vm'))
    f_lazyifelse = theano.function([a, b, x, y], z_lazy, mode=theano.Mode(linker='vm'))
    val1, val2 = 0., 1.
    big_mat1, big_mat2 = numpy.ones((100, 100)), numpy.zeros((100, 100))
    assert f_switch(val1, val2, big_mat1, big_mat2) == 1.0
    assert f_lazyifelse(val1, val2, big_mat1, big_mat2) == 1.0
    assert f_lazyifelse(val2, val1, big_mat1, big_mat2) == 0.0
