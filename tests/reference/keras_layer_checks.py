"""The checks every layer gets against real Keras 3 (torch backend), shared by the reference
tests: the same weights and inputs give the same outputs; one SGD step changes the weights
identically; a model holding the layer crosses between the engines through `.keras` files; and
the config neuronio writes is the one Keras writes. `api` is the module `neuronio` or `keras`."""

import json

import numpy as np

from neuronio.saving.serialization import to_keras_config
from tests.helpers import assert_one_sgd_step_matches
from tests.helpers import same_random_weights as same_weights

# float32 rounding: the engines sum in different orders.
RTOL, ATOL = 1e-5, 1e-5


def model(api, name, kwargs, shape):
    """Sequential([Input(shape), layers.<name>(**kwargs)]) in `api`."""
    return api.models.Sequential([api.layers.Input(shape), getattr(api.layers, name)(**kwargs)])


def check_forward(neuronio, keras, rng, name, kwargs, shape):
    """Weight shapes, names and counts, the output shape and the outputs match Keras's."""
    ours, theirs = model(neuronio, name, kwargs, shape), model(keras, name, kwargs, shape)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    same_weights(ours, theirs, rng)
    x = rng.standard_normal((3, *shape)).astype("float32")
    expected = theirs.predict(x, verbose=0)
    assert ours.output_shape == theirs.output_shape
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=RTOL, atol=ATOL)


def check_one_sgd_step(neuronio, keras, rng, name, kwargs, shape):
    """The loss of one SGD step on the same batch and the weights after it match Keras's."""
    ours, theirs = model(neuronio, name, kwargs, shape), model(keras, name, kwargs, shape)
    same_weights(ours, theirs, rng)
    assert_one_sgd_step_matches(ours, theirs, (neuronio, keras), rng, shape, RTOL, ATOL)


def check_crossing(source, target, tmp_path, rng, name, kwargs, shape):
    """A model saved by `source` loads in `target` as the same class with the same predictions."""
    saved = model(source, name, kwargs, shape)
    if saved.weights:
        saved.set_weights([rng.standard_normal(tuple(w.shape)).astype("float32") for w in saved.weights])
    saved.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[-1]).__name__ == name
    x = rng.standard_normal((2, *shape)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), saved.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


def check_keras_config(neuronio, keras, name, kwargs):
    """The config neuronio writes into config.json for the layer is the one Keras writes."""
    ours = getattr(neuronio.layers, name)(**kwargs, name="layer")
    theirs = getattr(keras.layers, name)(**kwargs, name="layer")
    expected = json.loads(json.dumps(theirs.get_config()))
    for value in expected.values():  # Keras >= 3.13's initializer keys, which Keras 3.8 cannot read
        if isinstance(value, dict) and isinstance(value.get("config"), dict):
            value["config"].pop("input_axes", None)
            value["config"].pop("output_axes", None)
    assert to_keras_config(name, ours.get_config()) == expected
