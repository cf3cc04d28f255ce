"""What every optimizer shares: variables and their order, clipping, weight decay, learning-rate
schedules, None gradients, legacy arguments, get/serialize, saving state, and error messages."""

import re
import warnings

import numpy as np
import pytest

from neuronio import GradientTape, Tensor, Variable, ops, optimizers
from neuronio._legacy import LegacyArgumentWarning
from neuronio.errors import ShapeError, UnknownNameError

ALL = ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam"]


def _weights():
    kernel = Variable(np.ones((3, 2), np.float32), name="kernel")
    kernel.path = "dense/kernel"
    bias = Variable(np.zeros(2, np.float32), name="bias")
    bias.path = "dense/bias"
    return [kernel, bias]


def _sgd_run(grads, weights=None, **kwargs):
    weights = weights or [Variable(np.zeros(np.shape(g), np.float32)) for g in grads]
    optimizers.SGD(learning_rate=1.0, **kwargs).apply(grads, weights)
    return [w.numpy() for w in weights]


# -- variables: Keras's names and order ----------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kwargs", "slots"),
    [
        ("SGD", {}, []),
        ("SGD", {"momentum": 0.9}, ["dense_kernel_momentum", "dense_bias_momentum"]),
        ("Adam", {}, ["dense_kernel_momentum", "dense_kernel_velocity", "dense_bias_momentum", "dense_bias_velocity"]),
        (
            "Adam",
            {"amsgrad": True},
            ["dense_kernel_momentum", "dense_kernel_velocity", "dense_bias_momentum", "dense_bias_velocity"]
            + ["dense_kernel_velocity_hat", "dense_bias_velocity_hat"],
        ),
        (
            "RMSprop",
            {"momentum": 0.5, "centered": True},
            ["dense_kernel_velocity", "dense_bias_velocity", "dense_kernel_momentum", "dense_bias_momentum"]
            + ["dense_kernel_average_gradient", "dense_bias_average_gradient"],
        ),
        ("Adagrad", {}, ["dense_kernel_accumulator", "dense_bias_accumulator"]),
        (
            "Adadelta",
            {},
            ["dense_kernel_accumulated_grad", "dense_kernel_accumulated_delta_var"]
            + ["dense_bias_accumulated_grad", "dense_bias_accumulated_delta_var"],
        ),
        ("Adamax", {}, ["dense_kernel_momentum", "dense_kernel_norm", "dense_bias_momentum", "dense_bias_norm"]),
        (
            "Nadam",
            {},
            [
                "dense_kernel_momentum",
                "dense_kernel_velocity",
                "dense_bias_momentum",
                "dense_bias_velocity",
                "variable",
            ],
        ),
    ],
)
def test_variables_have_keras_names_and_order(name, kwargs, slots):
    optimizer = getattr(optimizers, name)(**kwargs)
    assert [v.name for v in optimizer.variables] == ["iteration", "learning_rate"]
    weights = _weights()
    optimizer.apply([np.ones((3, 2), np.float32), np.ones(2, np.float32)], weights)
    prefix = optimizer.name
    assert [v.name for v in optimizer.variables] == ["iteration", "learning_rate", *slots]
    assert [v.path for v in optimizer.variables] == [f"{prefix}/{v.name}" for v in optimizer.variables]
    assert optimizer.iterations.dtype == np.int64
    assert all(not v.trainable for v in optimizer.variables)


def test_names_are_generated_like_keras():
    assert [optimizers.Adam().name, optimizers.Adam().name, optimizers.RMSprop().name] == ["adam", "adam_1", "rm_sprop"]
    assert optimizers.SGD(name="mine").variables[0].path == "mine/iteration"


def test_iterations_count_applies_and_slots_are_built_once():
    weights = _weights()
    optimizer = optimizers.Adam()
    grads = [np.ones((3, 2), np.float32), np.ones(2, np.float32)]
    for _ in range(3):
        optimizer.apply_gradients(zip(grads, weights, strict=True))
    assert int(optimizer.iterations.data) == 3
    assert len(optimizer.variables) == 6
    optimizer.apply([])  # no gradients: nothing happens, as in Keras
    assert int(optimizer.iterations.data) == 3
    optimizer.apply(grads)  # after building, the variables may be omitted
    assert int(optimizer.iterations.data) == 4


