import pytest

from neuronio.datasets import _housing, _word_sequences, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters


def pytest_configure(config):
    config.addinivalue_line("markers", "network: may download real data; skips when it is neither cached nor reachable")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A private NEURONIO_HOME, and every network or system source pointed at a missing file.

    Tests that need a source give it a file:// URL or a folder of their own; nothing reaches the
    network, the user's cache, or /usr/share. Returns the datasets folder.
    """
    monkeypatch.setenv("NEURONIO_HOME", str(tmp_path / "home"))
    nowhere = (tmp_path / "nowhere").as_uri()
    monkeypatch.setattr(mnist, "KERAS_URL", f"{nowhere}/mnist.npz")
    monkeypatch.setattr(fashion_mnist, "KERAS_BASE", f"{nowhere}/keras/")
    monkeypatch.setattr(fashion_mnist, "ZALANDO_BASE", f"{nowhere}/zalando/")
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "nowhere" / "debian")
    monkeypatch.setattr(cifar10, "URL", f"{nowhere}/cifar-10-binary.tar.gz")
    monkeypatch.setattr(cifar100, "URL", f"{nowhere}/cifar-100-python.tar.gz")
    monkeypatch.setattr(_housing, "KERAS_BASE", f"{nowhere}/")
    monkeypatch.setattr(imdb, "URL", f"{nowhere}/imdb.npz")
    monkeypatch.setattr(reuters, "URL", f"{nowhere}/reuters.npz")
    monkeypatch.setattr(_word_sequences, "KERAS_BASE", f"{nowhere}/")

    def no_pip(requirement, folder):
        raise OSError("pip download is disabled in tests")

    monkeypatch.setattr("neuronio.datasets._fetch.pip_download", no_pip)
    return tmp_path / "home" / "datasets"
