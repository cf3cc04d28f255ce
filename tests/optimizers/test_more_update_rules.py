"""Lion, Lamb, Ftrl, Adafactor, Muon and ScheduleFreeAdamW against NumPy references written from
Keras 3's published update formulas (see each class's docstring), plus hand-checked properties.

As in test_update_rules.py (whose checker runs them): the references run in float64 on plain arrays,
one formula per function; neuronio runs the same steps in float64 and in float32 and the
displacements are compared.
"""

import numpy as np
import pytest

from neuronio import Variable, optimizers
from neuronio.optimizers.muon import newton_schulz5
from tests.optimizers.test_update_rules import _data, assert_matches_reference

# A wide matrix, a vector, a 3-D tensor and a tall matrix (Muon transposes tall ones).
SHAPES = [(4, 3), (3,), (2, 2, 3), (5, 2)]
# Steps and tolerances: those of test_update_rules.py (float32 rounding, float32 bias corrections).


def lion(w, g, s, t, lr=0.001, beta_1=0.9, beta_2=0.99):
    m = s.get("m", 0.0)
    s["m"] = beta_2 * m + (1 - beta_2) * g
    return w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)


def lamb(w, g, s, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g**2
    u = (s["m"] / (1 - beta_1**t)) / (np.sqrt(s["v"] / (1 - beta_2**t)) + epsilon)
    w_norm, u_norm = np.linalg.norm(w), np.linalg.norm(u)
    ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    return w - lr * ratio * u


def ftrl(w, g, s, t, lr=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
         l1_regularization_strength=0.0, l2_regularization_strength=0.0,
         l2_shrinkage_regularization_strength=0.0, beta=0.0):  # fmt: skip
    p = -learning_rate_power
    n = s.get("n", np.full_like(w, initial_accumulator_value))
    n_new = n + g**2
    sigma = (n_new**p - n**p) / lr
    s["z"] = s.get("z", 0.0) + g + 2 * l2_shrinkage_regularization_strength * w - sigma * w
    s["n"] = n_new
    l1, l2 = l1_regularization_strength, l2_regularization_strength + beta / (2 * lr)
    z = s["z"]
    return np.where(np.abs(z) <= l1, 0.0, (np.sign(z) * l1 - z) / (n_new**p / lr + 2 * l2))


def adafactor(w, g, s, t, lr=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
              relative_step=True):  # fmt: skip
    def rms(x):
        return np.sqrt(np.mean(x**2))

    beta = 1 - t**beta_2_decay
    squared = g**2 + epsilon_1
    if w.ndim >= 2:
        s["r"] = beta * s.get("r", 0.0) + (1 - beta) * squared.mean(axis=-1)
        s["c"] = beta * s.get("c", 0.0) + (1 - beta) * squared.mean(axis=-2)
        v = np.einsum("...i,...j->...ij", s["r"], s["c"]) / s["r"].mean(axis=-1)[..., None, None]
    else:
        v = s["v"] = beta * s.get("v", 0.0) + (1 - beta) * squared
    u = g / np.sqrt(v)
    u = u / max(1.0, rms(u) / clip_threshold)
    return w - max(epsilon_2, rms(w)) * min(lr, 1 / np.sqrt(t)) * u


def _orthogonalised(x, steps, a, b, c):
    """Newton-Schulz written on the singular values: x = U S V^T, each s -> a s + b s³ + c s⁵, after
    x / (||x||_F + 1e-7) (Keras's epsilon, which shifts the result by 5e-7 relative)."""
    u, sv, vt = np.linalg.svd(x / (np.linalg.norm(x) + 1e-7), full_matrices=False)
    for _ in range(steps):
        sv = a * sv + b * sv**3 + c * sv**5
    return u @ np.diag(sv) @ vt


def muon(w, g, s, t, lr=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004, epsilon=1e-7,
         weight_decay=0.004, exclude_layers=None, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, adam_lr_ratio=1,
         momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2):  # fmt: skip
    if w.ndim != 2:
        w = w * (1 - lr * adam_weight_decay) if adam_weight_decay is not None else w
        s["m"] = adam_beta_1 * s.get("m", 0.0) + (1 - adam_beta_1) * g
        s["v"] = adam_beta_2 * s.get("v", 0.0) + (1 - adam_beta_2) * g**2
        alpha = lr * adam_lr_ratio * np.sqrt(1 - adam_beta_2**t) / (1 - adam_beta_1**t)
        return w - alpha * s["m"] / (np.sqrt(s["v"]) + epsilon)
    w = w * (1 - lr * weight_decay) if weight_decay is not None else w
    s["m"] = momentum * s.get("m", 0.0) + g
    direction = g + momentum * s["m"] if nesterov else s["m"]
    update = _orthogonalised(direction, ns_steps, muon_a, muon_b, muon_c)
    scale = np.sqrt(max(w.shape)) * rms_rate if rms_rate is not None else 1.0
    return w - lr * update * scale


def schedule_free_adamw(w, g, s, t, lr=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0):
    z = s.get("z", w)  # z starts at the initial weight
    x = s.get("x", w)  # and so does the average x
    lr_t = lr * min(t / warmup_steps, 1.0) if warmup_steps else lr
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g**2
    z = z - lr_t * g / (np.sqrt(s["v"] / (1 - beta_2**t)) + epsilon)
    x = (1 - 1 / t) * x + z / t
    s["z"], s["x"] = z, x
    return (1 - beta_1) * z + beta_1 * x


CASES = [
    ("Lion", lion, {}),
    ("Lion", lion, {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.8}),
    ("Lamb", lamb, {}),
    ("Lamb", lamb, {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 0.1}),
    ("Ftrl", ftrl, {"learning_rate": 0.5}),
    (
        "Ftrl",
        ftrl,
        {
            "learning_rate": 0.5,
            "learning_rate_power": -0.3,
            "initial_accumulator_value": 0.5,
            "l1_regularization_strength": 0.05,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.02,
            "beta": 0.3,
        },
    ),  # fmt: skip
    ("Ftrl", ftrl, {"learning_rate": 0.5, "learning_rate_power": 0.0, "l1_regularization_strength": 0.4}),
    ("Adafactor", adafactor, {}),
    ("Adafactor", adafactor, {"learning_rate": 0.5, "beta_2_decay": -0.5, "epsilon_2": 0.01, "clip_threshold": 0.5}),
    ("Muon", muon, {"learning_rate": 0.01}),
    (
        "Muon",
        muon,
        {
            "learning_rate": 0.05,
            "nesterov": False,
            "rms_rate": None,
            "adam_lr_ratio": 0.1,
            "momentum": 0.8,
            "ns_steps": 3,
            "weight_decay": None,
            "adam_weight_decay": 0.1,
        },
    ),  # fmt: skip
    ("ScheduleFreeAdamW", schedule_free_adamw, {}),
    ("ScheduleFreeAdamW", schedule_free_adamw, {"learning_rate": 0.05, "beta_1": 0.5, "warmup_steps": 3}),
]


@pytest.mark.parametrize(("name", "reference", "hyper"), CASES, ids=lambda c: c if isinstance(c, str) else "")
def test_matches_keras_formula_in_float32_and_float64(name, reference, hyper):
    weights, grads = _data(seed=7, shapes=SHAPES)
    default_rate = 0.0025 if name == "ScheduleFreeAdamW" else 0.001
    assert_matches_reference(name, reference, hyper, weights, grads, default_rate)


def test_lion_moves_every_entry_by_the_learning_rate():
    w = Variable(np.array([1.0, 2.0, 3.0], np.float32))
    optimizer = optimizers.Lion(learning_rate=0.25)
    optimizer.apply([np.array([0.5, -1e-6, 0.0], np.float32)], [w])  # sign(0.1 g): +, -, 0
    np.testing.assert_array_equal(w.numpy(), [0.75, 2.25, 3.0])
    # m = 0.01 g: only then does the momentum take the gradient in.
    np.testing.assert_allclose(optimizer.variables[2].numpy(), [0.005, -1e-8, 0.0], rtol=1e-6)


def test_ftrl_l1_sets_small_weights_to_exactly_zero():
    w = Variable(np.array([0.3, -0.2, 5.0], np.float32))
    optimizer = optimizers.Ftrl(learning_rate=1.0, learning_rate_power=0.0, l1_regularization_strength=1.0)
    optimizer.apply([np.array([0.5, -0.5, 4.0], np.float32)], [w])  # z = g: |z| <= 1 gives 0
    np.testing.assert_array_equal(w.numpy()[:2], [0.0, 0.0])
    # p = 0: n^p = 1, so z = 4 and w = (1 - 4) / (1 / lr) = -3.
    assert w.numpy()[2] == -3.0


def test_adafactor_keeps_row_and_column_means_and_placeholders_as_keras():
    kernel, bias = (
        Variable(np.ones((2, 4, 3), np.float32), name="kernel"),
        Variable(np.ones(3, np.float32), name="bias"),
    )
    optimizer = optimizers.Adafactor(name="opt")
    g = np.arange(24, dtype=np.float32).reshape(2, 4, 3) / 10
    optimizer.apply([g, np.ones(3, np.float32)], [kernel, bias])
    r, c, v, placeholder_1, placeholder_2, _ = optimizer.variables[2:]
    assert (r.shape, c.shape, v.shape) == ((2, 4), (2, 3), (2, 4, 3))
    assert (r.path, c.path, v.path) == ("opt/kernel", "opt/kernel", "opt/kernel_velocity")
    assert placeholder_1.dtype == placeholder_2.dtype == np.int32 and placeholder_1.path == "bias"
    # The first step keeps g² whole (beta = 1 - 1^-0.8 = 0): v is the rank-1 estimate r c / mean(r).
    squared = g.astype(np.float64) ** 2 + 1e-30
    np.testing.assert_allclose(r.numpy(), squared.mean(axis=-1), rtol=1e-6)
    np.testing.assert_allclose(c.numpy(), squared.mean(axis=-2), rtol=1e-6)
    expected_v = squared.mean(-1)[..., None] * squared.mean(-2)[:, None, :] / squared.mean((-2, -1))[:, None, None]
    np.testing.assert_allclose(v.numpy(), expected_v, rtol=1e-6)


def test_newton_schulz_flattens_the_singular_values():
    rng = np.random.default_rng(0)
    u, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    v, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    x = u[:, :4] @ np.diag([10.0, 1.0, 0.1, 0.03]) @ v  # condition number 333, tall
    singular = np.linalg.svd(newton_schulz5(x, 5, 3.4445, -4.7750, 2.0315), compute_uv=False)
    # The quintic is tuned for speed, not convergence: values land in about [0.7, 1.2] (Jordan, 2024).
    assert singular.min() > 0.6 and singular.max() < 1.25, singular


def test_muon_gives_adamw_to_non_matrices_embeddings_and_excluded_layers():
    def weight(path, shape):
        variable = Variable(np.ones(shape, np.float32), name=path.rsplit("/", 1)[1])
        variable.path = path
        return variable

    weights = [
        weight("dense/kernel", (3, 2)),
        weight("dense/bias", (2,)),
        weight("token_embedding/embeddings", (10, 2)),
        weight("conv/kernel", (3, 3, 1, 2)),
        weight("head/kernel", (2, 4)),
    ]
    optimizer = optimizers.Muon(exclude_layers=["^head/"], name="opt")
    optimizer.build(weights)
    names = [v.name for v in optimizer.variables[2:]]
    assert names == [
        "dense_kernel_momentum",
        "dense_bias_momentum", "dense_bias_velocity",
        "token_embedding_embeddings_momentum", "token_embedding_embeddings_velocity",
        "conv_kernel_momentum", "conv_kernel_velocity",
        "head_kernel_momentum", "head_kernel_velocity",
    ]  # fmt: skip
    assert optimizers.Muon(exclude_embeddings=False)._uses_adamw(weights[2]) is False


def test_muon_decays_each_rule_with_its_own_rate():
    kernel, bias = Variable(np.ones((2, 2), np.float32)), Variable(np.ones(2, np.float32))
    optimizer = optimizers.Muon(learning_rate=0.5, weight_decay=0.5, adam_weight_decay=None, ns_steps=0, rms_rate=None)
    optimizer.apply([np.zeros((2, 2), np.float32), np.zeros(2, np.float32)], [kernel, bias])
    # Zero gradients: only the decay moves weights. Muon's kernel: w -= w * 0.5 * 0.5; AdamW's bias: no decay.
    np.testing.assert_array_equal(kernel.numpy(), np.full((2, 2), 0.75))
    np.testing.assert_array_equal(bias.numpy(), np.ones(2))


def test_schedule_free_momentum_starts_at_the_weights_and_the_first_step_lands_on_it():
    w = Variable(np.array([1.0, -2.0], np.float32))
    optimizer = optimizers.ScheduleFreeAdamW(learning_rate=0.1)
    optimizer.build([w])
    np.testing.assert_array_equal(optimizer.variables[2].numpy(), [1.0, -2.0])
    optimizer.apply([np.array([3.0, -1.0], np.float32)], [w])
    # t = 1: the average x is the new z, so y = z; |step| = lr (Adam's first step is lr * g / |g|).
    np.testing.assert_array_equal(w.numpy(), optimizer.variables[2].numpy())
    np.testing.assert_allclose(w.numpy(), [0.9, -1.9], rtol=1e-6)


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "message"),
    [
        ("Lion", {"beta_1": 0.0}, ValueError, r"Lion: `beta_1` must be in \(0, 1\].*signSGD"),
        ("Lion", {"beta_2": 1.5}, ValueError, r"Lion: `beta_2` must be a number in \[0.0, 1.0\]"),
        ("Lamb", {"beta_1": 1.0}, ValueError, r"Lamb: `beta_1` must be a number in \[0.0, 1.0\)"),
        ("Ftrl", {"learning_rate_power": 0.5}, ValueError, r"Ftrl: `learning_rate_power` must be a number <= 0.0"),
        ("Ftrl", {"l1_regularization_strength": -1}, ValueError, r"`l1_regularization_strength` must be .*>= 0.0"),
        ("Ftrl", {"initial_accumulator_value": "1"}, TypeError, r"`initial_accumulator_value` must be a number"),
        ("Adafactor", {"clip_threshold": 0}, ValueError, r"Adafactor: `clip_threshold` must be > 0"),
        ("Adafactor", {"beta_2_decay": 0.8}, ValueError, r"Adafactor: `beta_2_decay` must be a number <= 0.0"),
        ("Muon", {"exclude_layers": "head"}, TypeError, r"Muon: `exclude_layers` must be a list of strings"),
        ("Muon", {"ns_steps": 2.5}, ValueError, r"Muon: `ns_steps` must be an integer >= 0"),
        ("Muon", {"momentum": 1.0}, ValueError, r"Muon: `momentum` must be a number in \[0.0, 1.0\)"),
        ("ScheduleFreeAdamW", {"warmup_steps": -1}, ValueError, r"`warmup_steps` must be an integer >= 0"),
        ("ScheduleFreeAdamW", {"beta_1": 0}, ValueError, r"ScheduleFreeAdamW: `beta_1` must be in \(0, 1\]"),
        (
            "Lion",
            {"gradient_accumulation_steps": 2.0},
            ValueError,
            r"Lion: `gradient_accumulation_steps` must be an int",
        ),
    ],
)
def test_bad_hyperparameters_are_refused_by_name(name, kwargs, error, message):
    with pytest.raises(error, match=message):
        getattr(optimizers, name)(**kwargs)


