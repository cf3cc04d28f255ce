"""The speed work's correctness guard: a fixed-seed training run gives the same numbers before and
after every optimisation, on any machine.

The deck models train for two epochs on fixed synthetic images with `set_random_seed(0)`; the final
training loss and the held-out accuracy were recorded once and must not move. An optimisation that
changes the arithmetic (a new convolution strategy, fused kernels, a different summation order)
fails here unless it keeps the result; a deliberate change of the numbers (Adam's epsilon moved
from 1e-7 to 1e-5, a different initialiser draw) updates the goldens in the same commit, saying why.

Why the exact check runs in float64. The float32 run's numbers depend on the machine: NumPy's
OpenBLAS picks its matrix-product kernel for the CPU, and kernels sum in different orders. Measured
with OPENBLAS_CORETYPE forcing the kernel, the MLP's float32 run ends at loss 2.194117 with 78 of
256 test images right with the AVX-512 kernel (SkylakeX), 2.194267 and 76 with the AVX2 one
(Haswell, the machine of issue 25), 2.218616 and 36 with the AVX one (Sandybridge): RMSprop divides
by the root of tiny running squares, so its first steps amplify rounding, and after two epochs on
this noise some images are within 1.5e-5 of a tie between two classes. In float64 the same runs
agree to 1e-15 relative (SkylakeX, Haswell and Sandybridge, which has no FMA), while the closest tie
among the test images is 2e-5 away: so the float64 goldens hold on any x86-64 machine, the loss to
LOSS_RTOL_FLOAT64 and the count of right answers exactly. A change of the maths moves them far more:
Adam's epsilon 1e-7 -> 1e-5 takes the CNN from loss 2.118672 and 174 right to 2.153180 and 159.

The float32 run is what users train, and the compiled kernels work only in float32, so the CNNs'
float32 losses are compared with their own goldens to LOSS_RTOL_FLOAT32: three hundred times the
spread measured between the three kernels (3e-8), while a wrong gradient, a missed bias or a kernel
that drops a term moves the loss at the 1e-2 level (the epsilon change above: 1e-2). The MLP has no
float32 golden (its float32 run is chaotic, as measured above), and no float32 run is compared by
its count of right answers: that is what differs between machines.
"""

import os
import pathlib
import platform
import subprocess
import sys

import numpy as np
import pytest

from neuronio import config
from neuronio.applications.decks import DECK_MODELS
from neuronio.utils import set_random_seed, to_categorical

# model -> (final training loss, correct out of 256 held-out images), trained in float64.
GOLDEN_FLOAT64 = {
    "mlp": (2.0564463134499107, 32),
    "cnn": (2.118672034083725, 174),
    "lenet": (2.460410722602094, 44),
}
# model -> final training loss, trained in float32 (the default), measured with the AVX-512 kernel.
# The MLP has none: see the module's docstring.
GOLDEN_FLOAT32 = {
    "cnn": 2.1620502,
    "lenet": 2.5518852,
}
LOSS_RTOL_FLOAT64 = 1e-9  # measured spread between BLAS kernels: 1e-15
LOSS_RTOL_FLOAT32 = 1e-5  # measured spread between BLAS kernels: 3e-8


def _images(n: int, seed: int):
    """Ten noisy 28x28 class templates (4x4-pixel random blocks) under heavy noise, so two epochs
    leave many mistakes (12 to 70% right) and a change in the arithmetic shows in the count."""
    templates = np.random.default_rng(1234).random((10, 7, 7)).repeat(4, axis=1).repeat(4, axis=2)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = templates[labels] + rng.normal(0.0, 1.0, (n, 28, 28))
    return np.clip(x, 0.0, 1.0)[..., None], labels


def _train(name: str, dtype: str) -> tuple[float, int]:
    """(final training loss, test images right) of the deck model `name` trained in `dtype`."""
    builder, optimizer, flat = DECK_MODELS[name]
    (x, y), (x_test, y_test) = _images(768, seed=0), _images(256, seed=1)
    x, x_test = x.astype(dtype), x_test.astype(dtype)
    if flat:
        x, x_test = x.reshape(len(x), -1), x_test.reshape(len(x_test), -1)
    with config.floatx_scope(dtype):
        set_random_seed(0)
        model = builder(input_shape=x.shape[1:])
        model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, to_categorical(y, 10).astype(dtype), batch_size=128, epochs=2, verbose=0)
        probabilities = model.predict(x_test, batch_size=256, verbose=0)
    assert probabilities.dtype == dtype
    return history.history["loss"][-1], int((probabilities.argmax(axis=1) == y_test).sum())


@pytest.mark.parametrize("name", sorted(GOLDEN_FLOAT64))
def test_fixed_seed_training_in_float64_gives_the_recorded_numbers_exactly(name):
    loss, correct = _train(name, "float64")
    golden_loss, golden_correct = GOLDEN_FLOAT64[name]
    assert correct == golden_correct
    assert loss == pytest.approx(golden_loss, rel=LOSS_RTOL_FLOAT64, abs=0)


@pytest.mark.parametrize("name", sorted(GOLDEN_FLOAT32))
def test_fixed_seed_training_in_float32_gives_the_recorded_loss(name):
    loss, _ = _train(name, "float32")
    assert loss == pytest.approx(GOLDEN_FLOAT32[name], rel=LOSS_RTOL_FLOAT32, abs=0)


def _cpu_flags() -> set[str]:
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return set()
    return set(next((line.split(":", 1)[1] for line in text.splitlines() if line.startswith("flags")), "").split())


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.machine() != "x86_64", reason="OpenBLAS kernels of x86-64 Linux"
)
def test_the_float64_goldens_hold_with_the_blas_kernels_of_other_machines():
    """What another machine computes: NumPy's OpenBLAS made to use its AVX2 (Haswell, the machine of
    issue 25) and its SSE3 (Prescott, any x86-64) matrix kernels, in a fresh process each."""
    flags = _cpu_flags()
    kernels = [kernel for kernel, flag in (("Haswell", "avx2"), ("Prescott", "sse3")) if flag in flags]
    if not kernels:
        pytest.skip("this CPU reports neither AVX2 nor SSE3")
    golden_loss, golden_correct = GOLDEN_FLOAT64["mlp"]
    code = "from tests.models.test_fixed_seed_guard import _train; print(*_train('mlp', 'float64'))"
    root = pathlib.Path(__file__).resolve().parents[2]
    for kernel in kernels:
        env = {**os.environ, "OPENBLAS_CORETYPE": kernel, "PYTHONPATH": str(root)}
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, timeout=300, check=False
        )
        assert result.returncode == 0, result.stderr[-2000:]
        loss, correct = result.stdout.split()
        assert int(correct) == golden_correct, kernel
        assert float(loss) == pytest.approx(golden_loss, rel=LOSS_RTOL_FLOAT64, abs=0), kernel