def test_tensors_from_gradient_tape_train_a_weight():
    w = Variable(np.array([0.0, 10.0], np.float32))
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.5)
    for _ in range(100):
        with GradientTape() as tape:
            loss = ops.sum((w - 3.0) * (w - 3.0))
        grads = tape.gradient(loss, [w])
        assert isinstance(grads[0], Tensor)
        optimizer.apply_gradients(zip(grads, [w], strict=True))
    np.testing.assert_allclose(w.numpy(), [3.0, 3.0], atol=1e-4)
    assert w.dtype == np.float32


def test_float64_gradients_do_not_change_a_float32_weight_dtype():
    w = Variable(np.ones(2, np.float32))
    optimizers.Adam().apply([np.ones(2, np.float64)], [w])
    assert w.dtype == np.float32


# -- None gradients ------------------------------------------------------------------------------
def test_none_gradients_are_skipped_with_a_warning_naming_the_variable():
    kernel, bias = _weights()
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['dense/kernel'\]"):
        optimizers.SGD(learning_rate=1.0).apply([None, np.ones(2, np.float32)], [kernel, bias])
    np.testing.assert_array_equal(kernel.numpy(), np.ones((3, 2)))
    np.testing.assert_array_equal(bias.numpy(), [-1.0, -1.0])


def test_all_none_gradients_is_an_error():
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizers.SGD().apply([None, None], _weights())


