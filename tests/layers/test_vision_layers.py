"""The layers of Keras's vision guides through check_layer (shapes, weights, symbolic call, config
round trip, float64 gradient checks of input and weights), plus each one's own behaviour."""

import numpy as np
import pytest

from neuronio import config, layers, models, optimizers
from neuronio.errors import FileFormatError, ShapeError
from tests.helpers import check_layer

CASES = [
    # (class, kwargs, input shape, output shape, n trainable, n non-trainable, weight names, training differs)
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (1, 3, 3, 2),
     (1, 6, 6, 2), 2, 0, ("kernel", "bias"), False),
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": (2, 3), "strides": (2, 1), "activation": "tanh"},
     (2, 2, 3, 1), (2, 4, 5, 2), 2, 0, ("kernel", "bias"), False),
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1), "padding": "same"},
     (1, 3, 3, 2), (1, 3, 3, 2), 2, 0, ("kernel", "bias"), False),
    (layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 4, 4, 2), (2, 2, 2, 4), 2, 0,
     ("kernel", "bias"), False),
    (layers.DepthwiseConv2D, {"kernel_size": 3, "strides": 2, "padding": "same", "use_bias": False}, (1, 5, 5, 3),
     (1, 3, 3, 3), 1, 0, ("kernel",), False),
    (layers.SeparableConv2D, {"filters": 3, "kernel_size": 3, "padding": "same"}, (1, 4, 4, 2), (1, 4, 4, 3), 3, 0,
     ("depthwise_kernel", "pointwise_kernel", "bias"), False),
    (layers.SeparableConv2D, {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1)}, (1, 5, 4, 2), (1, 3, 3, 2),
     3, 0, ("depthwise_kernel", "pointwise_kernel", "bias"), False),
    (layers.UpSampling2D, {}, (2, 2, 3, 2), (2, 4, 6, 2), 0, 0, (), False),
    (layers.UpSampling2D, {"size": (2, 3), "interpolation": "bilinear"}, (1, 3, 2, 2), (1, 6, 6, 2), 0, 0, (), False),
    (layers.Cropping2D, {"cropping": ((1, 0), (0, 2))}, (2, 4, 5, 2), (2, 3, 3, 2), 0, 0, (), False),
    (layers.Cropping2D, {"cropping": 1}, (1, 4, 4, 3), (1, 2, 2, 3), 0, 0, (), False),
    (layers.LayerNormalization, {}, (4, 5), (4, 5), 2, 0, ("gamma", "beta"), False),
    (layers.LayerNormalization, {"axis": [1, 2, 3], "epsilon": 1e-5}, (2, 2, 3, 2), (2, 2, 3, 2), 2, 0, None, False),
    (layers.LayerNormalization, {"rms_scaling": True}, (3, 4), (3, 4), 1, 0, ("gamma",), False),
    (layers.SpatialDropout2D, {"rate": 0.5}, (4, 3, 3, 4), (4, 3, 3, 4), 0, 0, (), True),
    (layers.GaussianNoise, {"stddev": 0.3}, (3, 4), (3, 4), 0, 0, (), True),
    (layers.Rescaling, {"scale": 1 / 127.5, "offset": -1.0}, (2, 3, 3, 1), (2, 3, 3, 1), 0, 0, (), False),
    (layers.Normalization, {"mean": [1.0, 2.0], "variance": [4.0, 0.25]}, (3, 2), (3, 2), 0, 0, (), False),
    (layers.Resizing, {"height": 5, "width": 3}, (2, 3, 4, 2), (2, 5, 3, 2), 0, 0, (), False),
    (layers.Resizing, {"height": 2, "width": 4, "interpolation": "nearest", "crop_to_aspect_ratio": True},
     (1, 5, 4, 2), (1, 2, 4, 2), 0, 0, (), False),
    (layers.Resizing, {"height": 3, "width": 6, "pad_to_aspect_ratio": True, "fill_value": 0.5}, (1, 4, 3, 2),
     (1, 3, 6, 2), 0, 0, (), False),
    (layers.CenterCrop, {"height": 3, "width": 2}, (2, 5, 4, 2), (2, 3, 2, 2), 0, 0, (), False),
    (layers.CenterCrop, {"height": 4, "width": 5}, (1, 3, 3, 2), (1, 4, 5, 2), 0, 0, (), False),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_layer(case):
    cls, kwargs, in_shape, out_shape, n_train, n_frozen, names, differs = case
    check_layer(cls, kwargs, in_shape, out_shape, n_train, n_frozen, names, training_differs=differs)


