"""Augmentation layers: identity at inference, shapes, seeding, the statistics of each random change
(measured on images holding one bright pixel), the elastic field, configs, and saving in a model."""

import json
import math
import zipfile

import numpy as np
import pytest

from neuronio import GradientTape, Variable, config, layers
from neuronio.errors import ShapeError
from neuronio.layers import preprocessing
from neuronio.models import Sequential, load_model

SIZE = 21  # odd, so that the centre is a pixel: (10, 10)
CENTRE = SIZE // 2
N_DRAWS = 400
# Bilinear reads of positions computed in float64 and rounded to float32: agreement with exact
# arithmetic within a few float32 spacings of 1.
FLOAT32_TOLERANCE = 1e-6

ALL = [
    (layers.RandomTranslation, {"height_factor": 0.2, "width_factor": (-0.1, 0.3)}),
    (layers.RandomRotation, {"factor": 0.1}),
    (layers.RandomZoom, {"height_factor": 0.2, "width_factor": 0.1}),
    (layers.RandomFlip, {}),
    (layers.RandomCrop, {"height": 15, "width": 17}),
    (layers.ElasticDistortion, {"alpha": 8.0, "sigma": 3.0}),
    (layers.RandomErasing, {"factor": (1.0, 1.0), "value_range": (0, 1)}),
]
IDS = [cls.__name__ for cls, _ in ALL]


def _images(n=8, size=SIZE, channels=2, seed=0):
    return np.random.default_rng(seed).random((n, size, size, channels)).astype(np.float32)


def _dot(position, n=N_DRAWS, size=SIZE):
    """n copies of a black image with one white pixel at `position` (row, col)."""
    images = np.zeros((n, size, size, 1), np.float32)
    images[:, position[0], position[1]] = 1.0
    return images


def _where(images):
    """(row, col) of each image's centre of mass, (N, 2)."""
    weights = images[..., 0]
    rows, cols = np.mgrid[0 : images.shape[1], 0 : images.shape[2]]
    total = weights.sum(axis=(1, 2))
    return np.stack([(weights * rows).sum(axis=(1, 2)) / total, (weights * cols).sum(axis=(1, 2)) / total], 1)


# -- common behaviour ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_identity_at_inference_and_random_in_training(cls, kwargs):
    x = _images()
    layer = cls(**kwargs)
    inference = layer(x, training=False).numpy()
    if cls is layers.RandomCrop:
        assert inference.shape == (8, 15, 17, 2)
    else:
        np.testing.assert_array_equal(inference, x)
    trained = layer(x, training=True).numpy()
    assert trained.dtype == np.float32
    assert trained.shape == inference.shape
    assert not np.array_equal(trained, inference)


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_in_a_model_fit_augments_and_predict_does_not(cls, kwargs):
    x = _images(n=4)
    model = Sequential([layers.Input((SIZE, SIZE, 2)), cls(**kwargs)])
    expected = x if cls is not layers.RandomCrop else model.layers[0](x, training=False).numpy()
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    np.testing.assert_array_equal(model(x, training=False).numpy(), expected)
    assert not np.array_equal(model(x, training=True).numpy(), expected)


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_called_without_training_augments_as_keras(cls, kwargs):
    x = _images()
    config.set_random_seed(3)
    direct = cls(**kwargs)(x).numpy()
    config.set_random_seed(3)
    np.testing.assert_array_equal(direct, cls(**kwargs)(x, training=True).numpy())


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_set_random_seed_and_seed_argument_repeat_exactly(cls, kwargs):
    x = _images()
    config.set_random_seed(7)
    first = cls(**kwargs)(x, training=True).numpy()
    config.set_random_seed(7)
    np.testing.assert_array_equal(cls(**kwargs)(x, training=True).numpy(), first)
    own = cls(**kwargs, seed=5)
    config.set_random_seed(99)  # the layer's own generator ignores the global one
    a = own(x, training=True).numpy()
    np.testing.assert_array_equal(cls(**kwargs, seed=5)(x, training=True).numpy(), a)
    assert not np.array_equal(own(x, training=True).numpy(), a)  # the next batch gets new draws


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_shapes_symbolic_and_unbatched(cls, kwargs):
    layer = cls(**kwargs)
    expected = (15, 17, 2) if cls is layers.RandomCrop else (SIZE, SIZE, 2)
    assert layer(layers.Input((SIZE, SIZE, 2))).shape == (None, *expected)
    assert layer.compute_output_shape((None, SIZE, SIZE, 2)) == (None, *expected)
    assert layer(_images(n=1)[0], training=True).shape == expected
    assert layer.weights == []


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_integer_images_become_floatx(cls, kwargs):
    x = (np.random.default_rng(0).random((2, SIZE, SIZE, 1)) * 255).astype(np.uint8)
    assert cls(**kwargs)(x, training=True).dtype == np.float32


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_no_gradient_in_training_identity_gradient_at_inference(cls, kwargs):
    x = Variable(_images(n=2))
    layer = cls(**kwargs)
    with GradientTape(persistent=True) as tape:
        trained = layer(x, training=True).sum()
        inferred = layer(x, training=False).sum()
    assert tape.gradient(trained, x) is None
    if cls is not layers.RandomCrop:
        np.testing.assert_array_equal(tape.gradient(inferred, x).numpy(), np.ones_like(x.numpy()))


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_config_round_trip(cls, kwargs):
    layer = cls(**kwargs, seed=11, name="aug")
    cfg = layer.get_config()
    assert json.loads(json.dumps(cfg)) == cfg
    assert cls.from_config(cfg).get_config() == cfg
    assert cfg["seed"] == 11


