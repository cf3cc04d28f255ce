"""The remaining Keras 3 layers against real Keras 3 (torch backend): the same weights and inputs
give the same outputs, weight names and parameter counts; one SGD step changes the weights
identically; the configs are Keras's; a model holding the layer crosses to Keras and back through
`.keras` files with the same predictions; the dropouts draw what Keras's draw (values and
statistics) and are identities at inference; and the summary reads as Keras's."""

import json

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

import neuronio  # noqa: E402
from neuronio.saving.serialization import to_keras_config  # noqa: E402
from tests.reference.keras_layer_checks import (  # noqa: E402
    ATOL,
    RTOL,
    check_crossing,
    check_forward,
    check_keras_config,
    check_one_sgd_step,
    same_weights,
)

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

# (layer class, constructor arguments, one sample's input shape)
LAYERS = [
    ("AdaptiveAveragePooling1D", {"output_size": 3}, (7, 2)),
    ("AdaptiveAveragePooling1D", {"output_size": 5}, (3, 1)),
    ("AdaptiveMaxPooling1D", {"output_size": 4}, (9, 2)),
    ("AdaptiveAveragePooling2D", {"output_size": (2, 3)}, (5, 7, 2)),
    ("AdaptiveMaxPooling2D", {"output_size": 3}, (5, 4, 1)),
    ("AdaptiveMaxPooling2D", {"output_size": (4, 2)}, (3, 6, 2)),
    ("SpatialDropout1D", {"rate": 0.3}, (4, 3)),
    ("GaussianDropout", {"rate": 0.2}, (5,)),
    ("AlphaDropout", {"rate": 0.1}, (5,)),
    ("AlphaDropout", {"rate": 0.4, "noise_shape": (None, 1, 3), "seed": 3}, (2, 3)),
    ("Identity", {}, (3, 2)),
    ("ActivityRegularization", {"l1": 0.01, "l2": 0.1}, (4,)),
    ("UnitNormalization", {}, (5,)),
    ("UnitNormalization", {"axis": [1, 2]}, (3, 2)),
    ("GroupNormalization", {"groups": 2}, (3, 4)),
    ("GroupNormalization", {"groups": -1, "epsilon": 1e-5, "center": False}, (2, 2, 3)),
    ("GroupNormalization", {"groups": 1, "scale": False}, (4, 2)),
    ("GroupNormalization", {"groups": 3, "axis": 1}, (3, 4)),
]
WEIGHTED = [case for case in LAYERS if case[0] == "GroupNormalization"]


def _ids(cases):
    return [f"{c[0]}-{i}" for i, c in enumerate(cases)]


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_forward_and_parameter_count_match_keras(rng, name, kwargs, shape):
    check_forward(neuronio, keras, rng, name, kwargs, shape)


@pytest.mark.parametrize(("name", "kwargs", "shape"), WEIGHTED, ids=_ids(WEIGHTED))
def test_one_sgd_step_matches_keras(rng, name, kwargs, shape):
    check_one_sgd_step(neuronio, keras, rng, name, kwargs, shape)


