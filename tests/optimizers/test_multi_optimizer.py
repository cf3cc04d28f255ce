"""MultiOptimizer and OptimizerMap: which weight goes to which optimizer, what each inner
optimizer does with its share, the variables and config they save, and the errors Keras raises."""

import numpy as np
import pytest

from neuronio import Variable, optimizers
from neuronio.optimizers import MultiOptimizer, OptimizerMap


def _weight(path, value):
    variable = Variable(np.asarray(value, np.float32), name=path.rsplit("/", 1)[-1])
    variable.path = path
    return variable


def test_the_map_prefers_an_exact_key_then_one_full_pattern_match_then_the_default():
    adam, sgd, rmsprop = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    mapping = OptimizerMap(rmsprop, {"encoder/dense/kernel": adam})
    mapping["encoder/.*"] = sgd
    assert mapping["encoder/dense/kernel"] is adam  # exact, although the pattern matches too
    assert mapping["encoder/attention/query"] is sgd
    assert mapping["decoder/encoder/x"] is rmsprop  # fullmatch: "encoder/.*" does not match inside
    assert mapping(_weight("encoder/bias", [0.0])) is sgd
    assert len(mapping) == 2 and list(mapping) == ["encoder/dense/kernel", "encoder/.*"]
    mapping[".*/query"] = adam
    with pytest.raises(ValueError, match=r"'encoder/attention/query' matches several patterns"):
        mapping["encoder/attention/query"]
    del mapping[".*/query"]
    assert mapping["encoder/attention/query"] is sgd


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (lambda: OptimizerMap("adam"), TypeError, r"default_optimizer must be an Optimizer instance"),
        (lambda: OptimizerMap(optimizers.SGD(), [("a", optimizers.SGD())]), TypeError, r"optimizer_map must be a dict"),
        (
            lambda: OptimizerMap(optimizers.SGD(), {"a": "adam"}),
            ValueError,
            r"OptimizerMap\['a'\] must be an Optimizer",
        ),
        (lambda: OptimizerMap(optimizers.SGD(), {1: optimizers.SGD()}), ValueError, r"keys are variable paths"),
        (
            lambda: OptimizerMap(optimizers.SGD(), {"a": MultiOptimizer(OptimizerMap(optimizers.SGD()))}),
            ValueError,
            r"cannot hold another MultiOptimizer",
        ),
        (lambda: MultiOptimizer("adam"), TypeError, r"optimizer_map must be an OptimizerMap or a callable"),
        (lambda: MultiOptimizer(OptimizerMap(optimizers.SGD()), clipnorm=1.0), TypeError, r"clipnorm"),
    ],
)
def test_bad_maps_are_refused(action, error, message):
    with pytest.raises(error, match=message):
        action()


def test_a_mapped_key_cannot_be_silently_replaced():
    mapping = OptimizerMap(optimizers.SGD(), {"a": optimizers.Adam(name="first")})
    with pytest.raises(ValueError, match=r"'a' is already mapped \(to first\); delete it first"):
        mapping["a"] = optimizers.Adam()


def _two_groups():
    kernel = _weight("enc/kernel", [[1.0, 2.0], [3.0, 4.0]])
    bias = _weight("dec/bias", [1.0, -1.0])
    adam, sgd = optimizers.Adam(learning_rate=0.1, name="adam"), optimizers.SGD(learning_rate=0.5, name="sgd")
    return kernel, bias, adam, sgd, MultiOptimizer(OptimizerMap(sgd, {"enc/.*": adam}), name="multi")


