import numpy as np
import pytest

from neuronio import layers
from neuronio.applications.decks import seed_cnn
from neuronio.models import Model, Sequential
from neuronio.utils import plot_model

pytest.importorskip("matplotlib")


def drawn(fig):
    """{box gid: text in the box} and the list of edge gids, read from the figure's artists."""
    ax = fig.axes[0]
    boxes = [p.get_gid()[len("layer:") :] for p in ax.patches if str(p.get_gid()).startswith("layer:")]
    texts = {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid()}
    edges = [p.get_gid()[len("edge:") :] for p in ax.patches if str(p.get_gid()).startswith("edge:")]
    return boxes, texts, edges


def test_a_sequential_model_is_a_chain_of_boxes_with_shapes_and_parameter_counts(tmp_path):
    model = seed_cnn()
    names = [layer.name for layer in model.layers]
    fig = plot_model(model, tmp_path / "model.png", show_shapes=True, show_param_counts=True, show_layer_names=True)
    boxes, texts, edges = drawn(fig)
    assert boxes == names  # one box per layer; like Keras, no Input box for a Sequential model
    assert edges == [f"{a}->{b}" for a, b in zip(names, names[1:])]
    assert texts[f"header:{names[0]}"] == f"{names[0]} (Conv2D)"
    assert texts[f"body:{names[0]}"] == "Input shape: (None, 28, 28, 1)\nOutput shape: (None, 24, 24, 32)\nParams: 832"
    assert "Params: 1,025,000" in texts[f"body:{names[5]}"]
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_boxes_follow_keras_options(tmp_path):
    model = seed_cnn()
    _, texts, _ = drawn(plot_model(model, tmp_path / "m.svg"))  # Keras's defaults: the class name only
    assert texts == {f"header:{layer.name}": type(layer).__name__ for layer in model.layers}
    assert b"<svg" in (tmp_path / "m.svg").read_bytes()[:500]
    _, texts, _ = drawn(plot_model(model, None, show_layer_activations=True, show_dtype=True, show_trainable=True))
    assert texts[f"body:{model.layers[0].name}"] == "Activation: relu\nOutput dtype: float32\nTrainable"
    assert texts[f"body:{model.layers[1].name}"] == "Output dtype: float32"  # no weights: no trainable line


def test_a_functional_graph_has_its_inputs_and_one_edge_per_connection(branchy):
    fig = plot_model(branchy, None, show_shapes=True, show_layer_names=True)
    boxes, texts, edges = drawn(fig)
    assert sorted(boxes) == sorted(["image", "c1", "c2", "add", "flat", "extra", "cat", "out"])
    assert sorted(edges) == sorted(
        ["image->c1", "c1->c2", "c1->add", "c2->add", "add->flat", "flat->cat", "extra->cat", "cat->out"]
    )
    assert texts["body:cat"] == "Input shape: [(None, 128), (None, 2)]\nOutput shape: (None, 130)"
    assert texts["body:image"] == "Output shape: (None, 8, 8, 1)"
    ax = fig.axes[0]
    position = {p.get_gid()[6:]: p.get_y() for p in ax.patches if str(p.get_gid()).startswith("layer:")}
    assert position["image"] > position["c1"] > position["c2"] > position["add"] > position["out"]  # top to bottom


def test_long_edges_are_routed_around_the_boxes_between(branchy):
    ax = plot_model(branchy, None).axes[0]
    arrows = {p.get_gid(): p for p in ax.patches if str(p.get_gid()).startswith("edge:")}
    skip = arrows["edge:c1->add"].get_path().vertices  # c1 and add are two ranks apart
    assert len(skip) > len(arrows["edge:c1->c2"].get_path().vertices)
    left_to_right = plot_model(branchy, None, rankdir="LR").axes[0]
    x = {p.get_gid()[6:]: p.get_x() for p in left_to_right.patches if str(p.get_gid()).startswith("layer:")}
    assert x["image"] < x["c1"] < x["c2"] < x["add"] < x["out"]


def test_nested_models_expand_inside_a_frame(rng):
    inner = Sequential([layers.Input(shape=(4,)), layers.Dense(3, name="d1"), layers.Dense(2, name="d2")], name="block")
    x = layers.Input(shape=(4,), name="x")
    outer = Model(x, layers.Dense(1, name="head")(inner(x)))
    boxes, _, edges = drawn(plot_model(outer, None))
    assert boxes == ["x", "block", "head"]
    boxes, _, edges = drawn(plot_model(outer, None, expand_nested=True))
    assert boxes == ["x", "d1", "d2", "head"]
    assert edges == ["d1->d2", "x->d1", "d2->head"]
    frames = [p for p in plot_model(outer, None, expand_nested=True).axes[0].patches if p.get_gid() == "cluster:block"]
    assert len(frames) == 1


def test_bad_arguments_and_unbuilt_models_are_refused():
    model = seed_cnn()
    with pytest.raises(ValueError, match=r"rankdir must be 'TB'.*received 'BT'"):
        plot_model(model, None, rankdir="BT")
    with pytest.raises(ValueError, match=r"unrecognized keyword arguments: \['colour'\]"):
        plot_model(model, None, colour="red")
    with pytest.raises(ValueError, match="layer_range` is no longer supported"):
        plot_model(model, None, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="has not yet been built"):
        plot_model(Sequential([layers.Dense(2)]), None)


def test_the_image_size_follows_the_graph_and_the_dpi(tmp_path):
    fig = plot_model(seed_cnn(), tmp_path / "m.png", dpi=50)
    width, height = fig.get_size_inches()
    assert height > 3 * width  # a chain of 7 boxes is tall and narrow
    header = (tmp_path / "m.png").read_bytes()[16:24]  # the PNG IHDR: width and height in pixels
    pixels = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
    np.testing.assert_allclose(pixels, (50 * width, 50 * height), atol=1)