def test_normalization_adapts_to_data_per_feature_and_inverts():
    rng = np.random.default_rng(0)
    data = rng.normal([3.0, -2.0, 10.0], [2.0, 0.5, 4.0], size=(200, 3)).astype("float32")
    layer = layers.Normalization()
    layer.adapt(data)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.count_params() == 7  # 3 + 3 + 1, as Keras counts
    np.testing.assert_allclose(layer.adapt_mean.numpy(), data.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), data.var(axis=0), rtol=1e-4)
    normalized = layer(data).numpy()
    np.testing.assert_allclose(normalized.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(normalized.std(axis=0), 1.0, rtol=1e-4)
    inverse = layers.Normalization(mean=layer.adapt_mean.numpy(), variance=layer.adapt_variance.numpy(), invert=True)
    np.testing.assert_allclose(inverse(normalized).numpy(), data, rtol=1e-4, atol=1e-4)


def test_normalization_adapts_over_batches_like_over_the_whole():
    rng = np.random.default_rng(1)
    images = rng.random((10, 4, 4, 3)).astype("float32")
    whole, batched = layers.Normalization(), layers.Normalization()
    whole.adapt(images)
    batched.adapt(images[i : i + 3] for i in range(0, 10, 3))  # batches of 3, 3, 3, 1
    np.testing.assert_allclose(batched.adapt_mean.numpy(), whole.adapt_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(batched.adapt_variance.numpy(), whole.adapt_variance.numpy(), rtol=1e-5)
    scalar = layers.Normalization(axis=None)
    scalar.adapt(images)
    np.testing.assert_allclose(scalar.adapt_mean.numpy(), images.mean(), rtol=1e-6)


def test_rescaling_gives_keras_pixel_ranges_from_integer_images():
    pixels = np.array([[0, 127, 255]], dtype=np.uint8)
    np.testing.assert_allclose(layers.Rescaling(1 / 255)(pixels).numpy(), [[0.0, 127 / 255, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(
        layers.Rescaling(1 / 127.5, offset=-1)(pixels).numpy(), [[-1.0, -0.00392, 1.0]], atol=1e-5
    )


def test_upsampling_nearest_repeats_each_pixel():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    y = layers.UpSampling2D(size=(2, 3))(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x[0, :, :, 0], 2, axis=0), 3, axis=1))


def test_center_crop_takes_the_middle_with_the_odd_row_below():
    x = np.arange(5 * 4, dtype="float32").reshape(1, 5, 4, 1)
    np.testing.assert_array_equal(layers.CenterCrop(2, 2)(x).numpy()[0, :, :, 0], x[0, 1:3, 1:3, 0])


def test_spatial_dropout_drops_whole_feature_maps():
    config.set_random_seed(5)
    y = layers.SpatialDropout2D(0.5)(np.ones((8, 3, 3, 6), "float32"), training=True).numpy()
    per_map = y.reshape(8, 9, 6)
    assert np.all(per_map.min(axis=1) == per_map.max(axis=1))  # each map all 0 or all 2
    assert set(np.unique(y)) == {0.0, 2.0}


def test_gaussian_noise_has_the_asked_spread_and_only_in_training():
    config.set_random_seed(2)
    x = np.zeros((4000, 5), "float32")
    noisy = layers.GaussianNoise(0.5)(x, training=True).numpy()
    assert abs(noisy.std() - 0.5) < 0.01 and abs(noisy.mean()) < 0.01
    np.testing.assert_array_equal(layers.GaussianNoise(0.5)(x).numpy(), x)


def test_layer_normalization_normalizes_each_sample():
    rng = np.random.default_rng(2)
    x = rng.normal(5.0, 3.0, size=(6, 8)).astype("float32")
    y = layers.LayerNormalization(epsilon=1e-6)(x).numpy()
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=1), 1.0, rtol=1e-4)


def test_subtract_and_the_functional_merge_forms():
    a, b = layers.Input((3,)), layers.Input((3,))
    outputs = [
        layers.subtract([a, b]),
        layers.add([a, b]),
        layers.multiply([a, b]),
        layers.average([a, b]),
        layers.maximum([a, b]),
        layers.concatenate([a, b]),
        layers.concatenate([a, b], axis=1, name="joined"),
    ]
    model = models.Model([a, b], outputs)
    x, y = np.array([[1.0, 5.0, -2.0]], "float32"), np.array([[3.0, 1.0, -1.0]], "float32")
    got = [o.numpy() if hasattr(o, "numpy") else np.asarray(o) for o in model([x, y])]
    for value, expected in zip(got, [x - y, x + y, x * y, (x + y) / 2, np.maximum(x, y), np.hstack([x, y])]):
        np.testing.assert_allclose(value, expected)
    assert model.get_layer("joined").axis == 1
    with pytest.raises(ValueError, match=r"Subtract '.*' takes exactly 2 inputs.*received 3"):
        layers.Subtract()([x, y, x])


def test_lambda_runs_in_memory_with_arguments_and_training():
    from neuronio import ops

    layer = layers.Lambda(lambda x, power: ops.power(x, power), arguments={"power": 3})
    np.testing.assert_allclose(layer(np.array([[2.0]], "float32")).numpy(), [[8.0]])
    seen = []
    spy = layers.Lambda(lambda x, training=None: seen.append(training) or x)
    spy(np.ones((1, 2), "float32"), training=True)
    assert seen == [True]
    model = models.Sequential([layers.Input((4,)), layers.Lambda(lambda x: x[:, :2] * 2.0), layers.Dense(1)])
    assert model.output_shape == (None, 1) and model.layers[0].compute_output_shape((None, 4)) == (None, 2)
    fixed = layers.Lambda(lambda x: ops.reshape(x, (-1, 2, 2)), output_shape=(2, 2))
    assert fixed.compute_output_shape((None, 4)) == (None, 2, 2)


def test_a_saved_lambda_loads_only_when_the_user_opts_out_of_safe_mode(tmp_path):
    from neuronio.saving import load_model

    scale = 3.0
    model = models.Sequential([layers.Input((2,)), layers.Lambda(lambda x: x * scale + 1.0)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(FileFormatError, match=r"Lambda layer 'lambda'.*Python lambda.*safe_mode=False.*enable_unsafe"):
        load_model(path)
    loaded = load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(np.array([[1.0, 2.0]], "float32"), verbose=0), [[4.0, 7.0]])
    assert config.in_safe_mode()  # the opt-in lasted only for that call


def test_a_lambda_naming_a_function_needs_that_function_in_code(tmp_path):
    from neuronio import ops
    from neuronio.layers.lambda_layer import Lambda

    layer = Lambda(ops.square, name="sq")
    cfg = layer.get_config()
    assert cfg["function"] == {"module": "builtins", "class_name": "function", "config": "square",
                               "registered_name": "function"}  # fmt: skip
    with pytest.raises(FileFormatError, match=r"function 'square'.*custom_objects"):
        Lambda.from_config(cfg)
    np.testing.assert_allclose(Lambda.from_config(cfg, {"square": ops.square})(np.array([3.0])).numpy(), [9.0])


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"Conv2DTranspose '.*': `filters` must be a positive int; received filters=0"):
        layers.Conv2DTranspose(0, 3)
    with pytest.raises(ValueError, match=r"output_padding.*\[0, stride\)"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=3)
    with pytest.raises(ValueError, match=r"Conv2DTranspose .*strides > 1.*dilation_rate > 1.*strides=2"):
        layers.Conv2DTranspose(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"dilation_rate.*positive ints"):
        layers.DepthwiseConv2D(3, dilation_rate=(0, 1))
    with pytest.raises(ValueError, match=r"UpSampling2D .*interpolation.*'bicubic'"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ShapeError, match=r"Cropping2D '.*': cropping=.*leaves nothing"):
        layers.Cropping2D(2)(np.zeros((1, 4, 5, 1), "float32"))
    with pytest.raises(ValueError, match=r"Normalization '.*': give both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"Resizing '.*': antialias=True is not implemented"):
        layers.Resizing(2, 2, antialias=True)
    with pytest.raises(ValueError, match=r"Resizing '.*': crop_to_aspect_ratio and pad_to_aspect_ratio cannot both"):
        layers.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match=r"Dropout|SpatialDropout2D '.*': `rate`"):
        layers.SpatialDropout2D(1.5)
    with pytest.raises(ValueError, match=r"GaussianNoise '.*': `stddev` must be a number >= 0; received stddev=-1"):
        layers.GaussianNoise(-1)
    with pytest.raises(TypeError, match=r"Lambda '.*': `function` must be callable"):
        layers.Lambda(3)


def test_a_small_segmentation_model_in_the_keras_guide_style_learns_and_reloads(tmp_path):
    """keras.io's U-Net-like segmentation example in miniature: Rescaling, SeparableConv2D,
    LayerNormalization, Conv2DTranspose, UpSampling2D, layers.add, Cropping2D and CenterCrop."""
    from neuronio.saving import load_model

    config.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (16, 8, 8, 1)).astype("float32")
    masks = (images > 127).astype("int64")[..., 0]  # (16, 8, 8): class 1 where the pixel is bright
    inputs = layers.Input((8, 8, 1))
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.SeparableConv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.LayerNormalization()(x)
    down = layers.DepthwiseConv2D(3, strides=2, padding="same")(x)  # (4, 4, 8)
    up = layers.Conv2DTranspose(8, 3, strides=2, padding="same")(down)  # (8, 8, 8)
    residual = layers.UpSampling2D()(layers.Conv2D(8, 1, strides=2)(x))
    x = layers.add([up, residual])
    x = layers.CenterCrop(8, 8)(layers.ZeroPadding2D(1)(layers.Cropping2D(1)(x)))
    outputs = layers.Conv2D(2, 3, padding="same", activation="softmax")(x)
    model = models.Model(inputs, outputs)
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(images, masks, batch_size=8, epochs=40, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]  # about 0.69 -> 0.42
    assert history.history["accuracy"][-1] > 0.8  # chance: 0.5
    model.save(tmp_path / "seg.keras")
    np.testing.assert_allclose(
        load_model(tmp_path / "seg.keras").predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-6
    )


def test_subtract_gradient_flows_to_both_inputs():
    from neuronio.autodiff import check_gradients

    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    with config.floatx_scope("float64"):
        layer = layers.Subtract()
        check_gradients(lambda x, y: layer([x, y]) * (x + 2.0), [a, b], mode="full")
