import numpy as np
import pytest

from neuronio import layers
from neuronio.errors import ShapeError
from neuronio.models import Model, Sequential
from neuronio.visualize import layer_activations, plot_activations

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
    maps = panels[1].images
    for c in range(3):  # feature map c is image c of the grid, in channel order, left to right
        np.testing.assert_array_equal(maps[c].get_array(), values["conv"][..., c])
    assert [image.get_extent()[0] for image in maps] == sorted(image.get_extent()[0] for image in maps)
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
    extents = [image.get_extent() for image in panels[1].images]  # (left, right, bottom, top) in inches
    assert len(extents) == 8 and len({e[0] for e in extents}) == 4 and len({e[3] for e in extents}) == 2  # 4 per row
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


def _runs(flags) -> list[tuple[bool, int]]:
    """[(value, length)] of the runs of equal values along a line of booleans."""
    edges = np.flatnonzero(np.diff(flags.astype(int))) + 1
    starts, ends = np.r_[0, edges], np.r_[edges, len(flags)]
    return [(bool(flags[a]), int(b - a)) for a, b in zip(starts, ends)]


def test_feature_map_grids_are_drawn_with_even_gaps(rng):
    """A picture test: the report's PNG (100 dpi) of 20 maps of 5x5 and 20 of 2x2, 8 per row: along a
    line through a row of maps, and down a column, every gap between two maps is equally wide, in
    both grids (the gap does not grow with the maps' pixels)."""
    import io

    from PIL import Image

    from neuronio.visualize import _style

    model = randomize(
        Sequential(
            [
                layers.Input(shape=(7, 7, 1)),
                layers.Conv2D(20, 3, activation="relu", name="conv"),
                layers.MaxPooling2D(2, name="pool"),
                layers.Flatten(),
                layers.Dense(2, activation="softmax"),
            ]
        ),
        rng,
    )
    fig = plot_activations(model, rng.random((7, 7, 1)), columns=8)
    png = Image.open(io.BytesIO(_style.to_png(fig, dpi=100))).convert("RGB")
    white = (np.asarray(png) >= 250).all(axis=2)  # the viridis maps are never white
    gaps_across, gaps_down = set(), set()
    for line in white:  # rows of pixels that cross 8 maps: a row of a grid
        runs = _runs(line)
        inner = [n for is_white, n in runs[1:-1] if is_white]
        maps = [n for is_white, n in runs if not is_white]
        if len(maps) >= 8 and min(maps[:8]) > 10:
            gaps_across.update(inner[:7])
    for column in white.T:  # columns through the first maps cross 3 + 3 rows of maps (over 100 pixels each)
        runs = _runs(column)
        maps = [i for i, (is_white, n) in enumerate(runs) if not is_white and n > 50]
        if len(maps) == 6:
            gaps_down.update(runs[i + 1][1] for i, j in zip(maps, maps[1:]) if j == i + 2)
    assert gaps_across == {6}, gaps_across  # MAP_GAP = 0.06 inch = 6 pixels at 100 dpi
    assert gaps_down == {6, 55}, gaps_down  # between rows; between the grids (0.25 inch + 0.3 for the title)
