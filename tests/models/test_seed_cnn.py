from __future__ import annotations

import keras

from lrsweep.models import seed_cnn


def test_is_the_tutorials_network():
    model = seed_cnn()
    assert model.count_params() == 130_394  # as printed by the tutorial's model.summary()
    conv1, conv2, flatten, dense = model.layers
    assert (conv1.filters, conv1.kernel_size, conv1.padding, conv1.activation.__name__) == (32, (3, 3), "same", "relu")
    assert (conv2.filters, conv2.kernel_size, conv2.padding, conv2.activation.__name__) == (16, (3, 3), "same", "relu")
    assert isinstance(flatten, keras.layers.Flatten)
    assert (dense.units, dense.activation.__name__) == (10, "softmax")
    assert model.output_shape == (None, 10)


def test_follows_input_shape_and_classes():
    model = seed_cnn(input_shape=(14, 14, 3), num_classes=4)
    assert model.input_shape == (None, 14, 14, 3) and model.output_shape == (None, 4)
