"""Learning-rate schedules: values at chosen steps against the formulas worked by hand, arrays of
steps, OneCycle against PyTorch's OneCycleLR, configs and saving inside an optimizer."""

import math

import numpy as np
import pytest

from neuronio import Variable, layers, optimizers
from neuronio.errors import UnknownNameError
from neuronio.models import Sequential, load_model
from neuronio.optimizers import schedules

# Formulas evaluated in float64 on both sides: they agree to rounding.
EXACT = 1e-12


def test_exponential_decay():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert schedule(0) == 0.1
    assert schedule(10) == pytest.approx(0.05, abs=EXACT)
    assert schedule(15) == pytest.approx(0.1 * 0.5**1.5, abs=EXACT)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stairs(s) for s in (0, 9, 10, 19, 20)] == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_piecewise_constant_decay_includes_each_boundary_in_the_earlier_piece():
    schedule = schedules.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    assert [schedule(s) for s in (0, 100, 101, 200, 201, 10_000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_polynomial_decay():
    schedule = schedules.PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.01, power=2.0)
    assert schedule(0) == pytest.approx(0.1, abs=EXACT)
    assert schedule(50) == pytest.approx(0.09 * 0.25 + 0.01, abs=EXACT)
    assert schedule(100) == schedule(500) == pytest.approx(0.01, abs=EXACT)
    cycling = schedules.PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.0, cycle=True)
    assert cycling(150) == pytest.approx(0.1 * (1 - 150 / 200), abs=EXACT)  # decay_steps stretched to 200


def test_inverse_time_decay_is_keras2_decay():
    schedule = schedules.InverseTimeDecay(0.01, decay_steps=1, decay_rate=1e-3)
    assert [schedule(s) for s in (0, 1, 1000)] == pytest.approx([0.01, 0.01 / 1.001, 0.005], abs=EXACT)
    stairs = schedules.InverseTimeDecay(1.0, decay_steps=10, decay_rate=1.0, staircase=True)
    assert [stairs(s) for s in (9, 10, 25)] == [1.0, 0.5, 1 / 3]


def test_cosine_decay_without_warmup():
    schedule = schedules.CosineDecay(0.1, decay_steps=100, alpha=0.1)
    assert schedule(0) == pytest.approx(0.1, abs=EXACT)
    assert schedule(50) == pytest.approx(0.1 * (0.9 * 0.5 + 0.1), abs=EXACT)
    assert schedule(25) == pytest.approx(0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi / 4)) + 0.1), abs=EXACT)
    assert schedule(100) == schedule(1000) == pytest.approx(0.01, abs=EXACT)


def test_cosine_decay_with_warmup():
    schedule = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=0.2, warmup_steps=10)
    assert schedule(0) == 0.0
    assert schedule(5) == pytest.approx(0.1, abs=EXACT)  # linear from 0 to 0.2 over 10 steps
    assert schedule(10) == pytest.approx(0.2, abs=EXACT)  # the decay starts at the target
    assert schedule(60) == pytest.approx(0.1, abs=EXACT)  # half way through the cosine
    assert schedule(110) == schedule(500) == pytest.approx(0.0, abs=EXACT)
    # warmup_steps without warmup_target: no warmup (Keras)
    assert schedules.CosineDecay(0.1, 100, warmup_steps=10)(0) == pytest.approx(0.1, abs=EXACT)
    # warmup_target with warmup_steps=0: decay from the target at once
    assert schedules.CosineDecay(0.0, 100, warmup_target=0.3)(0) == pytest.approx(0.3, abs=EXACT)


def test_one_cycle_hand_values():
    schedule = schedules.OneCycle(1.0, total_steps=101, pct_start=0.5, div_factor=10, final_div_factor=100)
    up = 0.5 * 101 - 1  # 49.5: the peak
    assert schedule(0) == pytest.approx(0.1, abs=EXACT)
    assert schedule(up / 2) == pytest.approx(0.1 + 0.9 * 0.5, abs=EXACT)  # cosine: half way up
    assert schedule(up) == pytest.approx(1.0, abs=EXACT)
    assert schedule(100) == schedule(1000) == pytest.approx(0.001, abs=EXACT)
    linear = schedules.OneCycle(1.0, total_steps=101, pct_start=0.5, div_factor=10, anneal_strategy="linear")
    assert linear(up / 4) == pytest.approx(0.1 + 0.9 / 4, abs=EXACT)
    short = schedules.OneCycle(1.0, total_steps=3, pct_start=0.25, div_factor=10, final_div_factor=10)
    assert short(np.arange(3)).tolist() == pytest.approx([1.0, 0.5 * (1 + 0.01), 0.01], abs=EXACT)  # starts at the peak


