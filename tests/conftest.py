import numpy as np
import pytest

from neuronio import config


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts with fresh layer names and a seeded generator."""
    config.clear_session()
    config.set_random_seed(1234)
    yield
    config.set_check_numerics(False)


# The op test modules that run once per kernel implementation (neuronio/ops/_kernels.py), so that
# their gradient checks and PyTorch/Keras reference tests exercise every implementation installed
# here, not only NumPy's reference. Each implementation runs first in the priority list, NumPy's
# reference behind it (float64 gradient checks fall back where an implementation is float32-only).
KERNEL_TEST_MODULES = {  # module -> the ops (seam names) whose implementations it is run on
    "test_conv": {"conv2d"},
    "test_conv1d_pool1d": {"conv2d", "max_pool2d"},
    "test_pooling": {"max_pool2d"},
    "test_normalization": {"batch_norm"},
    "test_activation": {"relu"},
    "test_update_rules": {"adam"},
    "test_torch_ops": {"conv2d", "max_pool2d", "batch_norm", "relu"},
    "test_torch_activations": {"relu"},
    "test_keras_optimizers": {"adam"},
}


def _kernel_implementations(ops: set) -> list:
    """numpy, then each implementation that registered one of `ops` (skipped where it cannot load)."""
    from neuronio.ops import _kernels

    params = [pytest.param("numpy", id="numpy")]
    table = _kernels.registered()
    for name in ("numba", "onednn"):
        mine = [table[op][name] for op in sorted(ops) if name in table.get(op, {})]
        if not mine:
            continue
        failed = [implementation.error for implementation in mine if implementation.get() is None]
        marks = pytest.mark.skip(reason=f"kernel implementation {name} unavailable: {failed[0]}") if failed else ()
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def pytest_generate_tests(metafunc):
    ops = KERNEL_TEST_MODULES.get(metafunc.module.__name__.rsplit(".", 1)[-1])
    if ops:
        metafunc.parametrize("kernel_implementation", _kernel_implementations(ops), indirect=True)


@pytest.fixture(autouse=True)
def kernel_implementation(request):
    """The kernel implementation this test runs on (parametrized in KERNEL_TEST_MODULES)."""
    name = getattr(request, "param", None)
    if name is None:
        yield None
        return
    previous = config.kernels()
    config.set_kernels(name)
    try:
        yield name
    finally:
        config.set_kernels(previous)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line("markers", "torch: compares with PyTorch (skipped when absent)")
    config.addinivalue_line("markers", "keras: compares with Keras (skipped when absent)")
