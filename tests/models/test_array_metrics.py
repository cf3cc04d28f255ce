"""A metric whose result is an array (F1Score's per-class scores) goes through fit and evaluate
as Keras's does: the logs hold the array, the progress bar prints its mean."""

import numpy as np

import neuronio as keras


def test_per_class_f1_in_fit_and_evaluate(capsys):
    rng = np.random.default_rng(0)
    x = rng.random((32, 4)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 32), 3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=[keras.metrics.F1Score()])
    history = model.fit(x, y, epochs=2, verbose=2, validation_split=0.25)
    scores = history.history["f1_score"][-1]
    assert isinstance(scores, np.ndarray) and scores.shape == (3,)
    assert history.history["val_f1_score"][-1].shape == (3,)
    assert f"f1_score: {scores.mean():.4f}" in capsys.readouterr().out
    loss, f1 = model.evaluate(x, y, verbose=0)
    metric = keras.metrics.F1Score()
    metric.update_state(y, model.predict(x, verbose=0))
    np.testing.assert_allclose(f1, metric.result(), rtol=1e-6)
    assert isinstance(loss, float)
