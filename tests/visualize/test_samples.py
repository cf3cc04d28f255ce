import matplotlib.colors
import numpy as np
import pytest

from neuronio.errors import ShapeError
from neuronio.visualize import _style, most_confident_mistakes, plot_mistakes, show_samples

pytest.importorskip("matplotlib")


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def colour_hex(value):
    return matplotlib.colors.to_hex(value)


def colour(text):
    return colour_hex(text.get_color())


def test_show_samples_titles_right_answers_in_blue_and_wrong_ones_as_true_arrow_predicted(rng):
    x = rng.random((6, 28, 28))
    y = np.array([0, 1, 2, 3, 4, 5])
    predictions = np.eye(10)[[0, 1, 7, 3, 9, 5]]  # two wrong: 2 -> 7 and 4 -> 9
    fig = show_samples(x, y, predictions, columns=3)
    axes = image_axes(fig)
    assert len(axes) == 6
    titles = [ax.title for ax in axes]
    assert [t.get_text() for t in titles] == ["0", "1", "2 → 7", "3", "4 → 9", "5"]
    right, wrong = colour_hex(_style.CORRECT), colour_hex(_style.WRONG)
    assert [colour(t) for t in titles] == [right, right, wrong, right, wrong, right]
    np.testing.assert_array_equal(axes[2].images[0].get_array(), x[2].astype(np.float32))
    assert "4 of 6 right" in fig._suptitle.get_text()


def test_show_samples_accepts_flat_images_one_hot_labels_and_dataset_class_names(rng):
    x = rng.random((4, 784))
    fig = show_samples(x, np.eye(10)[[0, 1, 8, 9]], class_names="fashion_mnist")
    axes = image_axes(fig)
    assert axes[0].images[0].get_array().shape == (28, 28)
    assert [ax.get_title() for ax in axes] == ["T-shirt/top", "Trouser", "Bag", "Ankle boot"]


def test_show_samples_rejects_shapes_it_cannot_draw(rng):
    with pytest.raises(ShapeError, match=r"show_samples expects images .* received shape \(3, 10\)"):
        show_samples(rng.random((3, 10)), [0, 1, 2])
    with pytest.raises(ShapeError, match=r"expected 3 labels"):
        show_samples(rng.random((3, 4, 4)), [0, 1])
    with pytest.raises(ValueError, match=r"the labels go up to 11, but only 10 class names"):
        show_samples(rng.random((2, 4, 4)), [0, 11], class_names="mnist")


def test_most_confident_mistakes_orders_wrong_answers_by_the_probability_of_the_wrong_class():
    p = np.array([[0.6, 0.4], [0.1, 0.9], [0.3, 0.7], [0.95, 0.05], [0.2, 0.8]])
    y = [1, 1, 0, 1, 0]  # wrong: 0 (0.6), 2 (0.7), 3 (0.95), 4 (0.8)
    assert most_confident_mistakes(p, y).tolist() == [3, 4, 2, 0]
    assert most_confident_mistakes(p, np.eye(2)[y], n=2).tolist() == [3, 4]
    assert most_confident_mistakes(p, [0, 1, 1, 0, 1]).tolist() == []


def test_plot_mistakes_shows_the_most_confident_mistakes_with_their_top_3(tiny_cnn, images, rng):
    p = tiny_cnn.predict(images, verbose=0)
    y = (p.argmax(axis=1) + rng.integers(0, 2, len(p))) % 3  # about half are mistakes
    wrong = np.flatnonzero(p.argmax(axis=1) != y)
    expected = wrong[np.argsort(-p[wrong].max(axis=1), kind="stable")][:4]
    fig = plot_mistakes(tiny_cnn, images, y, n=4)
    axes = image_axes(fig)
    assert [ax.get_title(loc="left") for ax in axes] == [f"#{i}: {y[i]} → {p[i].argmax()}" for i in expected]
    bars = [ax for ax in fig.axes if not ax.images]
    assert len(bars) == len(expected)
    first = expected[0]
    heights = [patch.get_width() for patch in bars[0].patches]
    np.testing.assert_allclose(heights, np.sort(p[first])[::-1], rtol=1e-6)  # the top 3 of 3 classes
    assert f"{len(wrong)} wrong of 20" in fig._suptitle.get_text()


def test_plot_mistakes_says_so_when_there_are_none(tiny_cnn, images):
    y = tiny_cnn.predict(images, verbose=0).argmax(axis=1)
    fig = plot_mistakes(tiny_cnn, images, y)
    assert "No mistakes" in fig.texts[0].get_text()


def test_plot_mistakes_checks_the_data_against_the_model(tiny_cnn, rng):
    with pytest.raises(
        ShapeError, match=r"takes inputs of shape \(batch, 8, 8, 1\); received x with shape \(5, 28, 28\)"
    ):
        plot_mistakes(tiny_cnn, rng.random((5, 28, 28)), np.zeros(5))
