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


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line("markers", "torch: compares with PyTorch (skipped when absent)")
    config.addinivalue_line("markers", "keras: compares with Keras (skipped when absent)")
