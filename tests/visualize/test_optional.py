"""matplotlib is an optional extra: importing neuronio never needs it, drawing says how to get it."""

import subprocess
import sys

import pytest

from neuronio.applications.decks import seed_cnn
from neuronio.utils import plot_model
from neuronio.visualize import plot_history


def test_importing_neuronio_and_its_pictures_does_not_import_matplotlib():
    code = "import sys, neuronio, neuronio.visualize, neuronio.utils; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_drawing_without_matplotlib_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    with pytest.raises(ImportError, match=r"plot_history draws with matplotlib.*pip install 'neuronio\[plot\]'"):
        plot_history({"loss": [1.0]})
    with pytest.raises(ImportError, match=r"plot_model draws with matplotlib"):
        plot_model(seed_cnn(), None)
