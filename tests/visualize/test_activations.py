import numpy as np
import pytest

from neuronio import layers
from neuronio.errors import ShapeError
from neuronio.models import Model, Sequential
from neuronio.visualize import layer_activations, plot_activations
from neuronio.visualize._style import tile

from .conftest import randomize

pytest.importorskip("matplotlib")


def sections(fig):
    """The drawn panels, top to bottom (colour bars left out)."""
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    return sorted(panels, key=lambda ax: -ax.get_position().y0)


def test_layer_activations_are_every_layers_output_for_one_input(tiny_cnn, images):
    outputs = layer_activations(tiny_cnn, images[3])
    assert [layer.name for layer, _ in outputs] == ["conv", "pool", "flatten", "hidden", "probs"]
    assert [value.shape for _, value in outputs] == [(1, 6, 6, 3), (1, 3, 3, 3), (1, 27), (1, 4), (1, 3)]
    np.testing.assert_allclose(outputs[-1][1], tiny_cnn.predict(images[3:4], verbose=0), rtol=1e-6)


def test_maps_for_conv_and_pool_bars_for_dense_and_labelled_class_bars(tiny_cnn, images):
    fig = plot_activations(tiny_cnn, images[3], class_names=["cat", "dog", "fox"])
    panels = sections(fig)
    titles = [ax.get_title(loc="left") for ax in panels]
    assert titles[0] == "input (8, 8, 1)"
    assert titles[1].startswith("conv (Conv2D, relu): 3 feature maps of 6x6")
    assert titles[2].startswith("pool (MaxPooling2D): 3 feature maps of 3x3")
    assert (
        titles[3]
        == f"hidden (Dense, relu): 4 units, {int((layer_activations(tiny_cnn, images[3])[3][1] > 0).sum())} above zero"
    )
    assert titles[4].startswith("probs (Dense, softmax): predicted ")
    assert len(panels) == 5  # flatten is listed, not drawn
    assert "Not drawn: flatten (Flatten: the same numbers as its input" in fig._suptitle.get_text()

    values = dict((layer.name, value[0]) for layer, value in layer_activations(tiny_cnn, images[3]))
    grid = panels[1].images[0].get_array()
    for c in range(3):  # feature map c is tile c of the grid, in channel order
        np.testing.assert_array_equal(tile(grid, c, (6, 6), 3), values["conv"][..., c])
    np.testing.assert_array_equal([bar.get_height() for bar in panels[3].patches], values["hidden"])
    probabilities = [bar.get_height() for bar in panels[4].patches]
    np.testing.assert_allclose(probabilities, values["probs"], rtol=1e-6)
    assert [t.get_text() for t in panels[4].get_xticklabels()] == ["cat", "dog", "fox"]
    assert f"predicted {['cat', 'dog', 'fox'][int(np.argmax(probabilities))]}" in titles[4]


def test_dropout_is_skipped_and_large_layers_are_capped(rng):
    model = randomize(
        Sequential(
            [
                layers.Input(shape=(6, 6, 1)),
                layers.Conv2D(20, 3, name="wide"),
                layers.Dropout(0.5, name="drop"),
                layers.Flatten(),
                layers.Dense(2, activation="softmax"),
            ]
        ),
        rng,
    )
    fig = plot_activations(model, rng.random((6, 6, 1)), max_maps=8, columns=4)
    panels = sections(fig)
    assert panels[1].get_title(loc="left").startswith("wide (Conv2D): 20 feature maps of 4x4, the first 8 drawn")
    assert panels[1].images[0].get_array().shape == (2 * 5 - 1, 4 * 5 - 1)  # 8 maps, 4 per row
    assert "drop (Dropout: the same numbers as its input" in fig._suptitle.get_text()


def test_functional_models_and_flat_inputs(branchy, rng):
    image = layers.Input(shape=(8, 8, 1))
    x = layers.Conv2D(2, 3, padding="same", name="c1")(image)
    y = layers.Conv2D(2, 3, padding="same", name="c2")(x)
    z = layers.Add(name="add")([x, y])
    out = layers.Dense(3, activation="softmax", name="out")(layers.Flatten()(z))
    skip = randomize(Model(image, out), rng)
    titles = [ax.get_title(loc="left").split(":")[0] for ax in sections(plot_activations(skip, rng.random((8, 8, 1))))]
    assert titles == ["input (8, 8, 1)", "c1 (Conv2D)", "c2 (Conv2D)", "add (Add)", "out (Dense, softmax)"]
    with pytest.raises(ValueError, match=r"runs models with one input; model 'branchy' has 2 \(image, extra\)"):
        plot_activations(branchy, rng.random((8, 8, 1)))
    mlp = randomize(Sequential([layers.Input(shape=(16,)), layers.Dense(5, activation="relu"), layers.Dense(2)]), rng)
    panels = sections(plot_activations(mlp, rng.random(16)))
    assert panels[0].images[0].get_array().shape == (4, 4)  # 16 values drawn as a 4x4 image
    assert len(panels[1].patches) == 5
    assert len(panels[2].patches) == 2  # logits are shown as softmax probabilities
    np.testing.assert_allclose(sum(bar.get_height() for bar in panels[2].patches), 1.0, rtol=1e-6)


def test_one_input_at_a_time(tiny_cnn, images):
    with pytest.raises(ShapeError, match=r"draws one input at a time; received 20 of them"):
        plot_activations(tiny_cnn, images)
    with pytest.raises(ShapeError, match=r"takes inputs of shape \(batch, 8, 8, 1\); received x with shape \(5, 5\)"):
        plot_activations(tiny_cnn, np.zeros((5, 5)))
    assert len(sections(plot_activations(tiny_cnn, images[:1]))) == 5  # a batch of one is fine


def test_wide_dense_layers_are_drawn_as_one_line_per_unit(rng):
    model = randomize(Sequential([layers.Input(shape=(3,)), layers.Dense(300, name="wide"), layers.Dense(2)]), rng)
    x = rng.random(3)
    panels = sections(plot_activations(model, x))
    segments = panels[1].collections[0].get_segments()
    values = layer_activations(model, x)[0][1][0]
    assert len(segments) == 300
    np.testing.assert_array_equal([s[1, 1] - s[0, 1] for s in segments], values)
