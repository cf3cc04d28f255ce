"""summary() reproduces Keras 3's table (captured from keras 3.15.1) and the decks' numbers."""

import numpy as np
import pytest

from neuronio import layers
from neuronio.applications.decks import cifar10_cnn, seed_mlp
from neuronio.models import Model, Sequential
from neuronio.utils import sequential_ascii

# keras 3.15.1 (torch backend), COLUMNS=92, for the same two models.
KERAS_SEQUENTIAL_88 = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ a_really_long_layer_name_for_testin… │ (None, 512)                 │         401,920 │
│ (Dense)                              │                             │                 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense (Dense)                        │ (None, 10)                  │           5,130 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 407,050 (1.55 MB)
 Trainable params: 407,050 (1.55 MB)
 Non-trainable params: 0 (0.00 B)"""

KERAS_FUNCTIONAL_88 = """\
Model: "functional_1"
┏━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)            ┃ Output Shape         ┃      Param # ┃ Connected to         ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩
│ inp (InputLayer)        │ (None, 3)            │            0 │ -                    │
├─────────────────────────┼──────────────────────┼──────────────┼──────────────────────┤
│ dense_1 (Dense)         │ (None, 2)            │            8 │ inp[0][0]            │
├─────────────────────────┼──────────────────────┼──────────────┼──────────────────────┤
│ dense_2 (Dense)         │ (None, 2)            │            8 │ inp[0][0]            │
├─────────────────────────┼──────────────────────┼──────────────┼──────────────────────┤
│ add (Add)               │ (None, 2)            │            0 │ dense_1[0][0],       │
│                         │                      │              │ dense_2[0][0]        │
└─────────────────────────┴──────────────────────┴──────────────┴──────────────────────┘
 Total params: 16 (64.00 B)
 Trainable params: 16 (64.00 B)
 Non-trainable params: 0 (0.00 B)"""


def _capture(model, **kwargs) -> str:
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def test_sequential_summary_matches_keras_text():
    model = Sequential(
        [
            layers.Input(shape=(784,)),
            layers.Dense(512, activation="relu", name="a_really_long_layer_name_for_testing_purposes"),
            layers.Dense(10),
        ]
    )
    assert _capture(model, line_length=88) == KERAS_SEQUENTIAL_88


def test_functional_summary_matches_keras_text():
    x = layers.Input(shape=(3,), name="inp")
    a, b = layers.Dense(2, name="dense_1")(x), layers.Dense(2, name="dense_2")(x)
    model = Model(x, layers.Add()([a, b]), name="functional_1")
    assert _capture(model, line_length=88) == KERAS_FUNCTIONAL_88


def test_deck_002_named_layer_net_has_20_plus_12_parameters():
    net = Sequential(
        [
            layers.Input(shape=(3,), name="input"),
            layers.Dense(units=5, activation="sigmoid", name="hidden"),
            layers.Dense(units=2, activation="softmax", name="output"),
        ]
    )
    text = _capture(net)
    assert "hidden (Dense)" in text and "(None, 5)" in text and "output (Dense)" in text
    assert [layer.count_params() for layer in net.layers] == [20, 12]
    assert " Total params: 32 (128.00 B)" in text


def test_deck_004_mlp_total_is_932362():
    text = _capture(seed_mlp())
    assert " Total params: 932,362 (3.56 MB)" in text
    assert " Trainable params: 932,362 (3.56 MB)" in text
    assert " Non-trainable params: 0 (0.00 B)" in text


def test_summary_counts_optimizer_variables_once_trained():
    model = Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0)
    text = _capture(model)
    # 3 weights; Adam adds iteration + learning_rate + m and v for 2 + 1 weights = 2 + 6.
    assert " Optimizer params: 8 " in text and " Total params: 11 " in text


def test_unbuilt_sequential_shows_question_marks():
    model = Sequential([layers.Dense(4)])
    text = _capture(model)
    assert "? " in text and "0 (unbuilt)" in text


def test_deck_004_ascii_table_for_the_cifar10_cnn():
    table = sequential_ascii(cifar10_cnn())
    lines = table.splitlines()
    assert lines[0].split() == ["OPERATION", "DATA", "DIMENSIONS", "WEIGHTS(N)", "WEIGHTS(%)"]
    assert lines[1].split() == ["Input", "#####", "3", "32", "32"]
    assert lines[2].split() == ["Conv2D", "\\", "/", "896", "0.0%"]
    assert lines[3].split() == ["relu", "#####", "32", "32", "32"]
    assert ["Dense", "XXXXX", "1180160", "94.0%"] in [line.split() for line in lines]
    assert lines[-1].split() == ["softmax", "#####", "10"]


def test_the_deck_table_truncates_as_the_deck_does_and_rounds_on_request():
    from neuronio.applications.decks import seed_cnn

    model = seed_cnn()  # 1,087,106 weights; the second Conv2D has 51,264 of them (4.716%)
    deck = [line.split() for line in sequential_ascii(model).splitlines()]
    rounded = [line.split() for line in sequential_ascii(model, percent="rounded").splitlines()]
    assert ["Conv2D", "\\", "/", "51264", "4.0%"] in deck
    assert ["Conv2D", "\\", "/", "51264", "4.7%"] in rounded
    assert ["Dense", "XXXXX", "1025000", "94.3%"] in rounded  # 94.29%
    with pytest.raises(ValueError, match="percent must be 'deck' or 'rounded'; received 'up'"):
        sequential_ascii(model, percent="up")
