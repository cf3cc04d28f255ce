"""Arithmetic, indexing and ops.* calls on symbolic tensors: graph nodes of a functional model
that trains, predicts, summarizes and saves (Keras 3's behaviour; the file format is checked
against real Keras in tests/reference/test_keras_ops_reference.py)."""

import numpy as np
import pytest

import neuronio as keras
from neuronio import config, layers, ops


def _model():
    inputs = keras.Input((6,))
    x = inputs * 2.0 + 1
    x = ops.relu(x)
    x = x[:, :4]
    x = layers.Dense(3)(x)
    x = ops.softmax(x, axis=-1)
    return keras.Model(inputs, x)


def test_ops_on_symbolic_tensors_are_nodes_with_keras_shapes_and_names():
    config.clear_session()
    model = _model()
    assert [type(op).__name__ for op in model.layers] == ["InputLayer", "Dense"]  # ops are not layers
    assert [op.name for op in model.operations] == ["input_layer", "multiply", "add", "relu", "get_item", "dense",
                                                    "softmax"]
    assert model.operations[4].output.shape == (None, 4)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for row in ("multiply (Multiply)", "get_item (GetItem)", "relu (Relu)", "softmax (Softmax)"):
        assert row in text


def test_the_graph_computes_what_the_ops_compute():
    model = _model()
    x = np.random.default_rng(0).uniform(-1, 1, (5, 6)).astype("float32")
    dense = model.get_layer("dense")
    hidden = np.maximum(x * 2.0 + 1, 0)[:, :4]
    logits = hidden @ dense.kernel.numpy() + dense.bias.numpy()
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_such_a_model_trains_and_reloads_identically(tmp_path):
    config.set_random_seed(0)
    model = _model()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (64, 6)).astype("float32")
    y = np.eye(3)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)]
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [op.name for op in again.operations] == [op.name for op in model.operations]


def test_several_outputs_constants_and_integer_results():
    inputs = keras.Input((4, 3))
    values, indices = ops.top_k(ops.sum(inputs, axis=-1) * ops.arange(4.0), 2)
    stacked = ops.stack([values, values], axis=1)
    joined = ops.einsum("bi,ij->bj", values, ops.ones((2, 5)))
    model = keras.Model(inputs, [stacked, indices, joined])
    x = np.ones((2, 4, 3), "float32")
    s, i, j = model.predict(x, verbose=0)
    assert s.shape == (2, 2, 2) and i.tolist() == [[3, 2], [3, 2]] and j.shape == (2, 5)
    assert model.outputs[1].dtype == np.int32


def test_values_that_cannot_exist_symbolically_say_what_to_use():
    x = keras.Input((3,))
    with pytest.raises(TypeError, match=r"no value yet.*ops.where / ops.cond"):
        if x > 0:
            pass
    with pytest.raises(TypeError, match=r"cannot become a NumPy array.*Lambda layer"):
        np.asarray(x)
    with pytest.raises(TypeError, match=r"ops.reshape: the argument 'newshape' is a symbolic tensor.*Lambda"):
        ops.reshape(x, x)
    with pytest.raises(TypeError, match=r"ops.cond was called on a symbolic tensor.*Lambda layer"):
        ops.cond(x > 0, lambda: x, lambda: -x)
    with pytest.raises(TypeError, match=r"ops.map was called on a symbolic tensor.*custom layer's call"):
        ops.map(lambda v: v * 2, x)
    with pytest.raises(TypeError, match=r"ops.take: the argument axis=.*cannot be written"):
        ops.take(x, np.array([0, 1]), axis=object())
    with pytest.raises(ValueError, match=r"matmul: the last axis of x \(3\)"):
        ops.matmul(x, np.ones((4, 2), "float32"))  # shape errors surface when the graph is built


def test_keras_tensor_queries():
    x = keras.Input((3,))
    assert keras.backend.is_keras_tensor(x) and not keras.backend.is_keras_tensor(np.ones(3))
    assert ops.shape(x) == (None, 3) and ops.ndim(x) == 2
