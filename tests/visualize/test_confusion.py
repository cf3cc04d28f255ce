import numpy as np
import pytest

from neuronio.visualize import CLASS_NAMES, confusion_matrix, plot_confusion_matrix
from neuronio.visualize.confusion import confusion_figure, row_normalized

pytest.importorskip("matplotlib")


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    counts = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], num_classes=4)
    np.testing.assert_array_equal(counts, [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]])
    shares = row_normalized(counts)
    np.testing.assert_array_equal(shares[0], [0.5, 0.5, 0, 0])
    np.testing.assert_array_equal(shares[2], [1 / 3, 0, 2 / 3, 0])
    np.testing.assert_array_equal(shares[3], [0, 0, 0, 0])  # no samples of class 3: zeros, not NaN


def test_confusion_matrix_rejects_mismatched_or_out_of_range_labels():
    with pytest.raises(ValueError, match="3 true labels but 2 predictions"):
        confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)


def test_plot_shows_counts_and_row_percentages_of_the_models_predictions(tiny_cnn, images, rng):
    y = rng.integers(0, 3, len(images))
    fig = plot_confusion_matrix(tiny_cnn, images, y)
    expected = confusion_matrix(y, tiny_cnn.predict(images, verbose=0).argmax(axis=1), 3)
    counts_ax, shares_ax = fig.axes[:2]  # the colour bars come after the panels
    np.testing.assert_array_equal(counts_ax.images[0].get_array(), expected)
    np.testing.assert_allclose(shares_ax.images[0].get_array(), 100 * row_normalized(expected))
    cell_texts = [t.get_text() for t in counts_ax.texts]
    assert cell_texts == [str(v) for v in expected.ravel()]  # row by row
    assert counts_ax.get_ylabel() == "true class" and counts_ax.get_xlabel() == "predicted class"
    assert f"{np.trace(expected)} of 20 right" in fig._suptitle.get_text()


def test_class_names_come_from_the_dataset_name():
    counts = np.diag(np.arange(1, 11))
    fig = confusion_figure(counts, "cifar10")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == CLASS_NAMES["cifar10"]
    fig = confusion_figure(counts, "fashion_mnist")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][0] == "T-shirt/top"
    with pytest.raises(ValueError, match=r"unknown dataset 'svhn'.*Valid names: cifar10, fashion_mnist, mnist"):
        confusion_figure(counts, "svhn")
    with pytest.raises(ValueError, match="predicts 10 classes, but 2 class names"):
        confusion_figure(counts, ["a", "b"])
