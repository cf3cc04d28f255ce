"""keras.utils helpers against real Keras 3: the same pixels, the same files in the same subsets,
the same split of a dataset for a seed, the same graph inputs."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

from neuronio import utils  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]


@pytest.mark.parametrize("shape", [(3, 4, 3), (3, 4, 1), (2, 2, 4)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_array_to_img_and_back_equal_keras(shape, data_format):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 0)
    ours, theirs = utils.array_to_img(x, data_format), keras.utils.array_to_img(x, data_format)
    assert ours.mode == theirs.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    np.testing.assert_array_equal(
        utils.img_to_array(ours, data_format), keras.utils.img_to_array(theirs, data_format)
    )


@pytest.mark.parametrize("target", [(4, 4), (3, 7), (9, 5)])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("keep", [False, True])
def test_load_img_equals_keras(tmp_path, target, interpolation, keep):
    path = tmp_path / "a.png"
    utils.save_img(path, np.random.default_rng(1).integers(0, 256, (6, 10, 3)).astype("float32"), scale=False)
    kwargs = {"target_size": target, "interpolation": interpolation, "keep_aspect_ratio": keep}
    np.testing.assert_array_equal(
        np.asarray(utils.load_img(path, **kwargs)), np.asarray(keras.utils.load_img(path, **kwargs))
    )


@pytest.mark.parametrize(("left", "right"), [(0.6, None), (None, 3), (0.25, None), (7, None)])
def test_split_dataset_sizes_equal_keras(left, right):
    """Keras on torch splits with torch's random_split, which permutes even with shuffle=False, so the
    sizes and the samples are compared; the order is Keras's tf path (first left_size, last right_size;
    with a seed, Python's random.Random(seed).shuffle), checked in tests/utils."""
    data = np.arange(10)
    ours = utils.split_dataset(data, left, right)
    theirs = keras.utils.split_dataset(data, left, right, preferred_backend="torch")
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    assert sorted([*ours[0], *ours[1]]) == sorted(int(item[0]) for part in theirs for item in part)


def test_image_dataset_from_directory_equals_keras(tmp_path):
    pytest.importorskip("grain")
    rng = np.random.default_rng(2)
    for c, name in enumerate(["b_cls", "a_cls", "c_cls"]):
        (tmp_path / name).mkdir()
        for k in range(3 + c):
            size = (5 + k, 7 + c)
            keras.utils.save_img(tmp_path / name / f"{k}.png", rng.integers(0, 256, (*size, 3)).astype("float32"),
                                 scale=False)  # fmt: skip
    for kwargs in [
        {"shuffle": False},
        {"seed": 7, "validation_split": 0.25, "subset": "both", "label_mode": "categorical"},
        {"seed": 1, "crop_to_aspect_ratio": True, "color_mode": "grayscale", "class_names": ["c_cls", "a_cls"]},
        {"shuffle": False, "pad_to_aspect_ratio": True, "interpolation": "nearest", "label_mode": "binary",
         "class_names": ["c_cls", "a_cls"]},
    ]:  # fmt: skip
        common = {"image_size": (4, 6), "batch_size": 50, "verbose": False, **kwargs}
        ours = utils.image_dataset_from_directory(tmp_path, **common)
        theirs = keras.utils.image_dataset_from_directory(tmp_path, format="grain", **common)
        if kwargs.get("subset") != "both":
            ours, theirs = [ours], [theirs]
        for part, their_part in zip(ours, theirs):
            assert part.class_names == their_part.class_names
            assert part.file_paths == list(their_part.file_paths)
            (x, y), (their_x, their_y) = part[0], next(iter(their_part))
            their_x, their_y = np.asarray(their_x), np.asarray(their_y)
            if kwargs.get("shuffle", True) and part is ours[0]:
                # Keras's pipeline shuffles the samples once more with its own generator: match
                # each of our samples to the Keras sample with the same pixels, and its label.
                match = [int(np.argmin(np.abs(their_x - image).reshape(len(their_x), -1).max(1))) for image in x]
                assert sorted(match) == list(range(len(x)))
                their_x, their_y = their_x[match], their_y[match]
            np.testing.assert_allclose(x, their_x, atol=1e-3)
            np.testing.assert_array_equal(y, their_y)


def test_get_source_inputs_equals_keras():
    def graph(lib):
        a, b, c = lib.Input((3,), name="a"), lib.Input((3,), name="b"), lib.Input((3,), name="c")
        mid = lib.layers.Add()([b, a])
        return [t.name for t in lib.utils.get_source_inputs(lib.layers.Concatenate()([c, mid, b]))]

    import neuronio

    assert graph(neuronio) == graph(keras)


def test_config_equals_keras():
    for lib in (utils, keras.utils):
        cfg = lib.Config(b=1, a=2)
        cfg.c = 3
        assert (list(cfg), cfg.to_json(), repr(cfg)) == (["a", "b", "c"], '{"b": 1, "a": 2, "c": 3}',
                                                         "<Config {'b': 1, 'a': 2, 'c': 3}>")  # fmt: skip


def test_model_to_dot_edges_match_keras():
    pytest.importorskip("pydot")

    def edges(lib):
        a = lib.Input((3,), name="a")
        x = lib.layers.Dense(4, name="d1")(a)
        out = lib.layers.Concatenate(name="cat")([x, lib.layers.Dense(4, name="d2")(a)])
        model = lib.Model(a, out)
        names = {str(id(layer)): layer.name for layer in model.layers}
        dot = lib.utils.model_to_dot(model)
        return sorted((names[e.get_source()], names[e.get_destination()]) for e in dot.get_edges())

    import neuronio

    assert edges(neuronio) == edges(keras)
