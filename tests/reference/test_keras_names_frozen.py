"""The Keras public names README's names table is compared with (scripts/keras_names.json) are the
installed Keras's: a newer Keras's additions show up here as names to implement or place in LEFT_OUT."""

import importlib.util
import pathlib

import pytest

from tests.helpers import keras_on_torch

keras = keras_on_torch()

pytestmark = pytest.mark.keras
ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_recorded_keras_names_are_the_installed_keras_names():
    spec = importlib.util.spec_from_file_location("names_table", ROOT / "scripts" / "names_table.py")
    names_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(names_table)
    frozen = names_table._frozen()
    for keras_module, recorded in frozen["modules"].items():
        installed = names_table.keras_public(keras, keras_module)
        assert installed == recorded, (
            f"keras.{keras_module} in Keras {keras.__version__} differs from the names recorded for Keras "
            f"{frozen['keras_version']}: run `python scripts/names_table.py --freeze`, then place each new "
            f"name: added {sorted(set(installed) - set(recorded))}, dropped {sorted(set(recorded) - set(installed))}"
        )
