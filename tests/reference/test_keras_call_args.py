"""Layers whose call() takes several tensors (`layer(a, b)`, Keras 3's calling convention) against
real Keras 3 on torch: the same functional graph writes the same inbound nodes
({"args": [...], "kwargs": {...}}), `.keras` files cross both ways and predict the same numbers,
and the same bad calls are refused."""

import json

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch, scale_layer_class

keras = keras_on_torch()

import neuronio as nn  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]
RTOL, ATOL = 1e-5, 1e-6


def blend_class(lib):
    class Blend(scale_layer_class(lib)):
        """a * w * factor + b * k: Scale's weight built from the first argument's shape, k by keyword."""

        def call(self, a, b, k=2.0):
            return super().call(a) + b * k

    return Blend


KBlend = keras.saving.register_keras_serializable(package="CallArgs")(blend_class(keras))
NBlend = nn.saving.register_keras_serializable(package="CallArgs")(blend_class(nn))


def build(lib):
    blend = KBlend if lib is keras else NBlend
    x = lib.Input((3,), name="x")
    y = lib.Input((3,), name="y")
    o1 = blend(0.5, name="blend")(x, y, k=3.0)
    o2 = blend(2.0, name="blend2")(x, b=o1)
    o3 = lib.layers.Dense(2, name="head")(lib.layers.Add(name="add")([o1, o2]))
    return lib.Model([x, y], [o2, o3], name="two_args")


A = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
B = np.linspace(2, 0, 12, dtype="float32").reshape(4, 3)


def _nodes(config):
    """Each layer's inbound nodes as the JSON a file holds (Keras keeps tuples in memory)."""
    return {entry["name"]: json.loads(json.dumps(entry["inbound_nodes"])) for entry in config["layers"]}


def test_inbound_nodes_match_keras():
    assert _nodes(build(nn).get_config()) == _nodes(build(keras).get_config())


def _same_weights(source, target):
    target.set_weights([np.asarray(w) for w in source.get_weights()])


def test_neuronio_file_loads_in_keras(tmp_path):
    model = build(nn)
    model.get_layer("blend").set_weights([np.array([1.0, -2.0, 0.5], "float32")])
    model.save(tmp_path / "n.keras")
    loaded = keras.saving.load_model(tmp_path / "n.keras")
    assert isinstance(loaded.get_layer("blend"), KBlend) and loaded.get_layer("blend2").factor == 2.0
    for got, want in zip(loaded.predict([A, B], verbose=0), model.predict([A, B], verbose=0)):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_keras_file_loads_in_neuronio(tmp_path):
    model = build(keras)
    model.get_layer("blend").set_weights([np.array([0.5, 1.5, -1.0], "float32")])
    model.save(tmp_path / "k.keras")
    loaded = nn.saving.load_model(tmp_path / "k.keras")
    assert isinstance(loaded.get_layer("blend"), NBlend)
    for got, want in zip(loaded.predict([A, B], verbose=0), model.predict([A, B], verbose=0)):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    assert _nodes(loaded.get_config()) == _nodes(model.get_config())


def test_eager_values_match_keras():
    k, n = KBlend(0.5), NBlend(0.5)
    k(A, B), n(A, B)
    _same_weights(k, n)
    np.testing.assert_allclose(n(A, B, k=4.0).numpy(), np.asarray(k(A, B, k=4.0).detach()), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("extra", [(3.0,), (B, True)], ids=["float", "bool"])
def test_non_tensor_positional_arguments_are_refused_by_both(extra):
    with pytest.raises(ValueError, match="Only input tensors may be passed as positional arguments"):
        KBlend()(A, *extra)
    with pytest.raises(ValueError, match="only input tensors may be passed as positional arguments"):
        NBlend()(A, *extra)


def test_summary_connects_both_arguments_as_keras():
    def connected(lib):
        lines = []
        build(lib).summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
        row = next(line for line in "\n".join(lines).splitlines() if "blend (Blend)" in line)
        return row.split("│")[-2].strip()

    assert connected(nn) == connected(keras) == "x[0][0], y[0][0]"


def pair_class(lib):
    class Pair(lib.layers.Layer):
        """build() takes each argument's shape by name; the layer is called with every tensor by name."""

        def build(self, query_shape, value_shape):
            self.w = self.add_weight(shape=(query_shape[-1], value_shape[-1]), initializer="ones", name="w")

        def call(self, query, value):
            return lib.ops.matmul(query, self.w) + value

    return Pair


KPair = keras.saving.register_keras_serializable(package="CallArgs")(pair_class(keras))
NPair = nn.saving.register_keras_serializable(package="CallArgs")(pair_class(nn))


def build_pair(lib):
    q, v = lib.Input((4,), name="q"), lib.Input((3,), name="v")
    out = (KPair if lib is keras else NPair)(name="pair")(query=q, value=v)
    return lib.Model([q, v], out)


Q = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
V = np.linspace(0, 1, 6, dtype="float32").reshape(2, 3)


def test_arguments_by_name_and_named_build_match_keras():
    n, k = build_pair(nn).get_config(), build_pair(keras).get_config()
    assert _nodes(n) == _nodes(k)
    n_entry, k_entry = (next(e for e in c["layers"] if e["name"] == "pair") for c in (n, k))
    assert json.loads(json.dumps(n_entry["build_config"])) == json.loads(json.dumps(k_entry["build_config"]))


@pytest.mark.parametrize("source", ["neuronio", "keras"])
def test_arguments_by_name_cross_in_files(tmp_path, source):
    lib, other = (nn, keras) if source == "neuronio" else (keras, nn)
    model = build_pair(lib)
    model.get_layer("pair").set_weights([np.arange(12, dtype="float32").reshape(4, 3)])
    model.save(tmp_path / "m.keras")
    loaded = other.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        loaded.predict([Q, V], verbose=0), model.predict([Q, V], verbose=0), rtol=RTOL, atol=ATOL
    )


def test_auto_config_of_a_layer_without_init_matches_keras():
    """Keras lists only its base arguments (no batch_size, which its Layer refuses), autocast included."""
    n = nn.saving.serialize_keras_object(NPair(name="p"))
    k = json.loads(json.dumps(keras.saving.serialize_keras_object(KPair(name="p"))))
    assert n == k
