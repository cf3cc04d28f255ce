"""Keras 3's calling convention for layers whose call() takes several tensors
(`layer(a, b)`, neuronio/layers/call_args.py): eager and symbolic calls, the functional model's
node with every tensor argument as an input, its config ({"args": [...], "kwargs": {...}}),
loading, clone_model and summary; bad arguments fail as Keras's do."""

import json

import numpy as np
import pytest

import neuronio as nn
from neuronio import layers, ops
from neuronio.errors import FileFormatError
from neuronio.layers.symbolic import SymbolicTensor


class Blend(layers.Layer):
    """a * w + b * k, with one weight built from the first argument's shape."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, a, b, k=2.0, training=None):
        out = a * self.w + b * k
        return out + 100.0 if training else out


class Pair(layers.Layer):
    """A layer whose build takes each argument's shape by name, as Keras allows."""

    def build(self, query_shape, value_shape):
        self.seen = (query_shape, value_shape)
        self.w = self.add_weight(shape=(query_shape[-1], value_shape[-1]), initializer="ones", name="w")

    def call(self, query, value):
        return ops.matmul(query, self.w) + value


class Gate(layers.Layer):
    """A list first argument and an optional further tensor that may be None."""

    def call(self, pair, scale=None):
        out = pair[0] - pair[1]
        return out if scale is None else out * scale


def objects():
    return {"Blend": Blend, "Pair": Pair, "Gate": Gate}


A = np.arange(6, dtype="float32").reshape(2, 3)
B = np.full((2, 3), 0.5, "float32")


def test_eager_call_binds_the_second_positional_to_call_s_second_parameter():
    layer = Blend()
    np.testing.assert_array_equal(layer(A, B).numpy(), A + 2 * B)
    np.testing.assert_array_equal(layer(A, B, k=3.0).numpy(), A + 3 * B)
    np.testing.assert_array_equal(layer(A, b=B).numpy(), A + 2 * B)
    np.testing.assert_array_equal(layer(A, B, training=True).numpy(), A + 2 * B + 100)


def test_eager_further_arguments_keep_non_float_dtypes_and_cast_floats():
    seen = {}

    class Probe(layers.Layer):
        def call(self, x, labels, scores):
            seen.update(labels=labels.dtype, scores=scores.dtype)
            return x

    Probe()(A, np.array([1, 2], "int64"), np.ones((2,), "float64"))
    assert seen == {"labels": "int64", "scores": "float32"}


def test_build_by_argument_name_gets_each_shape():
    layer = Pair()
    out = layer(np.ones((2, 4), "float32"), np.ones((2, 3), "float32"))
    assert layer.seen == ((2, 4), (2, 3))
    np.testing.assert_array_equal(out.numpy(), np.full((2, 3), 5.0))


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((A, 3.0), {}, ValueError, r"only input tensors may be passed as positional arguments.*3\.0.*keyword"),
        ((A, B, True), {}, ValueError, r"only input tensors.*True.*keyword"),
        ((A,), {}, TypeError, r"Layer 'blend.*'.*missing a required argument: 'b'"),
        ((A, B, B, B, B), {}, TypeError, r"too many positional arguments"),
        ((A, B), {"zz": 1}, TypeError, r"unexpected keyword argument 'zz'"),
    ],
)
def test_bad_arguments_fail_as_keras_does(args, kwargs, error, match):
    layer = Blend()
    if len(args) == 1:  # one argument takes the fast path: call() itself says what is missing
        match = r"missing 1 required positional argument: 'b'"
    with pytest.raises(error, match=match):
        layer(*args, **kwargs)


def test_positional_training_is_refused_for_one_tensor_layers_too():
    with pytest.raises(ValueError, match=r"only input tensors.*True.*keyword argument, e\.g\. layer\(x, name=value\)"):
        layers.Dense(2)(A, True)


def build_model():
    x = nn.Input((3,), name="x")
    y = nn.Input((3,), name="y")
    o1 = Blend(name="blend")(x, y, k=3.0)
    o2 = Blend(name="blend2")(x, b=o1)  # a tensor by keyword: an input of the node too
    o3 = Gate(name="gate")([x, o2], y)
    o4 = Gate(name="gate2")([x, y], None)
    return nn.Model([x, y], [o1, o2, o3, o4])