# -- clipping ------------------------------------------------------------------------------------
def test_clipnorm_clips_each_gradient_to_its_own_norm():
    g1, g2 = np.array([3.0, 4.0], np.float32), np.array([0.3, 0.4], np.float32)
    w1, w2 = _sgd_run([g1, g2], clipnorm=1.0)  # ||g1|| = 5 -> scaled to 1; ||g2|| = 0.5 -> unchanged
    np.testing.assert_allclose(w1, [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(w2, [-0.3, -0.4], rtol=1e-6)
    np.testing.assert_array_equal(g1, [3.0, 4.0]), "the caller's gradient is never modified"


def test_global_clipnorm_scales_all_gradients_together():
    grads = [np.array([3.0], np.float32), np.array([4.0], np.float32)]  # joint norm 5
    w1, w2 = _sgd_run(grads, global_clipnorm=1.0)
    np.testing.assert_allclose([w1[0], w2[0]], [-0.6, -0.8], rtol=1e-6)
    w1, w2 = _sgd_run(grads, global_clipnorm=10.0)
    np.testing.assert_allclose([w1[0], w2[0]], [-3.0, -4.0], rtol=1e-6)


def test_global_clipnorm_turns_an_infinite_norm_into_nan_as_keras():
    (w,) = _sgd_run([np.array([np.inf, 1.0], np.float32)], global_clipnorm=1.0)
    assert np.isnan(w).all()


def test_clipvalue_clips_each_entry():
    (w,) = _sgd_run([np.array([-2.0, 0.25, 3.0], np.float32)], clipvalue=0.5)
    np.testing.assert_array_equal(w, [0.5, -0.25, -0.5])


def test_only_one_clipping_argument():
    with pytest.raises(
        ValueError, match=r"only one of clipnorm, clipvalue and global_clipnorm.*clipnorm=1.*clipvalue=2"
    ):
        optimizers.Adam(clipnorm=1.0, clipvalue=2.0)


# -- weight decay and loss scaling ---------------------------------------------------------------
def test_weight_decay_is_decoupled_and_applied_before_the_update():
    w = Variable(np.array([2.0], np.float32))
    optimizer = optimizers.SGD(learning_rate=0.5, weight_decay=0.5)
    optimizer.apply([np.array([1.0], np.float32)], [w])  # w = 2 (1 - 0.5 * 0.5) - 0.5 * 1
    np.testing.assert_array_equal(w.numpy(), [1.0])


def test_exclude_from_weight_decay_by_name():
    kernel, bias = _weights()
    bias.assign(np.ones(2, np.float32))
    optimizer = optimizers.SGD(learning_rate=0.5, weight_decay=1.0)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply([np.zeros((3, 2), np.float32), np.zeros(2, np.float32)], [kernel, bias])
    np.testing.assert_array_equal(kernel.numpy(), np.full((3, 2), 0.5))
    np.testing.assert_array_equal(bias.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])


def test_loss_scale_factor_divides_the_gradients():
    (w,) = _sgd_run([np.array([4.0], np.float32)], loss_scale_factor=8.0)
    np.testing.assert_array_equal(w, [-0.5])
    assert optimizers.SGD(loss_scale_factor=8.0).scale_loss(2.0) == 16.0


# -- learning rate -------------------------------------------------------------------------------
def test_learning_rate_is_a_float32_variable_that_can_be_set():
    optimizer = optimizers.SGD(learning_rate=0.5)
    variable = optimizer.learning_rate
    assert isinstance(variable, Variable) and variable.dtype == np.float32
    optimizer.learning_rate = 0.25
    assert optimizer.learning_rate is variable and float(variable) == 0.25
    optimizer.learning_rate = optimizer.learning_rate * 2.0  # a Tensor is accepted too
    assert float(variable) == 0.5
    w = Variable(np.zeros(1, np.float32))
    optimizer.apply([np.ones(1, np.float32)], [w])
    np.testing.assert_array_equal(w.numpy(), [-0.5])


def test_a_schedule_is_evaluated_at_iterations():
    w = Variable(np.zeros(1, np.float32))
    optimizer = optimizers.SGD(learning_rate=lambda step: 0.5 ** (step + 1))
    assert [v.name for v in optimizer.variables] == ["iteration"], "a schedule replaces the variable, as in Keras"
    assert optimizer.learning_rate == 0.5
    for _ in range(3):
        optimizer.apply([np.ones(1, np.float32)], [w])  # steps of 0.5, 0.25, 0.125
    np.testing.assert_array_equal(w.numpy(), [-0.875])
    assert optimizer.learning_rate == 0.0625


def test_a_callable_without_arguments_is_called_as_keras_calls_it():
    w = Variable(np.zeros(1, np.float32))
    optimizers.SGD(learning_rate=lambda: 0.25).apply([np.ones(1, np.float32)], [w])
    np.testing.assert_array_equal(w.numpy(), [-0.25])


def test_setting_a_schedule_removes_the_learning_rate_variable():
    optimizer = optimizers.Adam()
    optimizer.learning_rate = lambda step: 0.1
    assert [v.name for v in optimizer.variables] == ["iteration"]
    with pytest.raises(TypeError, match="created with a learning-rate schedule"):
        optimizer.learning_rate = 0.01


def test_a_plain_function_learning_rate_cannot_be_serialized():
    with pytest.raises(TypeError, match="plain function.*cannot be saved"):
        optimizers.Adam(learning_rate=lambda step: 0.1).get_config()


# -- legacy arguments ----------------------------------------------------------------------------
def test_legacy_lr_warns_and_names_learning_rate():
    with pytest.warns(
        LegacyArgumentWarning,
        match=re.escape("SGD: `lr=` is the Keras 1/2 spelling; use `learning_rate=` (got lr=0.1)"),
    ):
        optimizer = optimizers.SGD(lr=0.1)
    assert optimizer.get_config()["learning_rate"] == float(np.float32(0.1))


def test_lr_with_learning_rate_is_an_error_even_when_learning_rate_is_the_default_value():
    for call in (lambda: optimizers.SGD(0.5, lr=0.1), lambda: optimizers.SGD(learning_rate=0.01, lr=0.1)):
        with pytest.raises(ValueError, match=r"`lr` and `learning_rate` name the same argument.*lr=0.1"):
            call()


def test_keras2_decay_becomes_inverse_time_decay_with_a_warning_naming_it():
    with pytest.warns(
        LegacyArgumentWarning,
        match=r"SGD: `decay=1e-06` is Keras 2's per-step decay.*InverseTimeDecay\(0.01, decay_steps=1, decay_rate=1e-06\)",
    ):
        optimizer = optimizers.SGD(decay=1e-6)
    assert "decay" not in optimizer.get_config()
    assert optimizer.get_config()["learning_rate"]["class_name"] == "InverseTimeDecay"
    # Keras 2: lr / (1 + decay * iterations), iterations counting the updates made before this one.
    with pytest.warns(LegacyArgumentWarning):
        optimizer = optimizers.SGD(learning_rate=1.0, decay=0.5)
    weight = Variable(np.zeros(1, np.float32))
    rates = []
    for _ in range(3):
        rates.append(optimizer.learning_rate)
        optimizer.apply([np.ones(1, np.float32)], [weight])
    assert rates == [1.0, float(np.float32(1 / 1.5)), 0.5]  # rounded to float32, as Keras casts it
    np.testing.assert_allclose(weight.numpy(), [-(1.0 + 1 / 1.5 + 0.5)], rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.SGD(decay=0.0)  # Keras 2 configs carry decay=0.0: nothing to warn about


def test_keras2_decay_with_a_schedule_is_refused():
    with pytest.raises(ValueError, match=r"`decay=0.1`.*cannot be combined with a learning-rate schedule"):
        optimizers.SGD(learning_rate=lambda step: 0.1, decay=0.1)


# -- get / serialize / deserialize ---------------------------------------------------------------
@pytest.mark.parametrize("identifier", ["adam", "Adam", "ADAM"])
def test_get_by_name_ignores_case(identifier):
    assert type(optimizers.get(identifier)) is optimizers.Adam


def test_get_every_keras_name():
    for name in ALL:
        assert type(optimizers.get(name.lower())).__name__ == name


def test_get_passes_instances_and_none_through():
    optimizer = optimizers.Nadam()
    assert optimizers.get(optimizer) is optimizer
    assert optimizers.get(None) is None


def test_get_unknown_name_lists_the_valid_ones():
    with pytest.raises(UnknownNameError, match=r"Unknown optimizer 'adm'\. Did you mean 'adam'.*Valid names: .*SGD"):
        optimizers.get("adm")


def test_get_a_class_asks_for_an_instance():
    with pytest.raises(TypeError, match=r"call it: Adam\(\)"):
        optimizers.get(optimizers.Adam)


def test_serialize_is_the_keras_envelope():
    config = optimizers.serialize(optimizers.Adam(learning_rate=0.5, name="opt"))
    assert config == {
        "module": "keras.optimizers",
        "class_name": "Adam",
        "config": {
            "name": "opt",
            "learning_rate": 0.5,
            "weight_decay": None,
            "clipnorm": None,
            "global_clipnorm": None,
            "clipvalue": None,
            "use_ema": False,
            "ema_momentum": 0.99,
            "ema_overwrite_frequency": None,
            "loss_scale_factor": None,
            "gradient_accumulation_steps": None,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-07,
            "amsgrad": False,
        },
        "registered_name": None,
    }


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"momentum": 0.9, "nesterov": True, "clipnorm": 1.0}),
        ("RMSprop", {"rho": 0.8, "momentum": 0.1, "epsilon": 1e-5, "centered": True, "weight_decay": 0.01}),
        ("Adagrad", {"initial_accumulator_value": 0.2, "epsilon": 1e-6, "global_clipnorm": 2.0}),
        ("Adadelta", {"learning_rate": 1.0, "rho": 0.9, "clipvalue": 0.5}),
        ("Adam", {"beta_1": 0.8, "beta_2": 0.99, "amsgrad": True, "loss_scale_factor": 128.0}),
        ("Adamax", {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4}),
        ("Nadam", {"learning_rate": 0.002, "beta_2": 0.99}),
    ],
)
def test_serialize_round_trip(name, kwargs):
    optimizer = getattr(optimizers, name)(**kwargs)
    restored = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(restored) is type(optimizer)
    assert restored.get_config() == optimizer.get_config()
    assert optimizers.get(optimizers.serialize(optimizer)).get_config() == optimizer.get_config()


