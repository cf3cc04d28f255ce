"""use_ema and SwapEMAWeights against real Keras 3: the same weights after fit, the same
validation losses computed with the averages, and .keras files with the average slots both ways."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

import neuronio  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RTOL = 1e-5


def _pair(optimizer_args):
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(3, 2)).astype("float32"), np.zeros(2, "float32")]
    models = []
    for lib in (neuronio, keras):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        model.set_weights(weights)
        model.compile(lib.optimizers.Adam(**optimizer_args), "mse")
        models.append(model)
    return models


@pytest.mark.parametrize("args", [{"use_ema": True}, {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 3}])
def test_fit_with_ema_and_swap_equals_keras(args):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    ours, theirs = _pair({"learning_rate": 0.05, **args})
    kwargs = {"epochs": 3, "batch_size": 4, "shuffle": False, "verbose": 0, "validation_data": (x[:8], y[:8])}
    h1 = ours.fit(x, y, callbacks=[neuronio.callbacks.SwapEMAWeights()], **kwargs).history
    h2 = theirs.fit(x, y, callbacks=[keras.callbacks.SwapEMAWeights()], **kwargs).history
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=RTOL)
    np.testing.assert_allclose(h1["val_loss"], h2["val_loss"], rtol=RTOL)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-6)
    kinds = [[v.path.rsplit("/", 1)[-1].rsplit("_", 1)[-1] for v in m.optimizer.variables] for m in (ours, theirs)]
    assert kinds[0] == kinds[1]  # iteration, learning_rate, the averages, then Adam's slots


def test_ema_optimizer_state_round_trips_with_keras(tmp_path):
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    ours, _ = _pair({"use_ema": True})
    ours.fit(x, y, verbose=0)
    ours.save(tmp_path / "n.keras")
    loaded = keras.saving.load_model(tmp_path / "n.keras")
    assert loaded.optimizer.use_ema
    for a, b in zip(ours.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))
    loaded.save(tmp_path / "k.keras")
    back = neuronio.models.load_model(tmp_path / "k.keras")
    np.testing.assert_array_equal(
        back.optimizer._model_variables_moving_average[0].numpy(),
        ours.optimizer._model_variables_moving_average[0].numpy(),
    )