@pytest.mark.parametrize(
    ("identifier", "cls"),
    [
        ("lion", "Lion"),
        ("Lamb", "Lamb"),
        ("ftrl", "Ftrl"),
        ("adafactor", "Adafactor"),
        ("muon", "Muon"),
        ("schedulefreeadamw", "ScheduleFreeAdamW"),
        ("schedule_free_adamw", "ScheduleFreeAdamW"),
    ],
)
def test_get_by_name(identifier, cls):
    assert type(optimizers.get(identifier)) is getattr(optimizers, cls)


def test_defaults_are_keras_defaults():
    expected = {
        "Lion": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99, "weight_decay": None},
        "Lamb": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        "Ftrl": {
            "learning_rate": 0.001,
            "learning_rate_power": -0.5,
            "initial_accumulator_value": 0.1,
            "l1_regularization_strength": 0.0,
            "l2_regularization_strength": 0.0,
            "l2_shrinkage_regularization_strength": 0.0,
            "beta": 0.0,
        },  # fmt: skip
        "Adafactor": {
            "learning_rate": 0.001,
            "beta_2_decay": -0.8,
            "epsilon_1": 1e-30,
            "epsilon_2": 1e-3,
            "clip_threshold": 1.0,
            "relative_step": True,
        },  # fmt: skip
        "Muon": {
            "learning_rate": 0.001,
            "weight_decay": 0.004,
            "adam_weight_decay": 0.004,
            "epsilon": 1e-7,
            "exclude_layers": [],
            "exclude_embeddings": True,
            "momentum": 0.95,
            "ns_steps": 5,
            "nesterov": True,
            "rms_rate": 0.2,
            "adam_lr_ratio": 1,
        },  # fmt: skip
        "ScheduleFreeAdamW": {
            "learning_rate": 0.0025,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-8,
            "warmup_steps": 0,
        },  # fmt: skip
    }
    for name, defaults in expected.items():
        config = getattr(optimizers, name)().get_config()
        for key, value in defaults.items():
            want = float(np.float32(value)) if key == "learning_rate" else value
            assert config[key] == want, (name, key)