def test_each_inner_optimizer_updates_its_own_weights_with_its_own_rule_and_counter():
    kernel, bias, adam, sgd, multi = _two_groups()
    g_kernel, g_bias = np.full((2, 2), 0.5, np.float32), np.array([1.0, 2.0], np.float32)
    reference = Variable(kernel.numpy().copy())
    optimizers.Adam(learning_rate=0.1).apply([g_kernel], [reference])
    multi.apply([g_kernel, g_bias], [kernel, bias])
    np.testing.assert_array_equal(kernel.numpy(), reference.numpy())
    np.testing.assert_array_equal(bias.numpy(), [0.5, -2.0])  # SGD: w -= 0.5 g
    assert int(multi.iterations.data) == int(adam.iterations.data) == int(sgd.iterations.data) == 1
    assert multi.optimizers == [adam, sgd]
    assert [v.path for v in multi.variables] == [
        "multi/iteration", "multi/learning_rate",
        "adam/iteration", "adam/learning_rate", "adam/enc_kernel_momentum", "adam/enc_kernel_velocity",
        "sgd/iteration", "sgd/learning_rate",
    ]  # fmt: skip


def test_an_optimizer_only_the_callable_names_is_adopted_and_built():
    kernel, bias = _weight("enc/kernel", [[1.0]]), _weight("dec/bias", [1.0])
    lion, sgd = optimizers.Lion(learning_rate=0.25), optimizers.SGD(learning_rate=1.0)
    multi = MultiOptimizer(lambda variable: lion if variable.path.startswith("enc") else sgd)
    multi.apply([np.array([[3.0]], np.float32), np.array([0.5], np.float32)], [kernel, bias])
    assert multi.optimizers == [lion, sgd]
    np.testing.assert_array_equal(kernel.numpy(), [[0.75]])
    np.testing.assert_array_equal(bias.numpy(), [0.5])
    with pytest.raises(TypeError, match=r"maps variables with a function .* cannot be saved. Use an OptimizerMap"):
        multi.get_config()
    multi_bad = MultiOptimizer(lambda variable: "sgd")
    with pytest.raises(ValueError, match=r"the optimizer of 'enc/kernel' must be an Optimizer instance"):
        multi_bad.build([kernel])


def test_learning_rate_is_refused_and_loss_scale_reaches_every_inner_optimizer():
    _, _, adam, sgd, multi = _two_groups()
    with pytest.raises(AttributeError, match=r"no single learning rate; read or set it on its inner optimizers"):
        multi.learning_rate  # noqa: B018
    with pytest.raises(AttributeError, match=r"no single learning rate to set"):
        multi.learning_rate = 0.1
    multi.loss_scale_factor = 128.0
    assert adam.loss_scale_factor == sgd.loss_scale_factor == 128.0


def test_config_round_trip_and_weights():
    kernel, bias, _, _, multi = _two_groups()
    multi.apply([np.ones((2, 2), np.float32), np.ones(2, np.float32)], [kernel, bias])
    config = optimizers.serialize(multi)
    assert config["module"] == "keras.optimizers" and config["class_name"] == "MultiOptimizer"
    assert config["config"]["optimizer_map"]["class_name"] == "OptimizerMap"
    assert list(config["config"]) == ["optimizer_map", "loss_scale_factor", "name"]
    clone = optimizers.deserialize(config)
    assert [type(o).__name__ for o in clone.optimizers] == ["Adam", "SGD"]
    assert clone.get_config() == multi.get_config()
    clone.build([kernel, bias])
    clone.set_weights([v.numpy() for v in multi.variables])
    for a, b in zip(clone.variables, multi.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(TypeError, match=r"'OptimizerMap' as an optimizer: it is not an update rule"):
        optimizers.get(config["config"]["optimizer_map"])


def test_finalize_reaches_each_inner_optimizers_own_weights():
    kernel, bias = _weight("enc/kernel", [[0.0]]), _weight("dec/bias", [0.0])
    averaging = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    multi = MultiOptimizer(OptimizerMap(optimizers.SGD(learning_rate=1.0), {"enc/.*": averaging}))
    for _ in range(2):
        multi.apply([np.array([[-1.0]], np.float32), np.array([-1.0], np.float32)], [kernel, bias])
    multi.finalize_variable_values([kernel, bias])
    assert kernel.numpy()[0, 0] == 1.5  # weights 1 then 2: the average 0.5 * 1 + 0.5 * 2
    assert bias.numpy()[0] == 2.0  # no EMA on the default optimizer: untouched
