import numpy as np
import pytest

import neuronio
from neuronio import layers
from neuronio.applications.decks import seed_cnn
from neuronio.errors import ShapeError
from neuronio.models import Model, Sequential
from neuronio.visualize import ReceptiveField, receptive_field, receptive_fields, top_patches
from neuronio.visualize._graph import layer_node

from .conftest import randomize

pytest.importorskip("matplotlib")


def test_receptive_fields_of_the_seed_cnn_exactly():
    # conv 5x5 -> pool 2 -> conv 5x5 -> pool 2: size' = size + (k - 1) * jump, jump' = jump * stride.
    fields = receptive_fields(seed_cnn())
    assert list(fields.values()) == [
        ReceptiveField((5, 5), (1, 1), (0, 0)),  # conv2d: 1 + 4*1
        ReceptiveField((6, 6), (2, 2), (0, 0)),  # max_pooling2d: 5 + 1*1, jump 2
        ReceptiveField((14, 14), (2, 2), (0, 0)),  # conv2d_1: 6 + 4*2
        ReceptiveField((16, 16), (4, 4), (0, 0)),  # max_pooling2d_1: 14 + 1*2, jump 4
    ]
    assert fields[list(fields)[3]].window(3, 1) == (12, 4, 28, 20)  # the last 4x4 map's (3, 1) sees rows 12..27


def gradient_support(model, layer, i, j, shape):
    """Input pixels whose value changes the output (i, j) of `layer`: its true receptive field
    (None when no pixel does: an output made of padding only)."""
    probe = Model(model.inputs, layer_node(model, layer, "test").outputs[0])
    x = neuronio.Variable(np.random.default_rng(1).random((1, *shape)).astype(np.float32))
    with neuronio.GradientTape() as tape:
        y = probe(x)[:, i, j, :].sum()
    rows, cols = np.nonzero(np.abs(tape.gradient(y, x).numpy()[0]).sum(axis=-1))
    return (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1) if len(rows) else None


