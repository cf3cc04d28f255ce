import numpy as np
import pytest

from neuronio import layers
from neuronio.models import Sequential
from neuronio.visualize import plot_filters
from neuronio.visualize._style import tile
from neuronio.visualize.filters import channel_columns

from .conftest import randomize

pytest.importorskip("matplotlib")


def tiles(fig):
    return [ax for ax in fig.axes if ax.images]


def test_one_tile_per_filter_holding_the_kernel_in_filter_order(tiny_cnn):
    fig = plot_filters(tiny_cnn, "conv")
    kernel = tiny_cnn.get_layer("conv").kernel.numpy()  # (3, 3, 1, 3)
    drawn = tiles(fig)
    assert len(drawn) == 3
    for f, ax in enumerate(drawn):
        np.testing.assert_array_equal(ax.images[0].get_array(), kernel[:, :, 0, f])
        assert ax.get_title() == str(f)
    limit = np.abs(kernel).max()
    assert drawn[0].images[0].get_clim() == (-limit, limit)  # one symmetric scale: white is zero
    assert "3 filters of 3x3" in fig._suptitle.get_text()


def test_the_first_conv_layer_is_the_default_and_others_are_chosen_by_name_or_index(tiny_cnn):
    assert len(tiles(plot_filters(tiny_cnn))) == 3
    assert len(tiles(plot_filters(tiny_cnn, 0))) == 3


def test_rgb_first_layers_show_all_three_input_channels_as_one_colour_tile(rng):
    model = randomize(Sequential([layers.Input(shape=(6, 6, 3)), layers.Conv2D(4, 3)]), rng)
    kernel = model.layers[0].kernel.numpy()  # (3, 3, 3, 4)
    drawn = tiles(plot_filters(model))
    assert len(drawn) == 4
    for f, ax in enumerate(drawn):
        expected = (kernel[..., f] - kernel[..., f].min()) / np.ptp(kernel[..., f])  # each filter in [0, 1]
        np.testing.assert_allclose(ax.images[0].get_array(), expected, rtol=1e-6)
    separate = tiles(plot_filters(model, rgb=False))[1].images[0].get_array()
    for c in range(3):  # rgb=False: the R, G, B slices side by side
        np.testing.assert_array_equal(tile(separate, c, (3, 3), channel_columns(3)), kernel[:, :, c, 1])


def test_deeper_filters_show_every_input_channel_inside_their_tile(rng):
    model = randomize(
        Sequential([layers.Input(shape=(8, 8, 1)), layers.Conv2D(6, 3), layers.Conv2D(2, 2, name="deep")]), rng
    )
    kernel = model.get_layer("deep").kernel.numpy()  # (2, 2, 6, 2)
    drawn = tiles(plot_filters(model, "deep"))
    assert len(drawn) == 2
    assert channel_columns(6) == 3 and channel_columns(32) == 8 and channel_columns(7) == 3
    for f, ax in enumerate(drawn):
        array = ax.images[0].get_array()
        for c in range(6):
            np.testing.assert_array_equal(tile(array, c, (2, 2), 3), kernel[:, :, c, f])


def test_a_layer_without_a_convolution_kernel_is_refused_with_the_conv_layers_named(tiny_cnn):
    with pytest.raises(TypeError, match=r"layer 'hidden' \(Dense\) is not a convolution layer.*: 'conv'"):
        plot_filters(tiny_cnn, "hidden")
    with pytest.raises(ValueError, match=r"no layer named 'conv9'. Its layers: 'conv', 'pool'"):
        plot_filters(tiny_cnn, "conv9")
    mlp = Sequential([layers.Input(shape=(4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"model '.*' has no convolution layer"):
        plot_filters(mlp)