def test_deserialize_ignores_a_backend_specific_module():
    config = {
        "module": "keras.src.backend.torch.optimizers.torch_adam",
        "class_name": "Adam",
        "config": {"name": "adam", "learning_rate": 0.0010000000474974513, "beta_1": 0.9},
        "registered_name": "Adam",
    }
    assert type(optimizers.deserialize(config)) is optimizers.Adam


# -- saving state --------------------------------------------------------------------------------
def test_saved_state_resumes_training_exactly():
    rng = np.random.default_rng(0)
    grads = [[rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32)] for _ in range(6)]
    weights, optimizer = _weights(), optimizers.Nadam()
    for g in grads[:3]:
        optimizer.apply(g, weights)
    store = {}
    optimizer.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(len(optimizer.variables))]

    copies = [Variable(w.numpy()) for w in weights]
    for copy, w in zip(copies, weights, strict=True):
        copy.path = w.path
    resumed = optimizers.Nadam()
    resumed.build(copies)
    resumed.load_own_variables(store)
    for g in grads[3:]:
        optimizer.apply(g, weights)
        resumed.apply(g, copies)
    for a, b in zip(weights + optimizer.variables, copies + resumed.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_loading_into_an_unbuilt_optimizer_warns_and_skips():
    with pytest.warns(UserWarning, match=r"Skipping variable loading.*has 2 variables.*saved optimizer has 4"):
        optimizers.SGD().load_own_variables({str(i): np.zeros(()) for i in range(4)})


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (
            lambda: optimizers.SGD(momentum=1.5),
            ValueError,
            r"SGD: `momentum` must be a number in \[0.0, 1.0\]; received momentum=1.5",
        ),
        (
            lambda: optimizers.Adam(beta_1=1.0),
            ValueError,
            r"`beta_1` must be a number in \[0.0, 1.0\); received beta_1=1.0",
        ),
        (
            lambda: optimizers.Adam(learning_rate="fast"),
            TypeError,
            r"`learning_rate` must be a number; received learning_rate='fast'",
        ),
        (lambda: optimizers.RMSprop(epsilon=-1.0), ValueError, r"`epsilon` must be a finite number >= 0.0"),
        (
            lambda: optimizers.Adam(beta1=0.9),
            ValueError,
            r"Adam got unexpected argument\(s\): beta1\. Valid arguments: learning_rate, beta_1",
        ),
        (
            lambda: optimizers.Adam(gradient_accumulation_steps=1),
            ValueError,
            r"`gradient_accumulation_steps` must be an integer >= 2 .* received gradient_accumulation_steps=1",
        ),
        (lambda: optimizers.Adam(use_ema=True, ema_momentum=1.5), ValueError, r"`ema_momentum` must be in \[0, 1\]"),
        (
            lambda: optimizers.SGD(use_ema=True, ema_overwrite_frequency=0),
            ValueError,
            r"`ema_overwrite_frequency` must be an integer >= 1 .* or None",
        ),
    ],
)
def test_constructor_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_gradient_shape_mismatch_names_the_variable_and_changes_nothing():
    kernel, bias = _weights()
    optimizer = optimizers.SGD()
    with pytest.raises(
        ShapeError, match=r"gradient of 'dense/bias' has shape \(3,\), but the variable has shape \(2,\)"
    ):
        optimizer.apply([np.ones((3, 2), np.float32), np.ones(3, np.float32)], [kernel, bias])
    np.testing.assert_array_equal(kernel.numpy(), np.ones((3, 2)))
    assert int(optimizer.iterations.data) == 0


def test_apply_errors():
    kernel, bias = _weights()
    optimizer = optimizers.Adam()
    with pytest.raises(ValueError, match="needs a built optimizer"):
        optimizer.apply([np.ones(2, np.float32)])
    with pytest.raises(ValueError, match="received 1 gradients for 2 variables"):
        optimizer.apply([np.ones(2, np.float32)], [kernel, bias])
    with pytest.raises(TypeError, match="updates neuronio Variables in place; received a ndarray"):
        optimizer.apply([np.ones(2, np.float32)], [np.zeros(2, np.float32)])
    optimizer.apply([np.ones(2, np.float32)], [bias])
    with pytest.raises(ValueError, match=r"cannot update \['dense/kernel'\]\. Create a new optimizer"):
        optimizer.apply([np.ones((3, 2), np.float32)], [kernel])
