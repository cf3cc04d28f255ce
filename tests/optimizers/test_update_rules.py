"""Each optimizer against a NumPy reference written from Keras 3's published update formula.

The references run in float64 on plain arrays, one formula per function, with no in-place
tricks; neuronio runs the same 5 steps on three weight tensors, in float32 and in float64.
"""

import numpy as np
import pytest

from neuronio import Variable, optimizers

SHAPES = [(4, 3), (3,), (2, 2, 3)]
N_STEPS = 5
# The checks compare displacements (final - initial weights), so that slow rules such as Adadelta
# at its default rate (which moves weights by ~1e-5 in 5 steps) are checked as closely as fast ones.
# float64 runs the reference's arithmetic in another order: only the last bits differ.
FLOAT64_RTOL = 1e-10
# float32: weights up to ~4 in size round to 2.4e-7 at every in-place operation (a few per step, 5
# steps), and Keras computes bias corrections in float32 (1 - float32(0.999) is 1.3e-5 off, which
# shifts Adam's step size by 6.5e-6 relative): 2e-6 absolute plus 2e-5 of the displacement covers both.
FLOAT32_ATOL = 2e-6
FLOAT32_RTOL = 2e-5


def sgd(w, g, s, t, lr=0.01, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return w + (momentum * s["m"] - lr * g if nesterov else s["m"])


def rmsprop(w, g, s, t, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g**2
    denominator = s["v"] + epsilon
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = denominator - s["a"] ** 2
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        s["m"] = momentum * s.get("m", 0.0) + increment
        return w - s["m"]
    return w - increment


def adagrad(w, g, s, t, lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    s["a"] = s.get("a", initial_accumulator_value) + g**2
    return w - lr * g / np.sqrt(s["a"] + epsilon)


def adadelta(w, g, s, t, lr=0.001, rho=0.95, epsilon=1e-7):
    s["eg"] = rho * s.get("eg", 0.0) + (1 - rho) * g**2
    delta = -np.sqrt(s.get("ed", 0.0) + epsilon) / np.sqrt(s["eg"] + epsilon) * g
    s["ed"] = rho * s.get("ed", 0.0) + (1 - rho) * delta**2
    return w + lr * delta


def adam(w, g, s, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g**2
    v = s["v"]
    if amsgrad:
        s["vhat"] = v = np.maximum(s.get("vhat", 0.0), s["v"])
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * s["m"] / (np.sqrt(v) + epsilon)


def adamax(w, g, s, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - lr * s["m"] / ((1 - beta_1**t) * (s["u"] + epsilon))


def nadam(w, g, s, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def mu(step):
        return beta_1 * (1 - 0.5 * 0.96**step)

    # The product of mu_1..mu_t is shared by all weights; each weight's state keeps its own copy.
    s["prod"] = s.get("prod", 1.0) * mu(t)
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g**2
    m_hat = mu(t + 1) * s["m"] / (1 - s["prod"] * mu(t + 1)) + (1 - mu(t)) * g / (1 - s["prod"])
    v_hat = s["v"] / (1 - beta_2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


DEFAULT_LEARNING_RATE = {
    f.__name__: 0.01 if f is sgd else 0.001 for f in (sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam)
}

# (optimizer class, reference, hyperparameters). Large epsilons make a misplaced epsilon visible;
# large learning rates make every rule move the weights well beyond the tolerance.
CASES = [
    ("SGD", sgd, {}),
    ("SGD", sgd, {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", sgd, {"learning_rate": 0.1, "momentum": 0.7, "nesterov": True}),
    ("RMSprop", rmsprop, {}),
    ("RMSprop", rmsprop, {"learning_rate": 0.05, "rho": 0.8, "epsilon": 0.1}),
    ("RMSprop", rmsprop, {"learning_rate": 0.05, "momentum": 0.5, "centered": True, "epsilon": 0.1}),
    ("Adagrad", adagrad, {}),
    ("Adagrad", adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 0.1}),
    ("Adadelta", adadelta, {}),
    ("Adadelta", adadelta, {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-3}),
    ("Adam", adam, {}),
    ("Adam", adam, {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 0.1}),
    ("Adam", adam, {"learning_rate": 0.1, "amsgrad": True}),
    ("Adamax", adamax, {}),
    ("Adamax", adamax, {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.8, "epsilon": 0.1}),
    ("Nadam", nadam, {}),
    ("Nadam", nadam, {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 0.1}),
]


def _reference_run(reference, hyper, weights, grads, default_rate=None):
    kwargs = dict(hyper)
    if "learning_rate" in kwargs:
        kwargs["lr"] = kwargs.pop("learning_rate")
    default_rate = DEFAULT_LEARNING_RATE[reference.__name__] if default_rate is None else default_rate
    # As in Keras, the learning rate lives in a floatx (float32) Variable, even for float64 weights.
    kwargs["lr"] = float(np.float32(kwargs.get("lr", default_rate)))
    weights = [w.astype(np.float64) for w in weights]
    states = [{} for _ in weights]
    for t, step_grads in enumerate(grads, start=1):
        weights = [
            reference(w, g.astype(np.float64), s, t, **kwargs)
            for w, g, s in zip(weights, step_grads, states, strict=True)
        ]
    return weights


def _neuronio_run(name, hyper, weights, grads, dtype):
    optimizer = getattr(optimizers, name)(**hyper)
    variables = [Variable(w.astype(dtype)) for w in weights]
    for step_grads in grads:
        optimizer.apply([g.astype(dtype) for g in step_grads], variables)
    return variables, optimizer


def _data(seed, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=shape) for shape in shapes]
    grads = [[rng.normal(size=shape) for shape in shapes] for _ in range(N_STEPS)]
    return weights, grads


@pytest.mark.parametrize(("name", "reference", "hyper"), CASES, ids=lambda c: c if isinstance(c, str) else "")
def test_matches_keras_formula_in_float32_and_float64(name, reference, hyper):
    weights, grads = _data(seed=7)
    assert_matches_reference(name, reference, hyper, weights, grads)


def assert_matches_reference(name, reference, hyper, weights, grads, default_rate=None):
    """neuronio's optimizer `name` in float64 and float32 against the float64 reference rule."""
    expected = _reference_run(reference, hyper, weights, grads, default_rate)

    variables, optimizer = _neuronio_run(name, hyper, weights, grads, np.float64)
    for variable, want, start in zip(variables, expected, weights, strict=True):
        assert variable.dtype == np.float64
        np.testing.assert_allclose(variable.numpy() - start, want - start, rtol=FLOAT64_RTOL, atol=0)

    variables, optimizer = _neuronio_run(name, hyper, weights, grads, np.float32)
    for variable, want, start in zip(variables, expected, weights, strict=True):
        assert variable.dtype == np.float32
        start = start.astype(np.float32)
        np.testing.assert_allclose(variable.numpy() - start, want - start, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)
    floats = [v for v in optimizer.variables if v.dtype.kind == "f"]  # not counters or placeholders
    assert all(v.dtype == np.float32 for v in floats), "slots keep the weights' dtype"
    assert int(optimizer.iterations.data) == len(grads)


def test_sgd_by_hand():
    # Dyadic numbers: every intermediate value is exact in float32.
    w = Variable(np.array([1.0, 2.0], np.float32))
    optimizer = optimizers.SGD(learning_rate=0.5)
    optimizer.apply([np.array([0.5, -1.0], np.float32)], [w])
    np.testing.assert_array_equal(w.numpy(), [0.75, 2.5])


def test_sgd_momentum_by_hand():
    w = Variable(np.array([1.0, 2.0], np.float32))
    g = np.array([0.5, -1.0], np.float32)
    optimizer = optimizers.SGD(learning_rate=0.5, momentum=0.5)
    optimizer.apply([g], [w])  # m = -0.5 g = [-0.25, 0.5];  w += m
    np.testing.assert_array_equal(w.numpy(), [0.75, 2.5])
    optimizer.apply([g], [w])  # m = 0.5 m - 0.5 g = [-0.375, 0.75]
    np.testing.assert_array_equal(optimizer.variables[2].numpy(), [-0.375, 0.75])
    np.testing.assert_array_equal(w.numpy(), [0.375, 3.25])


def test_sgd_nesterov_by_hand():
    w = Variable(np.array([1.0, 2.0], np.float32))
    g = np.array([0.5, -1.0], np.float32)
    optimizer = optimizers.SGD(learning_rate=0.5, momentum=0.5, nesterov=True)
    optimizer.apply([g], [w])  # m = [-0.25, 0.5];  w += 0.5 m - 0.5 g = [-0.375, 0.75]
    np.testing.assert_array_equal(w.numpy(), [0.625, 2.75])
    optimizer.apply([g], [w])  # m = [-0.375, 0.75];  w += 0.5 m - 0.5 g = [-0.4375, 0.875]
    np.testing.assert_array_equal(w.numpy(), [0.1875, 3.625])


def test_adam_epsilon_is_not_bias_corrected():
    # At t = 1, m_hat / sqrt(v_hat) = g / |g|, so Adam's first step is lr per weight, except where
    # epsilon competes with sqrt(v) = sqrt(1 - beta_2) |g|: Keras adds epsilon before bias correction.
    w = Variable(np.zeros(3, np.float32))
    g = np.array([5.0, -0.2, 1e-3], np.float32)
    optimizers.Adam(learning_rate=0.01).apply([g], [w])
    root_v = np.sqrt(1 - 0.999) * np.abs(g.astype(np.float64))
    keras_step = 0.01 * root_v / (root_v + 1e-7)  # 0.0099685 for g = 1e-3; a corrected epsilon gives 0.0099990
    # 2e-5: Keras's float32 bias correction (1 - float32(0.999)) shifts the step by 6.5e-6 relative.
    np.testing.assert_allclose(w.numpy(), -np.sign(g) * keras_step, rtol=2e-5)
    assert keras_step[2] < 0.009970


def test_adagrad_starts_from_its_initial_accumulator():
    w = Variable(np.zeros(1, np.float32))
    optimizer = optimizers.Adagrad(learning_rate=1.0, initial_accumulator_value=3.0, epsilon=0.0)
    optimizer.apply([np.ones(1, np.float32)], [w])  # a = 3 + 1;  w -= 1 / sqrt(4)
    np.testing.assert_array_equal(w.numpy(), [-0.5])


def test_defaults_are_keras_defaults():
    expected = {
        "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
        "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False},
        "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        "Adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
        "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False},
        "Adamax": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    }
    for name, defaults in expected.items():
        config = getattr(optimizers, name)().get_config()
        for key, value in defaults.items():
            # The learning rate is stored as a float32 Variable, as in Keras.
            want = float(np.float32(value)) if key == "learning_rate" else value
            assert config[key] == want, (name, key)