def test_ema_by_hand_starts_at_the_weight_then_averages_and_overwrites_on_schedule():
    w = Variable(np.array([0.0], np.float32), name="w")
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3)
    average = []
    for _ in range(3):
        optimizer.apply([np.array([-1.0], np.float32)], [w])  # w += 1 each step
        average.append(float(optimizer.variables[2].numpy()[0]))
    # step 1: w = 1, average = w = 1; step 2: w = 2, average = 1.5; step 3: w = 3, average = 2.25,
    # and the third step overwrites w with it.
    assert average == [1.0, 1.5, 2.25]
    assert w.numpy()[0] == 2.25
    optimizer.apply([np.array([-1.0], np.float32)], [w])  # w = 3.25, average = 2.75
    optimizer.finalize_variable_values([w])
    assert w.numpy()[0] == 2.75
    assert optimizers.SGD().finalize_variable_values([w]) is None and w.numpy()[0] == 2.75  # no EMA: no change


def test_gradient_accumulation_by_hand_updates_every_n_calls_with_the_mean_gradient():
    w = Variable(np.array([0.0], np.float32), name="w")
    optimizer = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    optimizer.apply([np.array([1.0], np.float32)], [w])
    assert w.numpy()[0] == 0.0 and optimizer.variables[2].numpy()[0] == 1.0  # w_gradient_accumulator
    assert int(optimizer.iterations.numpy()) == 0
    optimizer.apply([np.array([3.0], np.float32)], [w])  # the mean gradient 2, then the accumulator is 0
    assert w.numpy()[0] == -2.0 and optimizer.variables[2].numpy()[0] == 0.0
    assert int(optimizer.iterations.numpy()) == 1 and int(optimizer.variables[0].numpy()) == 2  # updates; calls
