"""Neural-network layers with Theano's names: ``T.nnet.sigmoid``, ``T.nnet.softmax``,
``T.nnet.conv2d``, ``T.nnet.categorical_crossentropy``, batch normalization...

Pooling is in ``cytensor.tensor.signal.pool`` (as in Theano).
"""
from . import bn, conv, neighbours                                       # noqa: F401
from .basic import (CrossentropyCategorical1Hot, CrossentropyCategorical1HotGrad,  # noqa: F401
                    CrossentropySoftmax1Hot, CrossentropySoftmax1HotDx, OneHot, Softmax,
                    SoftmaxGrad, binary_crossentropy, categorical_crossentropy,
                    crossentropy_categorical_1hot, crossentropy_softmax_1hot, elu,
                    hard_sigmoid, log_softmax, logsoftmax, one_hot, relu, sigmoid,
                    sigmoid_binary_crossentropy, softmax, softmax_with_bias, softplus,
                    to_one_hot, ultra_fast_sigmoid)
from .bn import (batch_normalization, batch_normalization_test,          # noqa: F401
                 batch_normalization_train)
from .conv import (Conv2d, Conv2dGradInputs, Conv2dGradWeights, conv2d,  # noqa: F401
                   conv2d_grad_wrt_inputs)
from .h_softmax import h_softmax                                        # noqa: F401
from .neighbours import Images2Neibs, Neibs2Images, images2neibs, neibs2images  # noqa: F401