def test_activity_regularization_trains_as_keras(rng):
    def build(api):
        return api.models.Sequential(
            [api.layers.Input((3,)), api.layers.Dense(4), api.layers.ActivityRegularization(l1=0.05, l2=0.2)]
        )

    ours, theirs = build(neuronio), build(keras)
    same_weights(ours, theirs, rng)
    x, y = rng.standard_normal((5, 3)).astype("float32"), rng.standard_normal((5, 4)).astype("float32")
    for model, api in ((ours, neuronio), (theirs, keras)):
        model.compile(optimizer=api.optimizers.SGD(learning_rate=0.1), loss="mse")
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=RTOL)
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), rtol=RTOL)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_saved_layer_crosses_between_engines(tmp_path, rng, name, kwargs, shape, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    check_crossing(source, target, tmp_path, rng, name, kwargs, shape)


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_configs_are_keras_configs(name, kwargs, shape):
    check_keras_config(neuronio, keras, name, kwargs)


# -- the dropouts: Keras's values and statistics while training, identity at inference ------------------
def test_alpha_dropout_draws_keras_values_and_fraction():
    x = np.full((4000, 1), 2.0, "float32")
    ours = neuronio.layers.AlphaDropout(0.3, seed=1)(x, training=True).numpy().ravel()
    theirs = keras.ops.convert_to_numpy(keras.layers.AlphaDropout(0.3, seed=1)(x, training=True)).ravel()
    np.testing.assert_allclose(np.unique(ours), np.unique(theirs), rtol=1e-6)
    assert abs(np.mean(ours < 0) - np.mean(theirs < 0)) < 0.04  # both drop about 30%


def test_gaussian_dropout_has_keras_statistics():
    x = np.ones((20000, 3), "float32")
    ours = neuronio.layers.GaussianDropout(0.3, seed=1)(x, training=True).numpy()
    theirs = keras.ops.convert_to_numpy(keras.layers.GaussianDropout(0.3, seed=1)(x, training=True))
    assert abs(ours.mean() - theirs.mean()) < 0.02 and abs(ours.std() - theirs.std()) < 0.02


def test_spatial_dropout_1d_drops_channels_as_keras():
    x = np.ones((64, 5, 8), "float32")
    for api in (neuronio, keras):
        y = keras.ops.convert_to_numpy(api.layers.SpatialDropout1D(0.5, seed=2)(x, training=True))
        assert np.all(y.min(axis=1) == y.max(axis=1)) and set(np.unique(y)) == {0.0, 2.0}
        assert 0.4 < np.mean(y == 0) < 0.6


# -- merges and serialize ---------------------------------------------------------------------------------
def test_dot_and_minimum_match_keras_and_cross_both_ways(tmp_path, rng):
    def build(api):
        a, b, c = api.layers.Input((4, 3)), api.layers.Input((5, 3)), api.layers.Input((4, 3))
        d = api.layers.Dense(3)(a)
        outputs = [
            api.layers.dot([d, b], axes=2),
            api.layers.Dot(axes=(1, 1), normalize=True)([d, c]),
            api.layers.dot([d, c], axes=-1),
            api.layers.minimum([d, c]),
            api.layers.Minimum()([a, c, d]),
        ]
        return api.models.Model([a, b, c], outputs)

    ours, theirs = build(neuronio), build(keras)
    same_weights(ours, theirs, rng)
    x = [rng.standard_normal((2, *s)).astype("float32") for s in ((4, 3), (5, 3), (4, 3))]
    expected = theirs.predict(x, verbose=0)
    for a, b in zip(ours.predict(x, verbose=0), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    ours.save(tmp_path / "ours.keras")
    for a, b in zip(keras.models.load_model(tmp_path / "ours.keras").predict(x, verbose=0), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    theirs.save(tmp_path / "theirs.keras")
    for a, b in zip(neuronio.models.load_model(tmp_path / "theirs.keras").predict(x, verbose=0), expected):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def test_layers_serialize_output_is_read_by_keras_and_keras_output_by_neuronio():
    ours = neuronio.layers.GroupNormalization(groups=2, name="gn")
    ours(np.ones((1, 4), "float32"))
    envelope = json.loads(json.dumps(neuronio.layers.serialize(ours)))
    theirs = keras.layers.deserialize(envelope)
    assert type(theirs).__name__ == "GroupNormalization" and theirs.built and theirs.groups == 2
    back = neuronio.layers.deserialize(json.loads(json.dumps(keras.layers.serialize(theirs))))
    assert back.built and back.get_config() == ours.get_config()
    dot = keras.layers.Dot(axes=(1, 2), normalize=True, name="dot")
    assert neuronio.layers.deserialize(keras.layers.serialize(dot)).get_config()["axes"] == [1, 2]


def test_a_time_distributed_wrapper_is_a_wrapper_in_both():
    for api in (neuronio, keras):
        assert isinstance(api.layers.TimeDistributed(api.layers.Dense(2)), api.layers.Wrapper)
    ours = neuronio.layers.Wrapper(neuronio.layers.Dense(2, name="inner"), name="w")
    theirs = keras.layers.Wrapper(keras.layers.Dense(2, name="inner"), name="w")
    written, expected = to_keras_config("Wrapper", ours.get_config()), json.loads(json.dumps(theirs.get_config()))
    assert set(written) == set(expected)
    for key in ("module", "class_name", "registered_name"):
        assert written["layer"][key] == expected["layer"][key]
    assert written["layer"]["config"]["units"] == expected["layer"]["config"]["units"] == 2


def test_summary_shows_keras_parameter_counts():
    def build(api):
        layers = api.layers
        return api.models.Sequential(
            [
                layers.Input((6, 6, 4)),
                layers.GroupNormalization(groups=2),
                layers.AdaptiveAveragePooling2D(3),
                layers.AlphaDropout(0.1),
                layers.GaussianDropout(0.1),
                layers.UnitNormalization(),
                layers.ActivityRegularization(l2=0.01),
                layers.Identity(),
                layers.AdaptiveMaxPooling2D((2, 1)),
            ]
        )

    keras.backend.clear_session()  # Keras numbers names across its session: start both at "sequential"
    ours, theirs = build(neuronio), build(keras)
    assert [layer.count_params() for layer in ours.layers] == [layer.count_params() for layer in theirs.layers]
    ours_text, theirs_text = [], []
    ours.summary(print_fn=ours_text.append)
    theirs.summary(print_fn=lambda line, **kwargs: theirs_text.append(line))
    assert "\n".join(ours_text).strip() == "\n".join(theirs_text).strip()


def test_masks_pass_through_the_mask_keeping_layers_as_in_keras(rng):
    def build(api):
        layers = api.layers
        return api.models.Sequential(
            [
                layers.Input((5,)),
                layers.Embedding(7, 4, mask_zero=True),
                layers.Identity(),
                layers.SpatialDropout1D(0.2),
                layers.GaussianDropout(0.2),
                layers.AlphaDropout(0.2),
                layers.ActivityRegularization(l2=0.01),
                layers.UnitNormalization(),
                layers.GroupNormalization(groups=2),
                layers.GlobalAveragePooling1D(),  # averages the unmasked steps only
            ]
        )

    ours, theirs = build(neuronio), build(keras)
    same_weights(ours, theirs, rng)
    tokens = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]], "int32")
    np.testing.assert_allclose(ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), rtol=RTOL, atol=ATOL)


