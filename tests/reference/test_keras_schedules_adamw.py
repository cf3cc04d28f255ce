"""Learning-rate schedules and AdamW against real Keras 3 (torch backend): schedule values step by
step, configs in both directions, and ten AdamW updates (with and without a schedule) agreeing to
float32 rounding. Skipped cleanly when keras or torch is absent."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
import torch  # noqa: E402

from neuronio import Variable, optimizers  # noqa: E402
from neuronio.optimizers import schedules  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

# Keras evaluates schedules in float32, neuronio in float64: relative agreement to float32 rounding
# (a few spacings: cos and powers add one rounding each).
SCHEDULE_RTOL = 1e-6
# As in test_keras_optimizers.py: float32 spacings at the scale of each weight (or schedule).
MAX_SPACINGS = 8
SHAPES = [(4, 3), (3,), (2, 2, 3, 5)]

SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.8}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.8, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 12, 30], "values": [0.5, 0.1, 0.05, 0.01]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 25, "end_learning_rate": 0.01, "power": 2.0}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 15, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 30, "warmup_target": 0.2, "warmup_steps": 8}),
    ("CosineDecay", {"initial_learning_rate": 0.01, "decay_steps": 30, "warmup_target": 0.1, "warmup_steps": 0}),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SCHEDULES)]


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES, ids=IDS)
def test_schedule_values_match_keras(name, kwargs):
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours = getattr(schedules, name)(**kwargs)
    expected = np.array([float(np.asarray(theirs(step))) for step in range(60)])
    # Near the end of a cosine, float32 cos errs by spacings of 1, not of the small result: compare at
    # the schedule's own scale.
    tolerance = MAX_SPACINGS * float(np.spacing(np.float32(np.abs(expected).max())))
    np.testing.assert_allclose(ours(np.arange(60)), expected, rtol=SCHEDULE_RTOL, atol=tolerance)


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES, ids=IDS)
def test_schedule_configs_cross_between_keras_and_neuronio(name, kwargs):
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours = getattr(schedules, name)(**kwargs)
    assert schedules.serialize(ours) == keras.optimizers.schedules.serialize(theirs)
    assert schedules.deserialize(keras.optimizers.schedules.serialize(theirs)).get_config() == theirs.get_config()
    assert keras.optimizers.schedules.deserialize(schedules.serialize(ours)).get_config() == ours.get_config()


def test_optimizer_config_with_a_schedule_matches_keras_both_ways():
    kwargs = {"initial_learning_rate": 0.001, "decay_steps": 100, "warmup_target": 0.01, "warmup_steps": 10}
    theirs = keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.CosineDecay(**kwargs), name="opt")
    ours = optimizers.Adam(learning_rate=schedules.CosineDecay(**kwargs), name="opt")
    assert ours.get_config() == theirs.get_config()
    crossed = keras.optimizers.deserialize(optimizers.serialize(ours))
    assert crossed.get_config() == theirs.get_config()
    assert optimizers.deserialize(keras.optimizers.serialize(theirs)).get_config() == ours.get_config()


def _spacings(ours: np.ndarray, theirs: np.ndarray) -> float:
    scale = np.spacing(np.float32(max(np.abs(theirs).max(), np.finfo(np.float32).tiny)))
    return float(np.abs(ours.astype(np.float64) - theirs).max() / scale)


ADAMW_CASES = [
    ({}, None),
    ({"learning_rate": 0.01, "weight_decay": 0.1, "beta_1": 0.8, "amsgrad": True}, None),
    (
        {"weight_decay": 0.05},
        ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 6, "warmup_target": 0.02, "warmup_steps": 4}),
    ),
    ({}, ("ExponentialDecay", {"initial_learning_rate": 0.05, "decay_steps": 2, "decay_rate": 0.5})),
]


@pytest.mark.parametrize(("kwargs", "schedule"), ADAMW_CASES, ids=[str(i) for i in range(len(ADAMW_CASES))])
def test_adamw_ten_steps_match_keras(kwargs, schedule):
    rng = np.random.default_rng(0)
    start = [rng.normal(size=shape).astype(np.float32) for shape in SHAPES]
    theirs = [keras.Variable(w.copy(), name=f"w{i}") for i, w in enumerate(start)]
    ours = [Variable(w.copy(), name=f"w{i}") for i, w in enumerate(start)]
    keras_kwargs, our_kwargs = dict(kwargs), dict(kwargs)
    if schedule is not None:
        keras_kwargs["learning_rate"] = getattr(keras.optimizers.schedules, schedule[0])(**schedule[1])
        our_kwargs["learning_rate"] = getattr(schedules, schedule[0])(**schedule[1])
    keras_optimizer = keras.optimizers.AdamW(**keras_kwargs, name="opt")
    our_optimizer = optimizers.AdamW(**our_kwargs, name="opt")
    for _ in range(10):
        grads = [(2 * rng.normal(size=shape)).astype(np.float32) for shape in SHAPES]
        keras_optimizer.apply([torch.tensor(g) for g in grads], theirs)
        our_optimizer.apply(grads, ours)
    for k, n in zip(theirs, ours, strict=True):
        assert _spacings(n.numpy(), k.numpy()) <= MAX_SPACINGS, f"weight {n.name}"
    assert [v.name for v in our_optimizer.variables] == [v.name for v in keras_optimizer.variables]
    assert our_optimizer.get_config() == keras_optimizer.get_config()


def test_adamw_defaults_and_none_weight_decay_match_keras():
    assert optimizers.AdamW(name="opt").get_config() == keras.optimizers.AdamW(name="opt").get_config()
    with pytest.raises(ValueError, match="weight_decay"):
        keras.optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match=r"AdamW: `weight_decay` must be a float"):
        optimizers.AdamW(weight_decay=None)
    assert type(optimizers.get("adamw")) is optimizers.AdamW