def expected(a, b):
    o1 = a + 3 * b
    o2 = a + 2 * o1
    return [o1, o2, (a - o2) * b, a - b]


def test_symbolic_call_records_every_tensor_argument_and_the_model_runs_it():
    model = build_model()
    node = model.get_layer("blend")._inbound_nodes[0]
    assert [t.name for t in node.inputs] == ["x", "y"] and node.first_count == 1
    assert model.get_layer("blend").input == list(model.inputs)  # Keras: every tensor argument
    assert isinstance(model.outputs[0], SymbolicTensor) and model.outputs[0].shape == (None, 3)
    for got, want in zip(model.predict([A, B], verbose=0), expected(A, B)):
        np.testing.assert_allclose(got, want)


def test_config_writes_inbound_nodes_as_keras_3():
    config = build_model().get_config()
    nodes = {entry["name"]: entry["inbound_nodes"] for entry in config["layers"]}

    def ref(name):
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": [None, 3], "dtype": "float32", "keras_history": [name, 0, 0]},
        }

    assert nodes["blend"] == [{"args": [ref("x"), ref("y")], "kwargs": {"k": 3.0}}]
    assert nodes["blend2"] == [{"args": [ref("x")], "kwargs": {"b": ref("blend")}}]
    assert nodes["gate"] == [{"args": [[ref("x"), ref("blend2")], ref("y")], "kwargs": {}}]
    assert nodes["gate2"] == [{"args": [[ref("x"), ref("y")], None], "kwargs": {}}]
    json.dumps(config)


def test_from_config_and_keras_file_round_trip(tmp_path):
    model = build_model()
    again = nn.Model.from_config(model.get_config(), custom_objects=objects())
    assert again.get_config() == model.get_config()
    model.save(tmp_path / "m.keras")
    loaded = nn.saving.load_model(tmp_path / "m.keras", custom_objects=objects())
    for got, want in zip(loaded.predict([A, B], verbose=0), expected(A, B)):
        np.testing.assert_allclose(got, want)


def test_clone_model_keeps_the_further_arguments():
    model = build_model()
    clone = nn.models.clone_model(model)
    assert clone.get_layer("blend") is not model.get_layer("blend")
    assert [t.node.layer.name for t in clone.get_layer("gate")._inbound_nodes[0].inputs] == ["x", "blend2", "y"]
    for got, want in zip(clone.predict([A, B], verbose=0), expected(A, B)):
        np.testing.assert_allclose(got, want)


def test_summary_connects_every_tensor_argument():
    lines = []
    build_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    row = next(line for line in text.splitlines() if "blend (Blend)" in line)
    assert "x[0][0], y[0][0]" in row
    gate = text[text.index("gate (Gate)") :]
    assert "x[0][0]" in gate and "blend2[0][0]" in gate and "y[0][0]" in gate.split("gate2")[0]


def test_output_shape_from_a_two_parameter_compute_output_shape():
    class Outer(layers.Layer):
        def call(self, u, v):
            return ops.einsum("bi,bj->bij", u, v)

        def compute_output_shape(self, u_shape, v_shape):
            return (u_shape[0], u_shape[1], v_shape[1])

    u, v = nn.Input((2,)), nn.Input((5,))
    assert Outer()(u, v).shape == (None, 2, 5)


@pytest.mark.parametrize(
    "args, match",
    [
        ([["x", 0, 0], 3], r"positional argument is not a tensor reference \(Keras passes only tensors"),
        ([7], r"first argument is not a tensor reference"),
        ([[]], r"first argument is not a tensor reference"),
    ],
)
def test_malformed_node_arguments_are_file_format_errors(args, match):
    config = build_model().get_config()
    entry = next(e for e in config["layers"] if e["name"] == "blend")
    entry["inbound_nodes"][0]["args"] = args
    with pytest.raises(FileFormatError, match=match):
        nn.Model.from_config(config, custom_objects=objects())