def test_one_cycle_matches_pytorch_one_cycle_lr():
    torch = pytest.importorskip("torch")
    for kwargs in [{}, {"pct_start": 0.25, "anneal_strategy": "linear", "div_factor": 5.0, "final_div_factor": 50.0}]:
        total = 57
        parameter = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([parameter], lr=0.1)
        reference = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=0.4, total_steps=total, cycle_momentum=False, **kwargs
        )
        expected = []
        for _ in range(total):
            expected.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            reference.step() if len(expected) < total else None
        ours = schedules.OneCycle(0.4, total_steps=total, **kwargs)(np.arange(total))
        np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.ExponentialDecay(0.1, 7, 0.9, staircase=True),
        schedules.PiecewiseConstantDecay([3, 9], [0.3, 0.2, 0.1]),
        schedules.PolynomialDecay(0.1, 20, cycle=True),
        schedules.InverseTimeDecay(0.1, 3, 0.5),
        schedules.CosineDecay(0.0, 30, alpha=0.2, warmup_target=0.1, warmup_steps=5),
        schedules.OneCycle(0.1, 40),
    ],
    ids=lambda s: type(s).__name__,
)
def test_arrays_of_steps_give_the_values_of_single_steps(schedule):
    steps = np.arange(50)
    values = schedule(steps)
    assert values.shape == (50,)
    assert values.tolist() == [schedule(int(s)) for s in steps]
    assert isinstance(schedule(3), float)
    assert schedule(Variable(np.array(3, np.int64), trainable=False)) == schedule(3)  # `iterations` itself


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), r"ExponentialDecay: `decay_steps` must be > 0"),
        (lambda: schedules.CosineDecay(0.1, -5), r"CosineDecay: `decay_steps` must be > 0; received decay_steps=-5"),
        (lambda: schedules.PiecewiseConstantDecay([1, 2], [1.0]), r"needs one more entry than `boundaries`"),
        (lambda: schedules.PiecewiseConstantDecay([5, 2], [1.0, 0.5, 0.1]), r"`boundaries` must increase"),
        (lambda: schedules.OneCycle(0.1, 100, pct_start=1.5), r"`pct_start` .* in \(0, 1\)"),
        (lambda: schedules.OneCycle(0.1, 1), r"needs total_steps >= 2 .* received total_steps=1"),
        (lambda: schedules.OneCycle(0.1, 100, anneal_strategy="exp"), r"anneal_strategy='exp'. Valid values: cos"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -- configs and optimizers ----------------------------------------------------------------------------
ALL = [
    schedules.ExponentialDecay(0.1, 100, 0.96, staircase=True),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    schedules.PolynomialDecay(0.1, 100, end_learning_rate=0.001, power=0.5),
    schedules.InverseTimeDecay(0.1, 1, 0.01),
    schedules.CosineDecay(0.001, 100, warmup_target=0.01, warmup_steps=10),
    schedules.OneCycle(0.01, 1000, pct_start=0.2),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_serialize_round_trip(schedule):
    envelope = schedules.serialize(schedule)
    neuronio_only = type(schedule).__name__ == "OneCycle"
    assert envelope["module"] == ("neuronio.optimizers.schedules" if neuronio_only else "keras.optimizers.schedules")
    assert envelope["registered_name"] == ("neuronio>OneCycle" if neuronio_only else None)
    restored = schedules.deserialize(envelope)
    assert type(restored) is type(schedule) and restored.get_config() == schedule.get_config()
    assert restored(7) == schedule(7)


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_an_optimizer_with_a_schedule_round_trips_its_config(schedule):
    optimizer = optimizers.AdamW(learning_rate=schedule)
    config = optimizers.serialize(optimizer)
    assert config["config"]["learning_rate"] == schedules.serialize(schedule)
    restored = optimizers.deserialize(config)
    assert restored.get_config() == optimizer.get_config()
    assert [v.name for v in restored.variables] == ["iteration"]  # no learning_rate variable, as Keras


def test_the_optimizer_uses_the_schedule_at_each_step():
    optimizer = optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([1], [1.0, 0.25]))
    weight = Variable(np.zeros(1, np.float32))
    for _ in range(3):
        optimizer.apply([np.ones(1, np.float32)], [weight])
    np.testing.assert_array_equal(weight.numpy(), [-2.25])  # steps 0 and 1 (<= the boundary) at 1.0, step 2 at 0.25


def test_unknown_and_unregistered_schedules():
    with pytest.raises(UnknownNameError, match=r"Unknown learning rate schedule 'CosineDecayy'.*CosineDecay"):
        schedules.deserialize({"class_name": "CosineDecayy", "config": {}})

    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.5**step

        def get_config(self):
            return {}

    with pytest.raises(TypeError, match=r"not a registered schedule.*registry.register"):
        optimizers.Adam(learning_rate=Halving()).get_config()


def test_a_model_compiled_with_a_schedule_saves_loads_and_continues(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 4)).astype(np.float32), rng.integers(0, 3, 32)
    model = Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizers.AdamW(learning_rate=schedules.OneCycle(0.05, 40)), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    restored = load_model(tmp_path / "m.keras")
    assert int(restored.optimizer.iterations.numpy()) == 8
    assert restored.optimizer.learning_rate == model.optimizer.learning_rate
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    restored.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