def test_rank_two_input_is_refused():
    with pytest.raises(ShapeError, match=r"random_rotation.*rank >= 3"):
        layers.RandomRotation(0.1)(np.zeros((4, 5), np.float32))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: layers.RandomTranslation(1.5, 0.1), r"`height_factor` .* \[-1.0, 1.0\]; received height_factor=1.5"),
        (lambda: layers.RandomTranslation(0.1, (0.1, 0.2, 0.3)), r"`width_factor` must be a number or a pair"),
        (lambda: layers.RandomRotation("big"), r"`factor` must be a number"),
        (lambda: layers.RandomZoom((-1.0, 0.2)), r"\(-1.0, 1.0\]; received height_factor=\(-1.0, 0.2\)"),
        (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), r"fill_mode='mirror'.*reflect, wrap, constant"),
        (lambda: layers.RandomZoom(0.1, interpolation="bicubic"), r"interpolation='bicubic'.*nearest, bilinear"),
        (lambda: layers.RandomFlip("diagonal"), r"mode='diagonal'.*horizontal, vertical"),
        (lambda: layers.RandomCrop(0, 4), r"`height` must be a positive int; received height=0"),
        (lambda: layers.ElasticDistortion(sigma=0), r"`sigma` must be a number > 0"),
        (lambda: layers.ElasticDistortion(alpha=-1), r"`alpha` must be a number >= 0"),
        (lambda: layers.RandomFlip(data_format="channels_first"), r"channels_last .* only"),
        (lambda: layers.RandomFlip(seed=-3), r"`seed` must be a non-negative int"),
    ],
)
def test_bad_arguments_are_refused_with_the_valid_values(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -- the statistics of each change ------------------------------------------------------------------------
def test_translation_moves_a_dot_by_a_uniform_fraction_of_the_size():
    layer = layers.RandomTranslation((0.1, 0.3), (-0.2, 0.0), fill_mode="constant", interpolation="nearest")
    moved = _where(layer(_dot((CENTRE, CENTRE)), training=True).numpy()) - CENTRE  # (N, 2) shifts, whole pixels
    dy, dx = moved[:, 0], moved[:, 1]
    # nearest interpolation: shift s reads the pixel at round(position - s), so the dot lands within 0.5 px of s
    assert dy.min() >= math.floor(0.1 * SIZE) and dy.max() <= math.ceil(0.3 * SIZE)
    assert dx.min() >= math.floor(-0.2 * SIZE) and dx.max() <= 0
    assert set(np.round(dy).astype(int)) == set(range(2, 7))  # 0.1*21 = 2.1 ... 0.3*21 = 6.3: every shift occurs
    assert abs(dy.mean() - 0.2 * SIZE) < 0.3  # uniform: the mean is the middle (4.2), within sampling error


def test_translation_with_bilinear_keeps_the_exact_subpixel_shift():
    layer = layers.RandomTranslation(0.1, 0.1, fill_mode="constant")
    config.set_random_seed(4)
    out = layer(_dot((CENTRE, CENTRE)), training=True).numpy()
    config.set_random_seed(4)
    rng = config.rng()
    dy = rng.uniform(-0.1, 0.1, N_DRAWS) * SIZE
    dx = rng.uniform(-0.1, 0.1, N_DRAWS) * SIZE
    np.testing.assert_allclose(_where(out), np.stack([CENTRE + dy, CENTRE + dx], 1), atol=1e-4)
    np.testing.assert_allclose(out.sum(axis=(1, 2, 3)), 1.0, atol=FLOAT32_TOLERANCE)  # nothing lost


def test_rotation_turns_a_dot_counter_clockwise_within_the_factor():
    radius = 8
    layer = layers.RandomRotation(0.05, fill_mode="constant")  # +-0.05 turn = +-18 degrees
    out = layer(_dot((CENTRE, CENTRE + radius)), training=True).numpy()
    offset = _where(out) - CENTRE
    angles = np.degrees(np.arctan2(-offset[:, 0], offset[:, 1]))  # counter-clockwise on screen (rows go down)
    assert angles.min() >= -18.0 - 0.5 and angles.max() <= 18.0 + 0.5
    assert angles.min() < -15 and angles.max() > 15  # the whole range is used
    np.testing.assert_allclose(np.hypot(*offset.T), radius, atol=0.3)  # the dot stays on its circle
    config.set_random_seed(1)
    positive = layers.RandomRotation((0.2, 0.25), fill_mode="constant")(_dot((CENTRE, CENTRE + radius), n=50)).numpy()
    quarter = _where(positive) - CENTRE  # 72 to 90 degrees counter-clockwise: the dot goes up
    assert (quarter[:, 0] < -radius * math.sin(math.radians(70))).all()


def _ramps(n=N_DRAWS):
    """Images whose channel 0 is the column index and channel 1 the row index (bilinear is exact on them)."""
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    return np.broadcast_to(np.stack([cols, rows], axis=-1), (n, SIZE, SIZE, 2)).copy()


def _zooms(out):
    """The (vertical, horizontal) scale each image was sampled at: the slopes of its ramps at the centre."""
    return out[:, CENTRE + 1, CENTRE, 1] - out[:, CENTRE, CENTRE, 1], out[:, CENTRE, CENTRE + 1, 0] - out[
        :, CENTRE, CENTRE, 0
    ]


def test_zoom_scales_distances_from_the_centre():
    zy, zx = _zooms(layers.RandomZoom((0.2, 0.5))(_ramps(), training=True).numpy())  # zoom out: 1.2 to 1.5
    np.testing.assert_allclose(zx, zy, atol=FLOAT32_TOLERANCE * SIZE)  # width_factor=None: one draw for both
    assert zy.min() >= 1.2 and zy.max() <= 1.5
    assert zy.min() < 1.22 and zy.max() > 1.48  # uniform over the whole range
    zy, zx = _zooms(layers.RandomZoom(0.0, (-0.5, -0.4))(_ramps(), training=True).numpy())
    np.testing.assert_allclose(zy, 1.0, atol=FLOAT32_TOLERANCE * SIZE)  # height unchanged, width zoomed in
    assert zx.min() >= 0.5 - 1e-5 and zx.max() <= 0.6 + 1e-5
    centre = layers.RandomZoom(0.3)(_ramps(), training=True).numpy()[:, CENTRE, CENTRE]
    np.testing.assert_allclose(centre, CENTRE, atol=FLOAT32_TOLERANCE * SIZE)  # the centre stays put


@pytest.mark.parametrize(
    ("mode", "flips"),
    [
        ("horizontal", lambda x: x[:, ::-1]),
        ("vertical", lambda x: x[::-1]),
        ("horizontal_and_vertical", lambda x: x[::-1, ::-1]),  # Keras 3: one coin per image, both or neither
    ],
)
def test_flip_keeps_or_flips_each_image_with_probability_one_half(mode, flips):
    x = _images(n=N_DRAWS, channels=1)
    out = layers.RandomFlip(mode)(x, training=True).numpy()
    same = np.array([np.array_equal(o, i) for o, i in zip(out, x, strict=True)])
    flipped = np.array([np.array_equal(o, flips(i)) for o, i in zip(out, x, strict=True)])
    assert (same ^ flipped).all()
    assert abs(flipped.mean() - 0.5) < 0.1  # 400 fair coins: 5 standard deviations


def test_random_crop_takes_one_window_for_the_whole_batch():
    x = _images(n=3, size=12)
    out = layers.RandomCrop(5, 7)(x, training=True).numpy()
    windows = {
        (t, left) for t in range(8) for left in range(6) if np.array_equal(x[:, t : t + 5, left : left + 7], out)
    }
    assert len(windows) == 1
    corners = set()
    for _ in range(200):
        out = layers.RandomCrop(5, 7)(x, training=True).numpy()
        corners |= {
            (t, left) for t in range(8) for left in range(6) if np.array_equal(x[0, t : t + 5, left : left + 7], out[0])
        }
    assert corners == {(t, left) for t in range(8) for left in range(6)}  # every window can be drawn


def test_random_crop_at_inference_center_crops_the_target_aspect_ratio_and_resizes():
    x = _images(n=2, size=12)
    np.testing.assert_array_equal(layers.RandomCrop(12, 6)(x, training=False).numpy(), x[:, :, 3:9])  # pure crop
    square = layers.RandomCrop(6, 6)(x, training=False).numpy()  # the whole image, halved
    np.testing.assert_allclose(square, x.reshape(2, 6, 2, 6, 2, 2).mean(axis=(2, 4)), atol=FLOAT32_TOLERANCE)
    small = layers.RandomCrop(16, 16)(x, training=True).numpy()  # an input too small: resized, even in training
    assert small.shape == (2, 16, 16, 2)
    same = layers.RandomCrop(12, 12)
    assert same(x, training=False).numpy() is x or np.array_equal(same(x, training=False).numpy(), x)


def test_random_crop_after_a_model_input_feeds_a_dense_layer_in_predict():
    model = Sequential(
        [layers.Input((12, 12, 1)), layers.RandomCrop(8, 8), layers.Flatten(), layers.Dense(3, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    x = _images(n=4, size=12, channels=1)
    model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (4, 3)


# -- elastic distortion ------------------------------------------------------------------------------------
def test_erasing_hits_the_drawn_share_of_images_with_rectangles_of_the_drawn_size():
    x = np.ones((N_DRAWS, SIZE, SIZE, 1), np.float32)
    out = layers.RandomErasing(fill_value=0.0, value_range=(0, 1), seed=1)(x, training=True).numpy()[..., 0]
    erased = out.min(axis=(1, 2)) == 0.0
    # factor=1.0 draws each image's probability from U(0, 1): half the images on average, as Keras.
    assert abs(erased.mean() - 0.5) < 4 * math.sqrt(0.25 / N_DRAWS)
    for image in out[erased]:
        rows, cols = np.nonzero(image == 0.0)
        box = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert np.all(box == 0.0)  # one filled rectangle
        for side in box.shape:  # sqrt(u) of the side, u in [0.02, 0.33], and whole pixels around it
            assert math.sqrt(0.02) * SIZE - 1 <= side <= math.sqrt(0.33) * SIZE + 1
    assert erased.sum() and np.all(out[~erased] == 1.0)


def test_erasing_with_noise_stays_within_the_value_range():
    x = np.full((50, SIZE, SIZE, 3), 0.5, np.float32)
    out = layers.RandomErasing(factor=(1.0, 1.0), value_range=(0, 1), seed=2)(x, training=True).numpy()
    changed = out != 0.5
    assert changed.any(axis=(1, 2, 3)).all() and out.min() >= 0.0 and out.max() <= 1.0
    assert np.mean(out[changed] == 0.0) > 0.4  # N(0, 1) clipped at 0: about half the noise is 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 1.5}, r"`factor` must be a number in \[0, 1\].*factor=1.5"),
        ({"scale": (0.1, 2)}, r"`scale` must be .*scale=\(0.1, 2\)"),
        ({"fill_value": "black"}, r"`fill_value` must be a number.*'black'"),
        ({"value_range": (1, 0)}, r"`value_range` must be a pair \(low, high\) with low < high"),
    ],
)
def test_erasing_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.RandomErasing(**kwargs)


def test_elastic_with_rotation_turns_counter_clockwise_in_the_same_resampling():
    radius = 8
    layer = layers.ElasticDistortion(alpha=0.0, rotation=0.05, seed=3)  # no elastic part: the affine alone
    offset = _where(layer(_dot((CENTRE, CENTRE + radius)), training=True).numpy()) - CENTRE
    angles = np.degrees(np.arctan2(-offset[:, 0], offset[:, 1]))  # counter-clockwise on screen
    assert angles.min() >= -18.5 and angles.max() <= 18.5 and angles.min() < -15 and angles.max() > 15
    np.testing.assert_allclose(np.hypot(*offset.T), radius, atol=0.3)
    # Each image turns by its own draw, counter-clockwise for a positive angle: replay the seeded draws.
    rng = np.random.default_rng(3)
    rng.uniform(-1.0, 1.0, size=(2, N_DRAWS, SIZE, SIZE))  # the elastic noise comes first
    expected = np.degrees(rng.uniform(-0.05, 0.05, size=N_DRAWS) * 2 * np.pi)
    np.testing.assert_allclose(angles, expected, atol=1.5)  # a bilinear dot's centre of mass: ~1 degree


def test_elastic_with_zoom_scales_distances_from_the_centre_within_the_factor():
    out = layers.ElasticDistortion(alpha=0.0, zoom=0.2, fill_mode="nearest", seed=4)(_ramps(), training=True).numpy()
    vertical, horizontal = _zooms(out)
    np.testing.assert_allclose(vertical, horizontal, atol=FLOAT32_TOLERANCE * SIZE)  # one scale, both ways
    assert vertical.min() >= 0.8 - 1e-5 and vertical.max() <= 1.2 + 1e-5
    assert vertical.min() < 0.85 and vertical.max() > 1.15


def test_elastic_affine_arguments_are_saved_and_checked():
    layer = layers.ElasticDistortion(alpha=30.0, sigma=5.0, rotation=0.03, zoom=0.1)
    config_dict = layer.get_config()
    assert config_dict["rotation"] == 0.03 and config_dict["zoom"] == 0.1
    assert layers.ElasticDistortion.from_config(config_dict).get_config() == config_dict
    del config_dict["rotation"], config_dict["zoom"]  # a file saved before the two existed
    assert layers.ElasticDistortion.from_config(config_dict).rotation == 0.0
    with pytest.raises(ValueError, match=r"`zoom` a fraction of the size \(< 1\); received rotation=0.0, zoom=1.5"):
        layers.ElasticDistortion(zoom=1.5)
    with pytest.raises(ValueError, match=r"`rotation` must be a number >= 0"):
        layers.ElasticDistortion(rotation=-0.1)


def test_elastic_field_scales_linearly_with_alpha():
    a = layers.ElasticDistortion(alpha=10.0, sigma=4.0).displacements(3, 28, 28, np.random.default_rng(0))
    b = layers.ElasticDistortion(alpha=30.0, sigma=4.0).displacements(3, 28, 28, np.random.default_rng(0))
    assert a.shape == (2, 3, 28, 28)
    np.testing.assert_allclose(b, 3 * a, rtol=1e-12)


def test_elastic_field_is_smooth_for_large_sigma_and_rough_for_small():
    def roughness(sigma):
        field = layers.ElasticDistortion(alpha=1.0, sigma=sigma).displacements(20, 28, 28, np.random.default_rng(1))
        step = np.abs(np.diff(field, axis=-1)).mean()  # neighbouring pixels
        return step / field.std()

    # Smoothed white noise with a Gaussian of width s: neighbours differ by about 1/(sqrt(2) s) of the field's size.
    assert roughness(4.0) < 0.25
    assert roughness(0.5) > 0.8


def test_elastic_field_magnitude_matches_smoothed_uniform_noise():
    sigma, alpha = 4.0, 34.0
    field = layers.ElasticDistortion(alpha=alpha, sigma=sigma).displacements(200, 64, 64, np.random.default_rng(2))
    # Away from the borders: std = alpha * std(U(-1, 1)) * sqrt(sum of the squared 2-D kernel) (a sum of
    # independent terms), and the kernel is a product of two 1-D ones.
    taps = np.arange(-16, 17)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    kernel /= kernel.sum()
    expected = alpha * math.sqrt(1 / 3) * (kernel**2).sum()
    measured = field[:, :, 20:44, 20:44].std()
    assert abs(measured / expected - 1) < 0.05


def test_elastic_smoothing_is_scipys_gaussian_filter():
    ndimage = pytest.importorskip("scipy.ndimage")
    layer = layers.ElasticDistortion(sigma=2.5)
    noise = np.random.default_rng(3).uniform(-1, 1, (9, 13))
    ours = layer._smoother(9) @ noise @ layer._smoother(13).T
    np.testing.assert_allclose(ours, ndimage.gaussian_filter(noise, 2.5, mode="reflect", truncate=4.0), atol=1e-12)


def test_elastic_distortion_reads_each_pixel_at_its_displaced_position():
    x = _images(n=2, channels=1)
    layer = layers.ElasticDistortion(alpha=5.0, sigma=2.0, seed=0)
    out = layer(x, training=True).numpy()
    dy, dx = layers.ElasticDistortion(alpha=5.0, sigma=2.0).displacements(2, SIZE, SIZE, np.random.default_rng(0))
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    expected = preprocessing.sample(x, rows + dy, cols + dx, "bilinear", "constant", 0.0)
    np.testing.assert_array_equal(out, expected)
    assert abs(dy).max() > 0.5  # the distortion is not negligible at these settings
    np.testing.assert_array_equal(layers.ElasticDistortion(alpha=0.0)(x, training=True).numpy(), x)


# -- the sampler against scipy, every fill mode ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("fill_mode", "scipy_mode"),
    [("reflect", "reflect"), ("wrap", "grid-wrap"), ("constant", "grid-constant"), ("nearest", "nearest")],
)
@pytest.mark.parametrize(("interpolation", "order"), [("bilinear", 1), ("nearest", 0)])
def test_sample_matches_scipy_map_coordinates(fill_mode, scipy_mode, interpolation, order):
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(0)
    x = rng.random((3, 7, 5, 2)).astype(np.float32)
    for low, high in [(-9.0, 15.0), (-60.0, 80.0)]:  # a few pixels outside; far outside (folded first)
        rows, cols = rng.uniform(low, high, (2, 3, 6, 4))
        ours = preprocessing.sample(x, rows, cols, interpolation, fill_mode, fill_value=0.25)
        reference = np.stack(
            [
                np.stack(
                    [
                        ndimage.map_coordinates(
                            x[n, :, :, c], [rows[n], cols[n]], order=order, mode=scipy_mode, cval=0.25
                        )
                        for c in range(2)
                    ],
                    axis=-1,
                )
                for n in range(3)
            ]
        )
        assert ours.dtype == np.float32 and ours.shape == (3, 6, 4, 2)
        np.testing.assert_allclose(ours, reference, atol=FLOAT32_TOLERANCE)


# -- saving -----------------------------------------------------------------------------------------------
def test_a_model_with_every_augmentation_saves_and_loads(tmp_path):
    model = Sequential(
        [
            layers.Input((SIZE, SIZE, 1)),
            layers.RandomTranslation(0.1, 0.1, seed=1),
            layers.RandomRotation(0.05, fill_mode="constant"),
            layers.RandomZoom(0.1, interpolation="nearest"),
            layers.RandomFlip("horizontal"),
            layers.ElasticDistortion(alpha=20.0, sigma=3.0),
            layers.RandomCrop(17, 17),
            layers.RandomErasing(0.5, value_range=(0, 1)),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = _images(n=6, channels=1)
    model.fit(x, np.arange(6) % 3, epochs=1, verbose=0)
    path = tmp_path / "augmented.keras"
    model.save(path)
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer) for layer in restored.layers] == [type(layer) for layer in model.layers]
    assert [layer.get_config() for layer in restored.layers][1:8] == [layer.get_config() for layer in model.layers][1:8]
    with zipfile.ZipFile(path) as archive:
        entries = json.loads(archive.read("config.json"))["config"]["layers"]
    by_class = {entry["class_name"]: entry for entry in entries}
    assert by_class["ElasticDistortion"]["registered_name"] == "neuronio>ElasticDistortion"
    assert by_class["RandomRotation"]["module"] == "keras.layers"
    assert by_class["RandomRotation"]["registered_name"] is None
    assert by_class["RandomCrop"]["config"]["data_format"] == "channels_last"