def test_every_argument_by_name_eager_symbolic_and_in_the_config(tmp_path):
    np.testing.assert_array_equal(Blend()(b=B, a=A).numpy(), A + 2 * B)
    x, y = nn.Input((3,), name="x"), nn.Input((3,), name="y")
    out = Blend(name="blend")(a=x, b=y, k=3.0)
    model = nn.Model([x, y], out)
    node = model.get_config()["layers"][2]["inbound_nodes"][0]
    assert node["args"] == [] and list(node["kwargs"]) == ["a", "b", "k"]
    assert node["kwargs"]["b"]["config"]["keras_history"] == ["y", 0, 0]
    model.save(tmp_path / "m.keras")
    loaded = nn.saving.load_model(tmp_path / "m.keras", custom_objects=objects())
    np.testing.assert_allclose(loaded.predict([A, B], verbose=0), A + 3 * B)
    assert loaded.get_config() == model.get_config()


def test_a_call_without_its_first_argument_says_so():
    with pytest.raises(TypeError, match=r"Layer 'blend\w*' was called without its first argument \('a' of Blend\.call"):
        Blend()(b=B)


def test_named_build_shapes_are_saved_and_rebuilt(tmp_path):
    x, y = nn.Input((4,), name="x"), nn.Input((3,), name="y")
    model = nn.Model([x, y], Pair(name="pair")(x, y))
    model.get_layer("pair").set_weights([np.arange(12, dtype="float32").reshape(4, 3)])
    model.save(tmp_path / "m.keras")
    loaded = nn.saving.load_model(tmp_path / "m.keras", custom_objects=objects())
    assert loaded.get_layer("pair").seen == ((None, 4), (None, 3))
    q, v = np.ones((2, 4), "float32"), np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.predict([q, v], verbose=0), model.predict([q, v], verbose=0))


def test_gradients_reach_every_tensor_argument_and_the_weight():
    from neuronio import config
    from neuronio.autodiff import check_gradients

    rng = np.random.default_rng(0)
    with config.floatx_scope("float64"):
        layer = Blend(dtype="float64")
        layer(np.ones((2, 3)), np.ones((2, 3)))
        layer.w.assign(rng.normal(size=3))
    check_gradients(
        lambda a, b: ops.sum(ops.square(layer(a, b, k=1.5))),
        [rng.normal(size=(2, 3)) for _ in range(2)],
        params=[layer.w],
    )


def test_a_subclassed_model_trains_through_a_two_argument_layer():
    class Residual(nn.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3, kernel_initializer="zeros")
            self.blend = Blend()

        def call(self, inputs):
            return self.blend(inputs, self.dense(inputs), k=1.0)

    model = Residual()
    model.compile(optimizer="sgd", loss="mse")
    y = A + 1.0
    history = model.fit(A, y, epochs=3, batch_size=2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.abs(model.dense.kernel.numpy()).sum() > 0  # the second argument's branch got gradients


def test_a_masked_first_argument_with_further_tensors_gets_no_mask_argument():
    """Keras hands `mask` to call() only when the call has one tensor argument."""
    seen = []

    class Masked(layers.Layer):
        supports_masking = True

        def call(self, x, other, mask=None):
            seen.append(mask)
            return x + other

    tokens = nn.Input((4,), dtype="int32")
    embedded = layers.Embedding(5, 2, mask_zero=True)(tokens)
    out = Masked()(embedded, embedded)
    model = nn.Model(tokens, out)
    ids = np.array([[1, 2, 0, 0]])
    np.testing.assert_allclose(model.predict(ids, verbose=0), 2 * model.layers[1](ids).numpy())
    assert seen[-1] is None
    assert np.asarray(model(ids)._keras_mask).tolist() == [[True, True, False, False]]


def test_each_tensor_argument_s_mask_reaches_its_argument_mask_parameter():
    """Keras: with several tensor arguments, call() gets `<argument>_mask` for each masked one."""
    seen = {}

    class Attend(layers.Layer):
        def call(self, query, value, query_mask=None, value_mask=None):
            seen.update(query_mask=query_mask, value_mask=value_mask)
            return query + value

    q_ids, v_ids = nn.Input((3,), dtype="int32"), nn.Input((3,), dtype="int32")
    q = layers.Embedding(5, 2, mask_zero=True)(q_ids)
    v = layers.Embedding(5, 2)(v_ids)  # no mask
    model = nn.Model([q_ids, v_ids], Attend()(q, v))
    model.predict([np.array([[1, 0, 2]]), np.array([[0, 0, 1]])], verbose=0)
    assert np.asarray(seen["query_mask"]).tolist() == [[True, False, True]] and seen["value_mask"] is None