def test_merges_of_masked_inputs_give_keras_values_and_masks(rng):
    def build(api):
        layers = api.layers
        a, b = layers.Input((4,)), layers.Input((4,))
        left = layers.Embedding(6, 3, mask_zero=True)(a)
        right = layers.Embedding(6, 3, mask_zero=True)(b)
        plain = layers.Dense(3)(layers.Embedding(6, 3)(b))  # no mask: it holds every step
        merged = [
            layers.minimum([left, right]),
            layers.maximum([left, right, left]),
            layers.multiply([left, right]),
            layers.add([left, right]),
            layers.average([left, right]),
            layers.subtract([left, right]),
            layers.minimum([plain, left]),
            layers.multiply([left, plain]),
            layers.maximum([left, plain]),
        ]
        # the raw merged values (steps no input holds included), and a masked mean of each
        return api.models.Model([a, b], merged + [layers.GlobalAveragePooling1D()(m) for m in merged])

    ours, theirs = build(neuronio), build(keras)
    same_weights(ours, theirs, rng)
    x = [np.array([[1, 2, 0, 0], [3, 1, 4, 0]], "int32"), np.array([[5, 0, 2, 0], [1, 1, 0, 1]], "int32")]
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def _twice_class(api):
    """A user's Wrapper subclass (applies its layer twice), registered under the same name in `api`."""

    @api.saving.register_keras_serializable(package="more_layers_test")
    class Twice(api.layers.Wrapper):
        def call(self, inputs):
            return self.layer(self.layer(inputs))

        def compute_output_shape(self, input_shape):
            return input_shape

    return Twice


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_a_users_wrapper_crosses_between_engines_with_its_wrapped_layer(tmp_path, rng, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    twice, _ = _twice_class(source), _twice_class(target)
    model = source.models.Sequential([source.layers.Input((3,)), twice(source.layers.Dense(3, name="inner"))])
    model.set_weights([rng.standard_normal(tuple(w.shape)).astype("float32") for w in model.weights])
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[-1]).__name__ == "Twice" and loaded.layers[-1].layer.name == "inner"
    x = rng.standard_normal((2, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=RTOL, atol=ATOL)