def test_receptive_fields_match_the_pixels_each_output_depends_on_with_padding_and_strides(rng):
    # Linear layers and average pooling: every pixel of the window changes the output (no ReLU or
    # max that could hide one), so the gradient's support is exactly the receptive field.
    model = Sequential(
        [
            layers.Input(shape=(13, 11, 1)),
            layers.ZeroPadding2D(((1, 0), (2, 1)), name="pad"),
            layers.Conv2D(2, (3, 2), strides=2, padding="same", name="c1"),
            layers.AveragePooling2D(3, strides=2, padding="same", name="p1"),
            layers.Conv2D(2, 2, name="c2"),
        ]
    )
    randomize(model, rng)
    fields = receptive_fields(model)
    for layer in model.layers[1:]:
        oh, ow = layer_node(model, layer, "test").outputs[0].shape[1:3]
        for i, j in {(0, 0), (oh - 1, ow - 1), (oh // 2, ow // 2)}:
            top, left, bottom, right = fields[layer.name].window(i, j)
            clipped = max(top, 0), max(left, 0), min(bottom, 13), min(right, 11)
            expected = clipped if clipped[2] > clipped[0] and clipped[3] > clipped[1] else None
            assert gradient_support(model, layer, i, j, (13, 11, 1)) == expected, (layer.name, i, j)


def test_a_merge_covers_the_union_of_its_inputs_fields(branchy):
    fields = receptive_fields(branchy)
    assert fields["c1"] == ReceptiveField((3, 3), (1, 1), (-1, -1))  # 'same' pads 1 before
    assert fields["c2"] == ReceptiveField((5, 5), (1, 1), (-2, -2))
    assert fields["add"] == fields["c2"]  # c1's 3x3 lies inside c2's 5x5
    assert "flat" not in fields and "out" not in fields


def test_layers_without_a_field_say_why(tiny_cnn, rng):
    with pytest.raises(ShapeError, match=r"layer 'hidden' \(Dense\) outputs shape \(None, 4\), not feature maps"):
        receptive_field(tiny_cnn, "hidden")
    model = Sequential(
        [
            layers.Input(shape=(4,)),
            layers.Dense(16),
            layers.Reshape((4, 4, 1), name="grid"),
            layers.Conv2D(1, 2, name="conv"),
        ]
    )
    with pytest.raises(
        ShapeError, match=r"layer 'conv' has no receptive field: Layer 'grid' reads the output of 'dense'"
    ):
        receptive_field(model, "conv")


def hand_built():
    """Three 6x6 images, each with one bright 2x2 block: value 1 at (1, 1), 3 at (3, 2), 2 at (0, 4)."""
    x = np.zeros((3, 6, 6, 1), np.float32)
    for n, (value, r, c) in enumerate([(1, 1, 1), (3, 3, 2), (2, 0, 4)]):
        x[n, r : r + 2, c : c + 2] = value
    model = Sequential([layers.Input(shape=(6, 6, 1)), layers.Conv2D(2, 2, use_bias=False, name="conv")])
    kernel = np.zeros((2, 2, 1, 2), np.float32)
    kernel[..., 0, 0] = 1  # filter 0 sums its 2x2 window: 4 * value on the block
    kernel[..., 0, 1] = [[-1, 1], [-1, 1]]  # filter 1: dark-to-bright left edge, 2 * value left of the block
    model.set_weights([kernel])
    return model, x


def test_top_patches_are_the_true_argmax_windows_on_a_hand_built_example():
    model, x = hand_built()
    result = top_patches(model, "conv", x, k=2)
    assert result.field == ReceptiveField((2, 2), (1, 1), (0, 0))
    np.testing.assert_array_equal(result.activations, [[12, 8], [6, 4]])
    np.testing.assert_array_equal(result.image_indices, [[1, 2], [1, 2]])  # brightest block first
    np.testing.assert_array_equal(result.positions, [[[3, 2], [0, 4]], [[3, 1], [0, 3]]])
    np.testing.assert_array_equal(result.windows[1, 0], [3, 1, 5, 3])
    np.testing.assert_array_equal(result.patches[0, 0], x[1, 3:5, 2:4])  # the block itself
    np.testing.assert_array_equal(result.patches[1, 1], x[2, 0:2, 3:5])  # its left edge
    assert result.patches.shape == (2, 2, 2, 2, 1)


def brute_force(model, layer, x, k):
    """The same answer with plain loops: per filter, each image's best position, the top k images."""
    maps = Model(model.inputs, layer_node(model, layer, "test").outputs[0]).predict(x, verbose=0)
    field = receptive_field(model, layer)
    padded = np.pad(x, ((0, 0), (40, 40), (40, 40), (0, 0)), constant_values=np.nan)
    expected = []
    for f in range(maps.shape[-1]):
        best = [np.unravel_index(np.argmax(maps[n, :, :, f]), maps.shape[1:3]) for n in range(len(x))]
        values = np.array([maps[n, i, j, f] for n, (i, j) in enumerate(best)])
        order = np.argsort(-values, kind="stable")[:k]
        patches = []
        for n in order:
            top, left, bottom, right = field.window(*best[n])
            patches.append(padded[n, top + 40 : bottom + 40, left + 40 : right + 40])
        expected.append((order, values[order], np.stack(patches)))
    return expected


def test_top_patches_agree_with_a_brute_force_search_through_padding_and_pooling(rng):
    model = Sequential(
        [
            layers.Input(shape=(9, 9, 2)),
            layers.Conv2D(3, 3, padding="same", activation="relu", name="c1"),
            layers.MaxPooling2D(2, name="p1"),
            layers.Conv2D(4, 3, strides=2, padding="same", name="c2"),
        ]
    )
    randomize(model, rng)
    x = rng.random((25, 9, 9, 2)).astype(np.float32)
    for layer in ("c1", "c2"):
        result = top_patches(model, layer, x, k=5, batch_size=7)  # batches that do not divide 25
        for f, (order, values, patches) in enumerate(brute_force(model, model.get_layer(layer), x, 5)):
            np.testing.assert_array_equal(result.image_indices[f], order)
            np.testing.assert_allclose(result.activations[f], values, rtol=1e-6)
            np.testing.assert_array_equal(result.patches[f], patches)  # NaN where the field leaves the image
    assert np.isnan(result.patches).any()  # c2's 'same' padding reaches outside the image


def test_the_plot_is_one_block_of_k_patches_per_filter():
    model, x = hand_built()
    result = top_patches(model, "conv", x, k=3)
    fig = result.plot()
    blocks = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in blocks] == ["filter 0", "filter 1"]
    side = 2  # 3 patches: a 2x2 block with one place left empty
    assert blocks[0].images[0].get_array().shape[:2] == (side * 3 - 1, side * 3 - 1)
    assert "Top 3 patches" in fig._suptitle.get_text()
    assert len([ax for ax in result.plot(max_filters=1).axes if ax.images]) == 1
    assert result._repr_png_()[:4] == b"\x89PNG"


def test_top_patches_checks_its_arguments(tiny_cnn, images):
    with pytest.raises(ValueError, match="k must be a positive int; received k=0"):
        top_patches(tiny_cnn, "conv", images, k=0)
    with pytest.raises(
        ShapeError, match=r"takes inputs of shape \(batch, 8, 8, 1\); received x with shape \(20, 8, 8\)"
    ):
        top_patches(tiny_cnn, "conv", images[..., 0])
    with pytest.raises(ShapeError, match="not feature maps"):
        top_patches(tiny_cnn, "probs", images)
    assert top_patches(tiny_cnn, "pool", images[:4], k=9).image_indices.shape == (3, 4)  # k shrinks to N
